import ArgumentParser
import Foundation
import KioskCore

/// `kioskd control`: a technician's window into a running kiosk through its control socket.
struct ControlCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "control",
        abstract: "Ask the running kioskd what it shows, or tap its screen.",
        discussion: """
            status              the screen on display, its texts and buttons, the call's counters (JSON)
            stats [--json]      the call's quality figures both ways: frame rate, freezes, loss,
                                repairs, keyframes, audio concealment, send rate, round trip
            tap X Y             a touch at screen pixel X,Y (hit-tested like the touch panel)
            press BUTTON        tap the middle of a button on screen (join, continue, rejoin, endCall, ...)
            screenshot FILE     save the screen as PNG (needs service.control_screenshots = true)
            """
    )

    @OptionGroup var options: ConfigOption
    @Argument(help: "status, stats, tap, press or screenshot.") var action: String
    @Argument(help: "The action's arguments.") var arguments: [String] = []
    @Flag(help: "stats: print JSON (webrtc-stats names) instead of the table.") var json = false

    func run() throws {
        let client = ControlClient(path: try options.load().service.controlSocket)
        do {
            switch (action, arguments.count) {
            case ("status", 0):
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                print(String(decoding: try encoder.encode(client.status()), as: UTF8.self))
            case ("stats", 0):
                let stats = try client.stats()
                if json {
                    let encoder = JSONEncoder()
                    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                    print(String(decoding: try encoder.encode(stats), as: UTF8.self))
                } else {
                    print(stats.text)
                }
            case ("tap", 2):
                guard let x = Int(arguments[0]), let y = Int(arguments[1]) else { throw ValidationError("tap X Y: integers") }
                print(try client.tap(x: x, y: y) ?? "no button")
            case ("press", 1):
                print(try client.press(arguments[0]) ?? "no button")
            case ("screenshot", 1):
                try client.screenshot(to: arguments[0])
            default:
                throw ValidationError("expected: status | stats [--json] | tap X Y | press BUTTON | screenshot FILE")
            }
        } catch let error as ControlClient.Failure {
            printError("kioskd control: \(error)")
            throw KioskdExit.runtimeFailure
        }
    }
}
