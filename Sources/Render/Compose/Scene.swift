import Media
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Everything on the screen at one moment: the latest remote and self frames and the kiosk
/// screen drawn over them.
public struct Scene: Sendable {
    public var remote: VideoFrame?
    public var selfView: VideoFrame?
    public var screen: KioskScreen?

    public init(remote: VideoFrame? = nil, selfView: VideoFrame? = nil, screen: KioskScreen? = nil) {
        self.remote = remote
        self.selfView = selfView
        self.screen = screen
    }
}

/// Something a `Scene` can be shown on: the DRM/KMS output or the off-screen target.
public protocol Display: AnyObject {
    /// The size of the picture in pixels (the mode's size on a screen).
    var outputSize: PixelSize { get }
    /// Shows `scene` as soon as the display can; a scene replaced before it was shown is
    /// dropped (latest wins, media never waits).
    func present(_ scene: Scene) throws
    /// The buttons of the last presented screen, for touch hit-testing.
    var screenLayout: ScreenLayout? { get }
    /// Appends the descriptors that turn ready when the display has events (page flips,
    /// hotplug): the screen's loop waits on them and then calls `handleEvents`.
    func appendPollDescriptors(to fds: inout [pollfd])
    /// Handles what the descriptors signalled, without waiting.
    func handleEvents() throws
    /// A scene presented now goes out with the next flip rather than replacing one already
    /// drawn and waiting (so a loop draws at most once per flip). Always true off screen.
    var readyForScene: Bool { get }
    /// Scenes that have reached the screen since the display opened: each flip completed
    /// (off screen: each present). A scene presented is shown when this passes its number.
    var scenesShown: Int { get }
}

extension Display {
    public func appendPollDescriptors(to fds: inout [pollfd]) {}
    public func handleEvents() throws {}
    public var readyForScene: Bool { true }
}

extension Display {
    /// The button under a touch at (x, y) in screen pixels, if any.
    public func button(atX x: Int, y: Int) -> KioskButton? {
        screenLayout?.button(atX: x, y: y)
    }
}
