import ArgumentParser
import KioskCore
import Logging
import ServiceLifecycle
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// `kioskd run`: the daemon systemd starts (Type=notify).
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the kiosk daemon (what systemd starts).",
        discussion: "Speaks the systemd notify protocol when $NOTIFY_SOCKET is set and pets the watchdog when $WATCHDOG_USEC is set. SIGTERM or SIGINT stop it gracefully."
    )

    @OptionGroup var options: ConfigOption

    func run() async throws {
        let config = try options.load()
        JournalLogHandler.bootstrap(level: Logger.Level(rawValue: config.service.logLevel) ?? .info)
        let logger = Logger(label: "kioskd")
        let environment = ProcessEnvironment.current()
        let notifier = SystemdNotifier(environment: environment)

        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: KioskService(config: config, notifier: notifier, logger: logger),
                  successTerminationBehavior: .gracefullyShutdownGroup),
        ]
        if let interval = SystemdNotifier.watchdogInterval(environment: environment) {
            logger.debug("watchdog armed", metadata: ["interval": "\(interval)"])
            services.append(.init(service: WatchdogService(notifier: notifier, interval: interval)))
        }
        let group = ServiceGroup(configuration: .init(
            services: services,
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        ))
        do {
            try await group.run()
        } catch {
            logger.error("kioskd failed", metadata: ["error": "\(error)"])
            throw KioskdExit.runtimeFailure
        }
    }
}

enum ProcessEnvironment {
    static func current() -> [String: String] {
        var result: [String: String] = [:]
        var pointer = environ
        while let entry = pointer.pointee {
            let text = String(cString: entry)
            if let eq = text.firstIndex(of: "=") {
                result[String(text[..<eq])] = String(text[text.index(after: eq)...])
            }
            pointer += 1
        }
        return result
    }
}

/// Writes a line to stderr (configuration errors go there before logging is set up).
func printError(_ text: String) {
    JournalLogHandler.stderrSink(text + "\n")
}
