import Media

/// Draws a `Scene` into an XRGB8888 canvas: bars, the remote picture aspect-fitted, the
/// mirrored self view upper-left (unless a plane carries it) and the kiosk screen on top.
/// Keeps its libyuv scratch buffers between frames; one per drawing loop.
public final class Compositor {
    public var config: CompositorConfig
    public var background: XRGB
    /// Draws kiosk screens; nil draws video only (text needs a font).
    public var painter: ScreenPainter?
    private let remoteConverter = FrameConverter()
    private let selfConverter = FrameConverter()

    public init(config: CompositorConfig = CompositorConfig(), background: XRGB = .black, painter: ScreenPainter? = nil) {
        self.config = config
        self.background = background
        self.painter = painter
    }

    /// Where `scene` puts its pictures on an output of `size` (a device-check screen shows the
    /// self view as a large preview instead of the corner).
    public func layout(for scene: Scene, output size: PixelSize) -> CompositionLayout {
        var l = CompositionLayout(output: size, remote: scene.remote.map { PixelSize(width: $0.width, height: $0.height) },
                                  selfView: scene.selfView.map { PixelSize(width: $0.width, height: $0.height) }, config: config)
        if let screen = scene.screen, let preview = ScreenLayout(screen: screen, output: size).previewArea, let s = scene.selfView {
            l.selfView = PixelRect.aspectFit(PixelSize(width: s.width, height: s.height), in: preview)
        }
        return l
    }

    /// Composes `scene`. With `selfViewOnPlane` the self view is left out (a hardware plane
    /// shows it). Returns the layout used.
    @discardableResult
    public func compose(_ scene: Scene, into canvas: XRGBCanvas, selfViewOnPlane: Bool = false) -> CompositionLayout {
        let l = layout(for: scene, output: PixelSize(width: canvas.width, height: canvas.height))
        for bar in l.bars { canvas.fill(bar, with: background) }
        if let remote = scene.remote, let r = l.remote {
            if !remoteConverter.draw(remote, into: canvas, rect: r) { canvas.fill(r, with: background) }
        }
        if !selfViewOnPlane, let me = scene.selfView, let r = l.selfView {
            selfConverter.draw(me, into: canvas, rect: r, mirrored: config.mirrorSelfView)
        }
        if let screen = scene.screen, let painter {
            painter.paint(screen, into: canvas)
        }
        return l
    }

    /// The self view alone, scaled and mirrored, for an overlay plane's buffer.
    public func drawSelfView(_ frame: VideoFrame, into canvas: XRGBCanvas) {
        selfConverter.draw(frame, into: canvas, rect: canvas.bounds, mirrored: config.mirrorSelfView)
    }
}
