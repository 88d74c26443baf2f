import Foundation
import Logging
import Media
import Render
import SessionCore
import SessionDriver
import Synchronization

/// The one thread that owns the display: it draws the current presentation with the latest
/// remote and self frames (30 times a second while video shows, only on change otherwise),
/// and answers hit tests and screenshots from what was actually drawn.
public final class ScreenLoop: Sendable {
    private struct Shared {
        var presentation: KioskPresentation?
        var changed = false
        var layout: ScreenLayout?
        var presentedName = ""
        var framesPresented = 0
        var running = false
        var screenshotWaiters: [CheckedContinuation<[UInt8], Never>] = []
    }

    private let shared = Mutex(Shared())
    private let size: Mutex<PixelSize>
    private let openDisplay: @Sendable () -> (any Display)?
    private let media: MediaPipeline
    private let logger: Logger

    /// `openDisplay` runs on the loop's thread (which then owns the display), again every 5 s
    /// while it returns nil. Until a display opens, hit tests use `assumedSize`.
    public init(openDisplay: @escaping @Sendable () -> (any Display)?, assumedSize: PixelSize = PixelSize(width: 1920, height: 1080),
                media: MediaPipeline, logger: Logger) {
        self.openDisplay = openDisplay
        size = Mutex(assumedSize)
        self.media = media
        self.logger = logger
    }

    /// The screen's size in pixels (touch coordinates are in this space).
    public var outputSize: PixelSize { size.withLock { $0 } }

    func start() {
        let already = shared.withLock { s -> Bool in
            defer { s.running = true }
            return s.running
        }
        if !already { Thread { self.loop() }.start() }
    }

    func stop() { shared.withLock { $0.running = false } }

    func show(_ p: KioskPresentation) {
        shared.withLock { s in
            s.presentation = p
            s.changed = true
        }
    }

    /// The button under (x, y) on the screen last drawn.
    func button(atX x: Int, y: Int) -> KioskButton? {
        shared.withLock { $0.layout }?.button(atX: x, y: y)
    }

    public var layout: ScreenLayout? { shared.withLock { $0.layout } }
    public var presentedName: String { shared.withLock { $0.presentedName } }
    var framesPresented: Int { shared.withLock { $0.framesPresented } }

    /// A PNG of the next drawn frame (composed the same way, in software).
    public func screenshot() async -> [UInt8] {
        await withCheckedContinuation { c in
            shared.withLock { s in
                s.screenshotWaiters.append(c)
                s.changed = true
            }
        }
    }

    private func loop() {
        var display: (any Display)?
        var lastAttempt = MonotonicClock.now() - .seconds(10)
        let shooter = Compositor(painter: try? ScreenPainter())
        var shot = XRGBImage(width: outputSize.width, height: outputSize.height)
        while true {
            if display == nil, MonotonicClock.now() - lastAttempt >= .seconds(5) {
                lastAttempt = MonotonicClock.now()
                display = openDisplay()
                if let d = display {
                    size.withLock { $0 = d.outputSize }
                    shot = XRGBImage(width: d.outputSize.width, height: d.outputSize.height)
                    shared.withLock { $0.changed = true }
                }
            }
            let (running, changed, presentation, waiters) = shared.withLock { s in
                defer { s.changed = false; s.screenshotWaiters = [] }
                return (s.running, s.changed, s.presentation, s.screenshotWaiters)
            }
            guard running else {
                for w in waiters { w.resume(returning: []) }
                return
            }
            let video = presentation.map { $0.remoteVideo || $0.selfVideo } ?? false
            let outputSize = self.outputSize
            if let presentation, changed || video {
                let scene = Scene(remote: presentation.remoteVideo ? media.latestRemoteFrame : nil,
                                  selfView: presentation.selfVideo ? media.latestSelfFrame : nil,
                                  screen: presentation.screen)
                do {
                    try display?.present(scene)
                } catch {
                    logger.error("cannot draw the screen", metadata: ["error": "\(error)"])
                }
                let layout = ScreenLayout(screen: presentation.screen, output: outputSize)
                shared.withLock { s in
                    s.layout = layout
                    s.presentedName = presentation.name
                    s.framesPresented += 1
                }
                if !waiters.isEmpty {
                    shot.withCanvas { canvas in _ = shooter.compose(scene, into: canvas) }
                    let png = PNGEncoder.encode(shot)
                    for w in waiters { w.resume(returning: png) }
                }
            } else {
                for w in waiters { w.resume(returning: []) }
            }
            if let drm = display as? DRMDisplay {
                _ = try? drm.dispatchEvents(timeoutMilliseconds: 0)
            }
            usleep(video ? 33_000 : 50_000)
        }
    }
}
