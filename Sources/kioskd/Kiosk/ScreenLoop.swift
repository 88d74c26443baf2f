import Foundation
import Logging
import Media
import Render
import Synchronization

/// The one thread that owns the display: it draws the current presentation with the latest
/// remote and self frames (30 times a second while video shows, only on change otherwise),
/// and answers hit tests and screenshots from what was actually drawn.
final class ScreenLoop: Sendable {
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
    private let displayBox: UncheckedSendable<any Display>
    private let media: MediaPipeline
    private let logger: Logger
    let outputSize: PixelSize

    init(display: any Display, media: MediaPipeline, logger: Logger) {
        displayBox = UncheckedSendable(display)
        outputSize = display.outputSize
        self.media = media
        self.logger = logger
    }

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

    var layout: ScreenLayout? { shared.withLock { $0.layout } }
    var presentedName: String { shared.withLock { $0.presentedName } }
    var framesPresented: Int { shared.withLock { $0.framesPresented } }

    /// A PNG of the next drawn frame (composed the same way, in software).
    func screenshot() async -> [UInt8] {
        await withCheckedContinuation { c in
            shared.withLock { s in
                s.screenshotWaiters.append(c)
                s.changed = true
            }
        }
    }

    private func loop() {
        let display = displayBox.value
        let drm = display as? DRMDisplay
        let shooter = Compositor(painter: try? ScreenPainter())
        var shot = XRGBImage(width: outputSize.width, height: outputSize.height)
        while true {
            let (running, changed, presentation, waiters) = shared.withLock { s in
                defer { s.changed = false; s.screenshotWaiters = [] }
                return (s.running, s.changed, s.presentation, s.screenshotWaiters)
            }
            guard running else {
                for w in waiters { w.resume(returning: []) }
                return
            }
            let video = presentation.map { $0.remoteVideo || $0.selfVideo } ?? false
            if let presentation, changed || video {
                let scene = Scene(remote: presentation.remoteVideo ? media.latestRemoteFrame : nil,
                                  selfView: presentation.selfVideo ? media.latestSelfFrame : nil,
                                  screen: presentation.screen)
                do {
                    try display.present(scene)
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
            if let drm {
                _ = try? drm.dispatchEvents(timeoutMilliseconds: 0)
            }
            usleep(video ? 33_000 : 50_000)
        }
    }
}
