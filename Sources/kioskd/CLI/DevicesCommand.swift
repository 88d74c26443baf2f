import ArgumentParser

/// `kioskd devices`: what this kiosk can see (cameras, microphones, speakers, touch, displays).
/// Exits 0 even when it finds nothing: "no camera" is an answer, not a failure.
struct DevicesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "devices",
        abstract: "List cameras, microphones, speakers, touch panels and displays.",
        discussion: """
            The first column is each device's stable id, which the configuration accepts \
            (camera = "v4l2:usb-0000:00:14.0-1", ...). --json prints the schema in \
            docs/devices.schema.json.
            """
    )

    @Flag(help: "Print JSON (schema in docs/devices.schema.json).") var json = false

    func run() throws {
        let report = DevicesReport.scan()
        if json {
            do {
                print(try report.json())
            } catch {
                printError("kioskd devices: cannot encode the inventory: \(error)")
                throw KioskdExit.runtimeFailure
            }
        } else {
            print(DevicesTable.render(report))
        }
    }
}
