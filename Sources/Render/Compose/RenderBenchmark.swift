import Media

/// Figures for `make bench`: the per-frame cost of composing the call picture.
public enum RenderBenchmark {
    public struct Result: Sendable, CustomStringConvertible {
        public var name: String
        public var frames: Int
        /// Mean over all frames.
        public var millisecondsPerFrame: Double
        /// Mean of the fastest batch of 10 frames: the cost without other processes' noise.
        public var bestMillisecondsPerFrame: Double
        public var description: String {
            func r(_ v: Double) -> Double { (v * 1000).rounded() / 1000 }
            return "\(name): \(r(millisecondsPerFrame)) ms/frame mean, \(r(bestMillisecondsPerFrame)) best batch, over \(frames) frames"
        }
    }

    /// Composes a 1280x720 remote frame and a 320x180 self view into a 1920x1080 XRGB8888
    /// buffer `frames` times (after a warm-up) on the calling thread. With `selfViewOnPlane`
    /// the self view is left to a plane (only the remote picture is converted), and the plane's
    /// own 320x180 buffer is drawn separately, as the DRM output does.
    public static func compose(frames: Int = 300, selfViewOnPlane: Bool = false) -> Result {
        let remote = pattern(width: 1280, height: 720)
        let me = pattern(width: 320, height: 180)
        let compositor = Compositor(config: CompositorConfig(selfViewSize: PixelSize(width: 320, height: 180), selfViewMargin: 24))
        var screen = XRGBImage(width: 1920, height: 1080)
        var plane = XRGBImage(width: 320, height: 180)
        let scene = Scene(remote: remote, selfView: me)
        func once() {
            screen.withCanvas { compositor.compose(scene, into: $0, selfViewOnPlane: selfViewOnPlane) }
            if selfViewOnPlane { plane.withCanvas { compositor.drawSelfView(me, into: $0) } }
        }
        for _ in 0..<5 { once() }
        let clock = ContinuousClock()
        let batch = 10
        let batches = max(1, (frames + batch - 1) / batch)
        var total = 0.0, best = Double.infinity
        for _ in 0..<batches {
            let d = clock.measure { for _ in 0..<batch { once() } }
            let ms = Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15
            total += ms
            best = min(best, ms / Double(batch))
        }
        return Result(name: selfViewOnPlane ? "compose 1280x720 → 1920x1080, self view 320x180 on a plane"
                                            : "compose 1280x720 + 320x180 self view → 1920x1080 XRGB8888",
                      frames: batches * batch, millisecondsPerFrame: total / Double(batches * batch), bestMillisecondsPerFrame: best)
    }

    /// A busy picture (gradients) so the scaler cannot take flat-colour shortcuts.
    static func pattern(width: Int, height: Int) -> VideoFrame {
        var planes = [UInt8](repeating: 128, count: VideoFrame.byteCount(width: width, height: height))
        for y in 0..<height { for x in 0..<width { planes[y * width + x] = UInt8(truncatingIfNeeded: 16 + (x + y) % 220) } }
        let cw = VideoFrame.chromaWidth(width), ch = VideoFrame.chromaHeight(height)
        for y in 0..<ch {
            for x in 0..<cw {
                planes[width * height + y * cw + x] = UInt8(truncatingIfNeeded: 16 + x % 224)
                planes[width * height + cw * ch + y * cw + x] = UInt8(truncatingIfNeeded: 16 + y % 224)
            }
        }
        return VideoFrame(width: width, height: height, planes: planes)
    }
}
