import Devices
import Foundation
import Logging
import Render

/// Reads the touch panel on its own thread and hands each tap (in screen pixels) to the
/// controller. A panel that vanishes (unplugged) is looked for again every two seconds.
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
        while true {
            let panels = EvdevTouch.panels()
            let chosen = configured == "auto" ? panels.first : panels.first { $0.id == configured || $0.path == configured }
            var size = screen()
            guard let info = chosen, let touch = try? EvdevTouch(path: info.path, screenWidth: size.width, screenHeight: size.height) else {
                if !reported { logger.warning("no touch panel", metadata: ["configured": "\(configured)"]) }
                reported = true
                sleep(2)
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
}
