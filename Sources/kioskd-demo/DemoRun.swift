import DevTools
import Devices
import Foundation
import KioskCore
import Logging
import Media
import Render
import SessionCore
import SessionPeer
import Signaling

/// One demonstration (or interop test) call, start to finish.
struct DemoRun {
    var seconds: Int
    var out: String
    var kioskOffers: Bool
    var startBrowser: Bool
    /// Stops the practice endpoint this many seconds into the call, to show that media keeps
    /// flowing peer to peer while signaling is gone.
    var stopSignalingAfter: Int? = nil
    /// Restarts ICE this many seconds into the call, as a network change would (the kiosk's
    /// engine reports the need; the kiosk re-offers or asks the clinician's page to).
    var iceRestartAfter: Int? = nil
    /// Through Debian's coturn on loopback: the practice hands its credentials out in the
    /// welcome and the kiosk offers and pairs relay candidates only. The transport is how the
    /// kiosk reaches coturn (UDP, TCP, or TLS with a throwaway certificate the kiosk trusts).
    var relay: CoturnProcess.Transport? = nil
    var logger: Logger

    struct Summary: Codable {
        var seconds: Int
        var offerer: String
        var kiosk: KioskSide
        var clinician: ClinicianSide?
        var ok: Bool
        var verdict: String
        /// Frames the kiosk had decoded when the endpoint was stopped (if it was).
        var framesDecodedWhenSignalingStopped: Int?
        /// With `--relay`: the allocations coturn granted.
        var relayAllocations: Int?
        /// With `--relay`: how the kiosk reached coturn, and the TCP/TLS connections coturn
        /// accepted (its only listener in those variants, so the allocations came over them).
        var relayTransport: String?
        var relayStreamConnections: Int?
        /// coturn's listeners ("TCP", "TLS", "UDP") and its sessions over TLS.
        var relayListeners: [String]?
        var relayTLSSessions: Int?
        /// With `--ice-restart-after`: the frames both sides decoded around the restart.
        var iceRestart: ICERestartSide?

        struct ICERestartSide: Codable {
            var atSecond: Int
            var kioskFramesDecodedAtRestart: Int
            var kioskFramesDecodedFiveSecondsLater: Int?
            var clinicianFramesDecodedAtRestart: Int
            var clinicianFramesDecodedFiveSecondsLater: Int?
            /// Chromium's `transport.selectedCandidatePairChanges` before and 5 s after.
            var clinicianPairChangesAtRestart: Int
            var clinicianPairChangesFiveSecondsLater: Int?
        }

        struct KioskSide: Codable {
            var state: String
            var dtlsVersion: String?
            var srtpProfile: String?
            var transport: PeerStats?
            var media: MediaPipeline.Counters
            /// The call's quality figures as `kioskd control stats --json` gives them, taken
            /// when the clinician's were.
            var stats: CallStats
            var snapshots: [String]
            /// The kiosk's screens as the patient saw them (appointment, device check, call, ended).
            var screens: [String]
            var error: String?
        }

        struct ClinicianSide: Codable {
            var videoFramesDecoded: Int
            var videoFramesSent: Int
            var audioPacketsReceived: Int
            var audioLevel: Double
            var totalAudioEnergy: Double
            var frameWidth: Int
            var frameHeight: Int
            var roundTripMilliseconds: Double?
            var dtlsVersion: String?
            var srtpCipher: String?
            var consoleErrors: [String]
            /// The kiosk's stamped frames, capture to the page's screen.
            var glassToGlass: GlassToGlass.Summary?
        }
    }

    func run() async throws -> Summary {
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let binDir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        let coturn = try relay.map { try CoturnProcess(transport: $0) }
        defer { coturn?.stop() }
        let iceServer = coturn.map { ["--ice-server", "\($0.url),\($0.username),\($0.password)"] } ?? []
        let practice = try PracticeDevProcess(executableDirectory: binDir, arguments: iceServer)
        defer { practice.stop() }
        // stamped=1: both sides' cameras carry capture stamps, so both measure glass to glass.
        let pageURL = "\(practice.baseURL)/?clinician=dr-demo&appointment=demo-1&autojoin=1&statsLog=1&stamped=1&offer=\(kioskOffers ? 0 : 1)"
        print("demo: practice endpoint at \(practice.baseURL); clinician page: \(pageURL)")

        let camera = SyntheticCamera(request: CameraRequest(width: 640, height: 480, fps: 30))
        camera.stampOffsetNanos = GlassToGlass.stampOffsetNanos
        let media = MediaPipeline(camera: camera,
                                  microphone: SyntheticMicrophone(frequency: 440, levelDBFS: -12),
                                  cameraName: "Test pattern (synthetic)", microphoneName: "Test tone (synthetic)",
                                  videoBitrateKbps: 800, audioBitrateKbps: 32, logger: logger)
        let link = SignalingLink(url: practice.signalingURL,
                                 hello: SignalingHello(role: .kiosk, kioskId: "kiosk-1", token: "dev", software: "kioskd/\(KioskdVersion.string)"),
                                 logger: logger)
        let loopback = TransportAddress(host: "127.0.0.1", port: 0)!
        let events = AsyncStream<CallEvent>.makeStream()
        var peer = PeerConfiguration(localAddresses: [loopback])
        if relay != nil { peer.ice.transportPolicy = .relay }
        let call = KioskCall(link: link, media: media,
                             options: .init(peer: peer, turnCAFile: coturn?.certificateFile),
                             logger: logger, observer: { events.1.yield($0) })
        // The kiosk's own flow and screens, drawn off-screen; the demo taps for the patient.
        let size = PixelSize(width: 1280, height: 720)
        let screen = ScreenLoop(openDisplay: {
            (try? ScreenPainter()).map { OffscreenDisplay(size: size, compositor: Compositor(painter: $0)) }
        }, assumedSize: size, media: media, logger: logger)
        let controller = KioskController(call: call, media: media, screen: screen, callEvents: events, logger: logger)
        let flowTask = Task { await controller.run() }
        defer { flowTask.cancel() }

        let browser = startBrowser ? try await ChromiumClinician.start(url: pageURL) : nil
        do {
            var summary = try await runCall(practice: practice, media: media, call: call, screen: screen,
                                            controller: controller, flowTask: flowTask, browser: browser)
            await browser?.stop()
            if let coturn {
                summary.relayAllocations = coturn.allocations
                summary.relayTransport = coturn.transport.rawValue
                summary.relayStreamConnections = coturn.streamConnections
                summary.relayListeners = coturn.listeners
                summary.relayTLSSessions = coturn.tlsSessions
                let relayed = summary.kiosk.transport?.selectedPair?.hasPrefix("relay-") == true
                if !relayed { summary.ok = false; summary.verdict += "; the call did not run through the relay" }
            }
            try write(summary)
            return summary
        } catch {
            await browser?.stop()
            throw error
        }
    }

    /// The patient's taps, the call itself, the snapshots and the summary.
    private func runCall(practice: PracticeDevProcess, media: MediaPipeline, call: KioskCall, screen: ScreenLoop,
                         controller: KioskController, flowTask: Task<Void, Never>,
                         browser: ChromiumClinician?) async throws -> Summary {

        var screens: [String] = []
        func capture(_ name: String) async {
            let png = await screen.screenshot()
            let path = "\(out)/screen-\(name).png"
            if !png.isEmpty, (try? RenderFileError.writeFile(png, to: path)) != nil { screens.append(path) }
        }
        // The patient sees the appointment, taps Join, checks the devices, taps Continue.
        if try await press(.join, on: controller, screen: screen, timeout: .seconds(20), before: { await capture("1-appointment") }) {
            _ = try await press(.continueToCall, on: controller, screen: screen, timeout: .seconds(10),
                                before: { try? await Task.sleep(for: .milliseconds(500)); await capture("2-device-check") })
        }
        // Wait for the call (up to 20 s), then run it for `seconds`, snapshotting once a second.
        var waited = 0
        while await call.state != "in-call" && waited < 200 {
            try await Task.sleep(for: .milliseconds(100))
            waited += 1
        }
        var snapshots: [String] = []
        var framesAtStop: Int?
        var restart: Summary.ICERestartSide?
        func browserCounts() -> (frames: Int, pairChanges: Int) {
            let stats = browser?.stats ?? [:]
            let video = (stats["inbound"] as? [String: Any])?["video"] as? [String: Any] ?? [:]
            let transport = stats["transport"] as? [String: Any] ?? [:]
            return ((video["framesDecoded"] as? NSNumber)?.intValue ?? 0,
                    (transport["selectedCandidatePairChanges"] as? NSNumber)?.intValue ?? 0)
        }
        for second in 0..<seconds {
            if second == stopSignalingAfter {
                practice.stop()
                framesAtStop = media.counters.videoFramesDecoded
                print("demo: practice endpoint stopped at \(second) s; the call goes on peer to peer")
            }
            if second == iceRestartAfter {
                let b = browserCounts()
                restart = .init(atSecond: second, kioskFramesDecodedAtRestart: media.counters.videoFramesDecoded,
                                clinicianFramesDecodedAtRestart: b.frames, clinicianPairChangesAtRestart: b.pairChanges)
                await call.requestICERestart()
                print("demo: ICE restart requested at \(second) s")
            }
            if let r = restart, second == r.atSecond + 5 {
                let b = browserCounts()
                restart?.kioskFramesDecodedFiveSecondsLater = media.counters.videoFramesDecoded
                restart?.clinicianFramesDecodedFiveSecondsLater = b.frames
                restart?.clinicianPairChangesFiveSecondsLater = b.pairChanges
            }
            try await Task.sleep(for: .seconds(1))
            if let frame = media.latestRemoteFrame {
                let path = "\(out)/remote-\(String(format: "%03d", second)).png"
                try? FrameSnapshot.writePNG(frame, to: path)
                snapshots.append(path)
            }
        }
        await capture("3-in-call")
        let peerStats = await call.stats()
        let callStats = await call.callStats()
        let security = await call.security
        let clinician = browser.map { Self.clinicianSide($0) }
        // The patient ends the visit: the kiosk shows the ended screen with Rejoin.
        if try await press(.endCall, on: controller, screen: screen, timeout: .seconds(5), before: {}) {
            try await Task.sleep(for: .milliseconds(300))
            await capture("4-ended")
        }
        flowTask.cancel()
        await flowTask.value

        let counters = media.counters
        func ms(_ v: Double?) -> String { v.map { String(format: "%.0f ms", $0) } ?? "-" }
        let toPage = clinician?.glassToGlass, toKiosk = counters.glassToGlass
        print("demo: glass to glass (capture to screen, p50 / p95): kiosk → clinician page \(ms(toPage?.p50Ms)) / \(ms(toPage?.p95Ms)) "
              + "over \(toPage?.samples ?? 0) frames; clinician page → kiosk \(ms(toKiosk.p50Ms)) / \(ms(toKiosk.p95Ms)) over \(toKiosk.samples) frames")
        let kioskOK = counters.videoFramesDecoded > 0 && (peerStats?.audioPacketsReceived ?? 0) > 0 && security != nil
        let browserOK = clinician.map { $0.videoFramesDecoded > 0 && $0.audioPacketsReceived > 0 } ?? true
        let ok = kioskOK && browserOK
        let verdict = ok
            ? "call ran \(seconds) s: kiosk decoded \(counters.videoFramesDecoded) frames (\(counters.decodedWidth)x\(counters.decodedHeight)), clinician decoded \(clinician?.videoFramesDecoded ?? 0); \(security?.dtlsVersion ?? "?") \(security.map { "\($0.srtpProfile)" } ?? "?")"
            : "call did not carry media both ways (state \(await call.state), error \(await call.lastError ?? "none"))"
        let summary = Summary(
            seconds: seconds, offerer: kioskOffers ? "kiosk" : "clinician",
            kiosk: .init(state: await call.state, dtlsVersion: security?.dtlsVersion, srtpProfile: security.map { "\($0.srtpProfile)" },
                         transport: peerStats, media: counters, stats: callStats, snapshots: snapshots, screens: screens, error: await call.lastError),
            clinician: clinician, ok: ok, verdict: verdict, framesDecodedWhenSignalingStopped: framesAtStop,
            iceRestart: restart)
        return summary
    }

    private func write(_ summary: Summary) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(summary).write(to: URL(fileURLWithPath: "\(out)/summary.json"))
    }

    /// Taps the middle of `button` once it is on screen (a first tap wakes a hidden tray).
    private func press(_ button: KioskButton, on controller: KioskController, screen: ScreenLoop, timeout: Duration,
                       before: () async -> Void) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let b = screen.layout?.buttons.first(where: { $0.button == button }) {
                await before()
                return await controller.tap(x: b.frame.x + b.frame.width / 2, y: b.frame.y + b.frame.height / 2) == button
            }
            if screen.presentedName == "in-call" { await controller.tap(x: 1, y: 1) }
            try await Task.sleep(for: .milliseconds(100))
        }
        logger.warning("demo: no button on screen", metadata: ["button": "\(button.rawValue)"])
        return false
    }

    static func clinicianSide(_ browser: ChromiumClinician) -> Summary.ClinicianSide {
        let stats = browser.stats ?? [:]
        let inbound = stats["inbound"] as? [String: Any] ?? [:]
        let outbound = stats["outbound"] as? [String: Any] ?? [:]
        let video = inbound["video"] as? [String: Any] ?? [:]
        let audio = inbound["audio"] as? [String: Any] ?? [:]
        let sentVideo = outbound["video"] as? [String: Any] ?? [:]
        let pair = stats["candidatePair"] as? [String: Any] ?? [:]
        let transport = stats["transport"] as? [String: Any] ?? [:]
        func int(_ d: [String: Any], _ k: String) -> Int { (d[k] as? NSNumber)?.intValue ?? 0 }
        func double(_ d: [String: Any], _ k: String) -> Double { (d[k] as? NSNumber)?.doubleValue ?? 0 }
        var glass: GlassToGlass.Summary?
        if let g = stats["glassToGlass"] as? [String: Any] {
            var s = GlassToGlass.Summary()
            s.samples = int(g, "samples")
            s.p50Ms = (g["p50Ms"] as? NSNumber)?.doubleValue
            s.p95Ms = (g["p95Ms"] as? NSNumber)?.doubleValue
            glass = s
        }
        return .init(
            videoFramesDecoded: int(video, "framesDecoded"), videoFramesSent: int(sentVideo, "framesSent"),
            audioPacketsReceived: int(audio, "packetsReceived"), audioLevel: double(audio, "audioLevel"),
            totalAudioEnergy: double(audio, "totalAudioEnergy"),
            frameWidth: int(video, "frameWidth"), frameHeight: int(video, "frameHeight"),
            roundTripMilliseconds: (pair["currentRoundTripTime"] as? NSNumber).map { $0.doubleValue * 1000 },
            dtlsVersion: transport["tlsVersion"] as? String, srtpCipher: transport["srtpCipher"] as? String,
            consoleErrors: browser.consoleErrors, glassToGlass: glass)
    }
}
