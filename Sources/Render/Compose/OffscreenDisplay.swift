import Glibc
import Media

/// A display in memory: composes like the screen does and writes PNG on demand (the demo, and
/// tests without a display).
public final class OffscreenDisplay: Display {
    public let outputSize: PixelSize
    public let compositor: Compositor
    public private(set) var image: XRGBImage
    public private(set) var screenLayout: ScreenLayout?
    public private(set) var presentedCount = 0
    public var scenesShown: Int { presentedCount }

    public init(size: PixelSize = PixelSize(width: 1920, height: 1080), compositor: Compositor = Compositor()) {
        outputSize = size
        self.compositor = compositor
        image = XRGBImage(width: size.width, height: size.height)
    }

    public func present(_ scene: Scene) {
        image.withCanvas { canvas in _ = compositor.compose(scene, into: canvas) }
        screenLayout = scene.screen.map { ScreenLayout(screen: $0, output: outputSize) }
        presentedCount += 1
    }

    public func pngData() -> [UInt8] { PNGEncoder.encode(image) }

    public func writePNG(to path: String) throws(RenderFileError) {
        try RenderFileError.write(pngData(), to: path)
    }
}

/// A PNG snapshot of one decoded frame at its own size (the demo's remote-frame snapshots).
public enum FrameSnapshot {
    public static func png(_ frame: VideoFrame, mirrored: Bool = false) -> [UInt8] {
        PNGEncoder.encode(FrameConverter().image(of: frame, mirrored: mirrored))
    }

    public static func writePNG(_ frame: VideoFrame, to path: String, mirrored: Bool = false) throws(RenderFileError) {
        try RenderFileError.write(png(frame, mirrored: mirrored), to: path)
    }
}

/// Writing a file failed.
public struct RenderFileError: Error, Equatable, CustomStringConvertible {
    public var path: String
    public var errno: Int32
    public var description: String { "cannot write \(path): \(String(cString: strerror(errno)))" }

    /// Writes `bytes` to `path` (created or truncated).
    public static func writeFile(_ bytes: [UInt8], to path: String) throws(RenderFileError) {
        try write(bytes, to: path)
    }

    static func write(_ bytes: [UInt8], to path: String) throws(RenderFileError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw RenderFileError(path: path, errno: Glibc.errno) }
        defer { close(fd) }
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + off, $0.count - off) } // invariant: count > off ≥ 0
            if n < 0 {
                if Glibc.errno == EINTR { continue }
                throw RenderFileError(path: path, errno: Glibc.errno)
            }
            off += n
        }
    }
}
