import ArgumentParser
import DevTools
import Foundation
import KioskCore
import Logging

/// `kioskd-demo` (what `kioskd demo` runs): the whole kiosk on synthetic devices against the
/// project's practice endpoint (started here on loopback), with a real browser as the clinician
/// (headless Chromium). Its own executable, so the demo's harness (a practice-dev launcher and
/// a browser driver) never ships inside the daemon.
@main
struct KioskdDemo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kioskd demo",
        abstract: "Run a demonstration call with synthetic devices against a local practice endpoint.",
        discussion: """
            Starts practice-dev on loopback, a kiosk with a synthetic camera (moving test pattern \
            with a frame counter) and a synthetic microphone (a tone), and a headless Chromium as \
            the clinician, which joins automatically. Writes the remote frames kioskd decodes as \
            PNG snapshots, the composed kiosk screen, and summary.json with both sides' statistics.
            """
    )

    @Option(help: "How long the call runs, in seconds.") var seconds: Int = 20
    @Option(help: "Folder for snapshots and summary.json.") var out: String = "out/demo"
    @Option(help: "Who offers: clinician (the browser) or kiosk.") var offerer: String = "clinician"
    @Flag(help: "Do not start Chromium: print the page URL and wait for a person to join.") var noBrowser = false
    @Option(help: ArgumentHelp("Stop the practice endpoint after N seconds of call (media must go on).", visibility: .hidden))
    var stopSignalingAfter: Int?
    @Option(help: ArgumentHelp("Restart ICE N seconds into the call, as a network change would (media must go on).", visibility: .hidden))
    var iceRestartAfter: Int?
    @Flag(help: "Relay the kiosk's media through Debian's coturn on loopback (apt-get install coturn); credentials come in the practice's welcome.")
    var relay = false
    @Option(help: "With --relay (implied): reach coturn over udp, tcp (turn:…?transport=tcp) or tls (turns:, a throwaway certificate the kiosk trusts).")
    var relayTransport: String?

    func validate() throws {
        guard seconds > 0 && seconds <= 3600 else { throw ValidationError("--seconds must be 1 to 3600") }
        guard offerer == "clinician" || offerer == "kiosk" else { throw ValidationError("--offerer must be clinician or kiosk") }
        if let t = relayTransport, CoturnProcess.Transport(rawValue: t) == nil {
            throw ValidationError("--relay-transport must be udp, tcp or tls")
        }
    }

    func run() async throws {
        JournalLogHandler.bootstrap(level: .info)
        let logger = Logger(label: "kioskd")
        do {
            let summary = try await DemoRun(seconds: seconds, out: out, kioskOffers: offerer == "kiosk",
                                            startBrowser: !noBrowser, stopSignalingAfter: stopSignalingAfter,
                                            iceRestartAfter: iceRestartAfter,
                                            relay: relayTransport.flatMap(CoturnProcess.Transport.init(rawValue:))
                                                ?? (relay ? .udp : nil),
                                            logger: logger).run()
            print("demo: \(summary.verdict)")
            if !summary.ok { throw ExitCode(1) }
        } catch let error as ExitCode {
            throw error
        } catch {
            // A missing tool, practice-dev or Chromium failing to start: one line, exit 1.
            JournalLogHandler.stderrSink("kioskd demo: \(error)\n")
            throw ExitCode(1)
        }
    }
}
