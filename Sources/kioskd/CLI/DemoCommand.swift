import ArgumentParser

/// `kioskd demo`: the whole kiosk on embedded defaults against a local practice endpoint.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run a demonstration call with synthetic devices against a local practice endpoint."
    )

    @Option(help: "How long the call runs, in seconds.") var seconds: Int = 20
    @Option(help: "Folder for snapshots and summary.json.") var out: String = "out/demo"

    func run() async throws {
        printError("kioskd demo: the call engine has not landed yet (issue 3)")
        throw KioskdExit.runtimeFailure
    }
}
