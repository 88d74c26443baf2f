import Logging
import ServiceLifecycle

/// The kiosk itself as a long-running service: it brings the kiosk up, tells systemd it is
/// ready, runs until a graceful shutdown is requested, then says it is stopping.
struct KioskService: Service {
    let config: KioskConfig
    let notifier: SystemdNotifier
    let logger: Logger

    func run() async throws {
        logger.info("kioskd starting", metadata: ["kiosk": "\(config.kiosk.id)", "camera": "\(config.devices.camera)", "display": "\(config.display.device)"])
        notifier.ready(status: "Idle, waiting for an appointment")
        logger.notice("kioskd ready", metadata: ["kiosk": "\(config.kiosk.id)"])
        // Park until SIGTERM/SIGINT; the call flow plugs in here as it lands.
        await gracefulShutdownSignal()
        notifier.stopping()
        logger.notice("kioskd stopping", metadata: ["kiosk": "\(config.kiosk.id)"])
    }

    private func gracefulShutdownSignal() async {
        let (stream, continuation) = AsyncStream<Void>.makeStream()
        await withGracefulShutdownHandler {
            for await _ in stream { break }
        } onGracefulShutdown: {
            continuation.yield()
            continuation.finish()
        }
    }
}
