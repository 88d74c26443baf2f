import ArgumentParser
import KioskCore

/// `kioskd`: the telehealth kiosk daemon and its tools.
@main
struct KioskdCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kioskd",
        abstract: "The telehealth kiosk: camera, microphone, display and the end-to-end encrypted call.",
        discussion: """
            Exit codes:
              0   success
              1   runtime failure (a device or the network failed in a way kioskd cannot ride out)
              2   bad configuration (the message names the file, line and key)
              64  bad command line
            """,
        version: KioskdVersion.string,
        subcommands: [RunCommand.self, DemoCommand.self, DevicesCommand.self, ControlCommand.self, VersionCommand.self],
        defaultSubcommand: nil
    )
}

/// Exit statuses kioskd documents (see `kioskd --help`).
enum KioskdExit {
    static let runtimeFailure = ExitCode(1)
    static let badConfiguration = ExitCode(2)
}

/// `--config` as every subcommand that reads configuration spells it.
struct ConfigOption: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Configuration file. A missing default file means built-in defaults.", valueName: "path"))
    var config: String?

    /// Loads the configuration, printing the error and exiting 2 when it is bad.
    func load() throws -> KioskConfig {
        do {
            return try ConfigLoader.load(path: config ?? KioskConfig.defaultPath, mustExist: config != nil)
        } catch {
            printError("kioskd: configuration error: \(error)")
            throw KioskdExit.badConfiguration
        }
    }
}

struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Print kioskd's version.")

    func run() {
        print("kioskd \(KioskdVersion.string)")
    }
}
