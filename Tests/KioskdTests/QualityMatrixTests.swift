import DevTools
import Foundation
import Testing
@testable import KioskCore

/// Issue 12's table, measured: the call through the network lab over seven links (loss, caps,
/// a delay line in the clinic's router, both directions), 30 s of media each, both directions
/// measured from both sides' own stats (Chromium's getStats, kioskd's `control stats`), beside
/// the Chromium ↔ Chromium figures of ../shared/notes/network-faults.md. Long: run by
/// `make bench` (KIOSKD_QUALITY_MATRIX=1, as root), never by `make test`, whose short version
/// is the 300 kbit/s tests of NetworkLabTests.
@Suite(.serialized, .enabled(if: NetworkLab.available && ProcessInfo.processInfo.environment["KIOSKD_QUALITY_MATRIX"] != nil,
                             "make bench runs it (KIOSKD_QUALITY_MATRIX=1, root)"))
struct QualityMatrixTests {
    struct Link: Sendable {
        var name: String
        var loss: Double = 0
        var kbit: Int?
        var delay = 0
        /// Two Chromiums on the same link: fps / frozen s / audio concealed %.
        var chromiumPair: String
    }

    static let links = [
        Link(name: "clean", chromiumPair: "30 / 0 / 0.1"),
        Link(name: "5 % loss", loss: 5, chromiumPair: "30 / 0 / 4.2"),
        Link(name: "10 % loss", loss: 10, chromiumPair: "30 / 0 / 7.3"),
        Link(name: "10 % loss + 500 kbit/s", loss: 10, kbit: 500, chromiumPair: "29.0 / 0 / 7.8"),
        Link(name: "300 kbit/s", kbit: 300, chromiumPair: "26.2 / 0.97 / 0.9"),
        Link(name: "100 ms RTT + 5 % loss", loss: 5, delay: 50, chromiumPair: "29.9 / 0.22 / 4.4"),
        Link(name: "100 ms RTT + 10 % loss", loss: 10, delay: 50, chromiumPair: "29.9 / 0.44 / 7.1"),
    ]

    static let seconds = Int(ProcessInfo.processInfo.environment["KIOSKD_QUALITY_SECONDS"] ?? "") ?? 30

    /// One direction over the measured stretch.
    struct Direction {
        var fps = 0.0, frozen = 0.0, freezes = 0, concealed = 0.0, plis = 0, jitterBufferMs: Double?
        var cell: String {
            String(format: "%.1f / %.2f / %.1f", fps, frozen, concealed) + " (\(freezes) frz, \(plis) PLI"
                + (jitterBufferMs.map { String(format: ", jb %.0f ms", $0) } ?? "") + ")"
        }
    }

    /// Chromium's inbound figures now (video and audio).
    static func browserSide(_ page: ChromiumPage) async throws -> JSONValue {
        try await page.evaluate("window.telehealth.stats().then(s => s.inbound)")
    }

    static func measure(_ link: Link, index: Int) async throws -> (toClinician: Direction, toKiosk: Direction, note: String) {
        var result: (Direction, Direction, String) = (Direction(), Direction(), "")
        // KIOSKD_QUALITY_CALL adds lines to the kiosk's [call] table, for comparisons
        // (e.g. `max_video_bitrate_kbps = 150`).
        let callSettings = ProcessInfo.processInfo.environment["KIOSKD_QUALITY_CALL"] ?? ""
        try await NetworkLabTests.scenario("net-q\(index)", restTURN: false, network: {
            try $0.impair(lossPercent: link.loss, kbit: link.kbit, delayMilliseconds: link.delay)
        }, callSettings: { _ in callSettings }) { lab, _, kiosk, page in
            try await NetworkLabTests.call(kiosk, page)
            let kioskPid = [kiosk.process.processIdentifier]
            let k0 = try kiosk.control.stats(), b0 = try await browserSide(page)
            let drawn0 = try kiosk.control.status().framesPresented
            let kc0 = ProcessCost.of(kioskPid), cc0 = ProcessCost.of(ProcessCost.pids(commandLineContaining: "devtools-chromium-"))
            try await Task.sleep(for: .seconds(seconds))
            let k1 = try kiosk.control.stats(), b1 = try await browserSide(page)
            let drawn1 = try kiosk.control.status().framesPresented
            let kc1 = ProcessCost.of(kioskPid), cc1 = ProcessCost.of(ProcessCost.pids(commandLineContaining: "devtools-chromium-"))
            let t = Double(seconds)
            func d(_ key: String, _ kind: String) -> Double { (b1[kind][key].double ?? 0) - (b0[kind][key].double ?? 0) }
            var toClinician = Direction()
            toClinician.fps = d("framesDecoded", "video") / t
            toClinician.frozen = d("totalFreezesDuration", "video")
            toClinician.freezes = Int(d("freezeCount", "video"))
            toClinician.concealed = 100 * d("concealedSamples", "audio") / max(1, d("totalSamplesReceived", "audio"))
            toClinician.plis = Int(d("pliCount", "video"))
            let emitted = d("jitterBufferEmittedCount", "video")
            toClinician.jitterBufferMs = emitted > 0 ? 1000 * d("jitterBufferDelay", "video") / emitted : nil
            var toKiosk = Direction()
            toKiosk.fps = Double(k1.inboundVideo.framesDecoded - k0.inboundVideo.framesDecoded) / t
            toKiosk.frozen = k1.inboundVideo.totalFreezesDuration - k0.inboundVideo.totalFreezesDuration
            toKiosk.freezes = k1.inboundVideo.freezeCount - k0.inboundVideo.freezeCount
            toKiosk.concealed = 100 * Double(k1.inboundAudio.concealedSamples - k0.inboundAudio.concealedSamples)
                / Double(max(1, k1.inboundAudio.totalSamplesReceived - k0.inboundAudio.totalSamplesReceived))
            toKiosk.plis = k1.inboundVideo.pliCount - k0.inboundVideo.pliCount
            let kioskEmitted = k1.inboundVideo.jitterBufferEmittedCount - k0.inboundVideo.jitterBufferEmittedCount
            toKiosk.jitterBufferMs = kioskEmitted > 0
                ? 1000 * (k1.inboundVideo.jitterBufferDelay - k0.inboundVideo.jitterBufferDelay) / Double(kioskEmitted) : nil
            let fec = k1.inboundAudio.packetsRecoveredByFEC - k0.inboundAudio.packetsRecoveredByFEC
            let v0 = k0.inboundVideo, v1 = k1.inboundVideo
            let kioskIn = "kiosk in: \(v1.packetsReceived - v0.packetsReceived) pkts, \(v1.packetsLost - v0.packetsLost) lost, "
                + "\(v1.retransmittedPacketsReceived - v0.retransmittedPacketsReceived) repaired, \(v1.nackCount - v0.nackCount) NACKs, "
                + "\(v1.framesDropped - v0.framesDropped) frames dropped, \(v1.keyFramesDecoded - v0.keyFramesDecoded) keyframes"
                + " (incomplete \(v1.framesDroppedIncomplete - v0.framesDroppedIncomplete), no reference "
                + "\(v1.framesDroppedNoReference - v0.framesDroppedNoReference), decode errors \(v1.decodeErrors - v0.decodeErrors)), NACK give-ups \(v1.nackGiveUps - v0.nackGiveUps), padding \(v1.paddingPacketsReceived - v0.paddingPacketsReceived), repaired on RTX \(v1.retransmittedPacketsReceivedOnRTX - v0.retransmittedPacketsReceivedOnRTX), rebuilt from FEC \(v1.packetsRecoveredByFEC - v0.packetsRecoveredByFEC) (\(v1.fecPacketsReceived - v0.fecPacketsReceived) FEC packets)"
            let out = try await page.evaluate("window.telehealth.stats().then(s => s.outbound.video)")
            let width = out["frameWidth"].int ?? 0, height = out["frameHeight"].int ?? 0
            let remote = try await page.evaluate("window.telehealth.stats().then(s => s.remoteInbound?.video || {})")
            let chromiumRTT = remote["roundTripTime"].double.map { String(format: "%.0f ms", $0 * 1000) } ?? "none"
            let chromiumOut = "Chromium out: \(width)x\(height) at \((out["targetBitrate"].int ?? 0) / 1000) kbit/s, "
                + "\(out["retransmittedPacketsSent"].int ?? -1) resent for \(out["nackCount"].int ?? -1) NACKs received, its RTT from the kiosk's reports \(chromiumRTT), "
                + String(format: "%.0f ms average in its pacer", 1000 * (out["totalPacketSendDelay"].double ?? 0) / max(1, out["packetsSent"].double ?? 1))
                + ", quality limited by \(out["qualityLimitationReason"].string ?? "?")"
            let clinicianIn = "Chromium in: \(Int(d("framesReceived", "video"))) frames received, \(Int(d("framesDropped", "video"))) dropped, "
                + "\(Int(d("packetsLost", "video"))) lost, \(Int(d("nackCount", "video"))) NACKs, \(Int(d("retransmittedPacketsReceived", "video"))) repaired, \(Int(d("fecPacketsReceived", "video"))) FEC received (\(Int(d("fecPacketsDiscarded", "video"))) unused)"
            let drops = link.loss > 0 ? (try? lab.impairmentDrops()) ?? -1 : 0
            let tail = link.kbit != nil ? (try? lab.bucketDrops()).map { "; the caps dropped \($0.toKiosk) of the kiosk's packets, \($0.toClinician) of Chromium's" } ?? "" : ""
            // Issue 13's figures: glass to glass both ways (the page's stamps and the kiosk's,
            // over the last minute), and the two sides of the same call as the machine pays for them.
            let toPage = try await page.evaluate("window.telehealth.glassToGlass()")
            let toKioskG2G = k1.inboundVideo.glassToGlass ?? GlassToGlass.Summary()
            func ms(_ v: Double?) -> String { v.map { String(format: "%.0f", $0) } ?? "-" }
            let glass = "glass to glass p50/p95: kiosk → page \(ms(toPage["p50Ms"].double))/\(ms(toPage["p95Ms"].double)) ms "
                + "(\(toPage["samples"].int ?? 0) frames), page → kiosk \(ms(toKioskG2G.p50Ms))/\(ms(toKioskG2G.p95Ms)) ms (\(toKioskG2G.samples))"
            print("quality matrix, \(link.name): \(glass)")
            let kioskCPU = kc1.cpuPer20Seconds(since: kc0, over: t), browserCPU = cc1.cpuPer20Seconds(since: cc0, over: t)
            let cost = String(format: "cost: kioskd %.2f CPU-s per 20 s (%.1f screens composed a second), %.1f MB PSS; Chromium (%d processes) %.2f CPU-s per 20 s, %.1f MB PSS; ratio %.1f× CPU, %.1f× memory",
                              kioskCPU, Double(drawn1 - drawn0) / t, kc1.pssMB, cc1.processes, browserCPU, cc1.pssMB, browserCPU / max(0.01, kioskCPU), cc1.pssMB / max(0.1, kc1.pssMB))
            print("quality matrix, \(link.name): \(cost) (\(KioskdProcess.binary.path))")
            result = (toClinician, toKiosk, glass + "; " + cost + "; kiosk target \(k1.transport.availableOutgoingBitrate / 1000) kbit/s (REMB "
                      + "\(k1.transport.remoteEstimatedBitrate.map { String($0 / 1000) } ?? "none"), delay-based \(k1.transport.delayBasedEstimate.map { String($0 / 1000) } ?? "none"), "
                      + "\(k1.transport.delayOveruses - k0.transport.delayOveruses) overuses, \(k1.transport.sendRateDecreases - k0.transport.sendRateDecreases) backoffs; "
                      + "Chromium capped at \(k1.transport.receiveCap.map { String($0 / 1000) } ?? "nothing"), \(k1.transport.receiveCapCuts - k0.transport.receiveCapCuts) cuts), "
                      + "\(k1.outboundVideo.frameWidth)x\(k1.outboundVideo.frameHeight); kiosk rebuilt \(fec) audio packets by FEC and \(k1.inboundAudio.packetsRecoveredByRED - k0.inboundAudio.packetsRecoveredByRED) by RED, sent \(k1.outboundAudio.redundantPacketsSent - k0.outboundAudio.redundantPacketsSent) as RED; "
                      + "RTT \(k1.transport.currentRoundTripTime.map { String(format: "%.0f ms", $0 * 1000) } ?? "?"); link dropped \(drops)\(tail); "
                      + kioskIn + "; " + chromiumOut + "; " + clinicianIn + ", kiosk resent \(k1.outboundVideo.retransmittedPacketsSent - k0.outboundVideo.retransmittedPacketsSent), FEC \(k1.outboundVideo.fecPacketsSent - k0.outboundVideo.fecPacketsSent) (\(k1.outboundVideo.fecProtectionPercent) % at the end), "
                      + "encoded \(k1.outboundVideo.framesEncoded - k0.outboundVideo.framesEncoded) frames of \(k1.outboundVideo.framesCaptured - k0.outboundVideo.framesCaptured) captured (\(k1.outboundVideo.framesDroppedByEncoder - k0.outboundVideo.framesDroppedByEncoder) dropped by the encoder)")
        }
        return result
    }

    @Test(.timeLimit(.minutes(30))) func theSevenLinks() async throws {
        var rows = ["| link | Chromium ↔ Chromium | Chromium receiving kioskd | kioskd receiving Chromium | notes |",
                    "| --- | --- | --- | --- | --- |"]
        // KIOSKD_QUALITY_LINKS=1,4 measures only those rows (0 = clean).
        let only = ProcessInfo.processInfo.environment["KIOSKD_QUALITY_LINKS"]?.split(separator: ",").compactMap { Int($0) }
        for (i, link) in Self.links.enumerated() where only?.contains(i) ?? true {
            let m = try await Self.measure(link, index: i)
            let row = "| \(link.name) | \(link.chromiumPair) | \(m.toClinician.cell) | \(m.toKiosk.cell) | \(m.note) |"
            print("quality matrix: \(row)")
            rows.append(row)
            #expect(m.toClinician.fps > 0 && m.toKiosk.fps > 0, "media both ways on \(link.name)")
        }
        let table = (["\(Self.seconds) s per call; fps / frozen s / audio concealed % (freezes, PLIs sent by the receiver, video jitter-buffer delay)"] + rows)
            .joined(separator: "\n")
        print(table)
        try table.write(toFile: FileManager.default.temporaryDirectory.appendingPathComponent("kioskd-quality-matrix.md").path,
                        atomically: true, encoding: .utf8)
    }
}
