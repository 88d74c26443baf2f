import Devices
import Foundation
import Logging
import Render

/// Reads the touch panel on its own thread and hands each tap (in screen pixels) to the
/// controller. A panel that is missing or vanishes (unplugged) is looked for again when the
/// kernel announces an input device (uevents), not on a timer.
final class TouchLoop: Sendable {
    private let configured: String
    /// The screen's current size: the display may open (or change mode) after the panel.
    private let screen: @Sendable () -> PixelSize
    private let logger: Logger
    private let onTap: @Sendable (Int, Int) -> Void

    init(configured: String, screen: @escaping @Sendable () -> PixelSize, logger: Logger, onTap: @escaping @Sendable (Int, Int) -> Void) {
        self.configured = configured
        self.screen = screen
        self.logger = logger
        self.onTap = onTap
    }

    func start() {
        guard configured != "none" && configured != "synthetic" else { return }
        Thread { self.loop() }.start()
    }

    private func loop() {
        var reported = false
        // Opened before the panels are listed, so a panel plugged in between is not missed.
        let monitor = try? HotplugMonitor()
        monitor?.seedExistingNodes()
        while true {
            let panels = EvdevTouch.panels()
            let chosen = configured == "auto" ? panels.first : panels.first { $0.id == configured || $0.path == configured }
            var size = screen()
            guard let info = chosen, let touch = try? EvdevTouch(path: info.path, screenWidth: size.width, screenHeight: size.height) else {
                if !reported { logger.warning("no touch panel", metadata: ["configured": "\(configured)"]) }
                reported = true
                waitForInputDevice(monitor)
                continue
            }
            reported = false
            logger.notice("touch panel opened", metadata: ["touch": "\(info.id)"])
            do {
                while true {
                    if screen() != size {
                        size = screen()
                        touch.calibration.screenWidth = size.width
                        touch.calibration.screenHeight = size.height
                    }
                    if case .tap(let x, let y, _)? = try touch.next(timeoutMillis: 1000) { onTap(x, y) }
                }
            } catch {
                logger.warning("touch panel lost", metadata: ["touch": "\(info.id)", "error": "\(error)"])
            }
        }
    }

    /// Until an input device is added (a minute at most, then the panels are listed again).
    /// Events that came while a panel was open are read first: an overflowed socket only
    /// loses events that no longer matter.
    private func waitForInputDevice(_ monitor: HotplugMonitor?) {
        let deadline = ContinuousClock.now + .seconds(60)
        while let monitor, ContinuousClock.now < deadline {
            let left = Int((deadline - ContinuousClock.now).components.seconds * 1000) + 1
            do {
                guard let event = try monitor.next(timeoutMillis: left) else { return }
                if event.deviceClass == .input, event.kind == .added { return }
            } catch {
                break
            }
        }
        // No uevent socket, or it failed (never on a kiosk's kernel): the minute passes on a
        // descriptor that never turns ready, and the panels are listed again.
        var never = pollfd(fd: -1, events: 0, revents: 0)
        _ = poll(&never, 1, Int32(max(0, (deadline - ContinuousClock.now).components.seconds * 1000)))
    }
}
