import ServiceLifecycle

/// Pets systemd's watchdog at half its period for as long as the service group runs. If the
/// process wedges, the pings stop and systemd restarts kioskd (Restart=on-failure).
struct WatchdogService: Service {
    let notifier: SystemdNotifier
    let interval: Duration

    func run() async throws {
        notifier.watchdog()
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                try await Task.sleep(for: interval)
            } catch {
                return
            }
            notifier.watchdog()
        }
    }
}
