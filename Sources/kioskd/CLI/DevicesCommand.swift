import ArgumentParser

/// `kioskd devices`: what this kiosk can see (cameras, microphones, speakers, touch, displays).
struct DevicesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "devices",
        abstract: "List cameras, microphones, speakers, touch panels and displays."
    )

    @Flag(help: "Print JSON (schema in docs/devices.schema.json).") var json = false

    func run() throws {
        printError("kioskd devices: device enumeration has not landed yet (issue 4)")
        throw KioskdExit.runtimeFailure
    }
}
