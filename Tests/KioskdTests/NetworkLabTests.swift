import DevTools
import Foundation
import Testing
@testable import KioskCore

/// The call across real networks (`NetworkLab`): practice-dev in production mode (TLS, sign-in,
/// a token per kiosk, TURN REST credentials in the welcome) and Debian's coturn on "the
/// internet", `kioskd run` behind the clinic's router or NAT, the clinician in headless Chromium
/// on another network. Root only (network namespaces); each test builds and removes the lab.
@Suite(.serialized, .enabled(if: NetworkLab.available, "needs root, iproute2 and nftables (scripts/deps.sh test)"))
struct NetworkLabTests {
    static let clinician = "dr-net", clinicianPassword = "net clinician pw", desk = "desk-net", deskPassword = "net frontdesk pw"
    static let kioskId = "kiosk-net"
    static let practicePort = 8443, turnPort = 3478

    /// Everything on the core side, started once per test.
    final class Practice: @unchecked Sendable {
        let dir: String
        let coturn: NamespacedProcess
        let practice: NamespacedProcess
        let kioskToken: String
        let turnSecret = UUID().uuidString
        var certificate: String { "\(dir)/cert.pem" }

        /// - Parameters: `restTURN` hands TURN REST credentials out in the welcome (else no
        ///   TURN); `turnURLs` are the servers they are for (coturn listens on UDP and TCP 3478
        ///   and TLS 443).
        init(restTURN: Bool = true, turnURLs: [String] = ["turn:\(NetworkLab.coreAddress):\(NetworkLabTests.turnPort)?transport=udp"]) throws {
            dir = FileManager.default.temporaryDirectory.appendingPathComponent("netlab-\(UUID().uuidString.prefix(8))").path
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            try NetworkLab.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                                "-days", "1", "-subj", "/CN=\(NetworkLab.practiceHost)",
                                "-addext", "subjectAltName=DNS:\(NetworkLab.practiceHost),DNS:\(NetworkLab.turnHost)",
                                "-keyout", "\(dir)/key.pem", "-out", "\(dir)/cert.pem"])
            let tool = KioskdProcess.buildDirectory.appendingPathComponent("practice-dev").path
            let clinicianHash = try NetworkLab.run([tool, "hash-password"], input: NetworkLabTests.clinicianPassword)
            let deskHash = try NetworkLab.run([tool, "hash-password"], input: NetworkLabTests.deskPassword)
            try "\(NetworkLabTests.clinician) clinician \(clinicianHash.trimmed)\n\(NetworkLabTests.desk) frontdesk \(deskHash.trimmed)\n"
                .write(toFile: "\(dir)/users", atomically: true, encoding: .utf8)
            let token = try NetworkLab.run([tool, "new-kiosk-token", NetworkLabTests.kioskId]).split(separator: "\n")
            kioskToken = String(token[0])
            try "\(token[1])\n".write(toFile: "\(dir)/kiosks", atomically: true, encoding: .utf8)
            try turnSecret.write(toFile: "\(dir)/turn-secret", atomically: true, encoding: .utf8)

            coturn = try NamespacedProcess(namespace: NetworkLab.core, [
                "stdbuf", "-oL", "/usr/bin/turnserver", "-n", "--no-cli",
                "--listening-ip", NetworkLab.coreAddress, "--relay-ip", NetworkLab.relayAddress,
                "--listening-port", String(NetworkLabTests.turnPort), "--min-port", "49160", "--max-port", "49260",
                "--use-auth-secret", "--static-auth-secret", turnSecret, "--realm", "kiosk.test",
                "--tls-listening-port", "443", "--cert", "\(dir)/cert.pem", "--pkey", "\(dir)/key.pem",
                "--no-dtls", "--no-software-attribute", "--log-file", "stdout", "--simple-log", "--verbose",
            ], name: "coturn", readyWhen: "listener opened on")
            practice = try NamespacedProcess(namespace: NetworkLab.core, [
                tool, "--host", "0.0.0.0", "--port", String(NetworkLabTests.practicePort),
                "--tls-cert", "\(dir)/cert.pem", "--tls-key", "\(dir)/key.pem",
                "--users", "\(dir)/users", "--kiosks", "\(dir)/kiosks",
            ] + (restTURN ? turnURLs.flatMap { ["--turn-url", $0] } + [
                "--turn-secret-file", "\(dir)/turn-secret", "--turn-ttl", "600",
            ] : []), name: "practice", readyWhen: "listening")
        }

        var baseURL: String { "https://\(NetworkLab.practiceHost):\(NetworkLabTests.practicePort)" }
        var signalingURL: String { "wss://\(NetworkLab.practiceHost):\(NetworkLabTests.practicePort)/ws" }

        /// coturn's successful allocations (its verbose log).
        var allocations: Int { coturn.log.components(separatedBy: "ALLOCATE processed, success").count - 1 }

        func stop() {
            practice.stop()
            coturn.stop()
            try? FileManager.default.removeItem(atPath: dir)
        }
    }

    /// The clinician's browser, in its own network.
    static func browserOptions() -> ChromiumBrowser.Options {
        var options = ChromiumBrowser.Options()
        options.networkNamespace = NetworkLab.clinician
        options.extraArguments = ["--ignore-certificate-errors", "--host-resolver-rules=MAP \(NetworkLab.practiceHost) \(NetworkLab.coreAddress)"]
        // For diagnosis by hand, e.g. KIOSKD_CHROMIUM_ARGS="--enable-logging --log-file=/tmp/c.log --v=1".
        if let more = ProcessInfo.processInfo.environment["KIOSKD_CHROMIUM_ARGS"] {
            options.extraArguments += more.split(separator: " ").map(String.init)
        }
        return options
    }

    /// The front desk books an appointment for now and sends it to the kiosk, then the
    /// clinician signs in and opens it (production mode: sessions, CSRF, roles).
    static func book(_ appointment: String, on page: ChromiumPage, _ practice: Practice) async throws {
        do {
            try await page.navigate("\(practice.baseURL)/")
        } catch {
            // A network that was just made may still settle (Chromium: ERR_NETWORK_CHANGED).
            try await Task.sleep(for: .seconds(1))
            try await page.navigate("\(practice.baseURL)/")
        }
        try await page.waitFor("document.readyState === 'complete'", timeout: .seconds(20))
        let booked = try await page.evaluate("""
            (async () => {
              const json = (method, path, body, csrf) => fetch(path, { method, headers: Object.assign({ 'Content-Type': 'application/json' },
                  csrf ? { 'X-CSRF-Token': csrf } : {}), body: body ? JSON.stringify(body) : undefined });
              const signIn = async (id, password) => (await (await json('POST', '/api/session', { id, password })).json()).csrfToken;
              let csrf = await signIn(\(JSONValue.string(desk)), \(JSONValue.string(deskPassword)));
              const made = await json('POST', '/api/appointments', { id: \(JSONValue.string(appointment)), type: 'Individual',
                  scheduledAt: new Date().toISOString().replace(/\\.\\d+Z$/, 'Z'), timeZone: 'America/Chicago', status: 'Scheduled',
                  patient: { name: 'Net Patient', portalAccount: true },
                  clinician: { id: \(JSONValue.string(clinician)), name: 'Dr. Net', role: 'Clinician' } }, csrf);
              const assigned = await json('POST', '/api/kiosks/\(kioskId)/assignment', { appointmentId: \(JSONValue.string(appointment)) }, csrf);
              await json('DELETE', '/api/session', null, csrf);
              await signIn(\(JSONValue.string(clinician)), \(JSONValue.string(clinicianPassword)));
              return [made.status, assigned.status];
            })()
            """, timeout: .seconds(30))
        #expect(booked == [201, 200], "front desk booking: \(booked)")
        // make bench's matrix runs the page in its stamped test mode: both directions' glass to glass.
        let stamped = ProcessInfo.processInfo.environment["KIOSKD_QUALITY_MATRIX"] != nil ? "&stamped=1" : ""
        try await page.navigate("\(practice.baseURL)/?appointment=\(appointment)&autojoin=1\(stamped)")
        try await page.waitFor("window.telehealth.state() === 'waiting'", timeout: .seconds(30))
    }

    /// Both sides in the call; the patient taps Join and Continue on the kiosk.
    static func call(_ kiosk: RunningKiosk, _ page: ChromiumPage) async throws {
        do { try await connect(kiosk, page) } catch {
            Issue.record("kioskd's log ends:\n\(kiosk.log.split(separator: "\n").suffix(15).joined(separator: "\n"))")
            throw error
        }
    }

    private static func connect(_ kiosk: RunningKiosk, _ page: ChromiumPage) async throws {
        let control = kiosk.control
        try await eventually("the kiosk shows the appointment", timeout: 30) { try control.status().screen == "appointment" }
        #expect(try control.press("join") == "join")
        try await eventually("device check with Continue") { try control.status().buttons.map(\.button) == ["continueToCall"] }
        #expect(try control.press("continueToCall") == "continueToCall")
        try await eventually("the kiosk is in the call", timeout: 30) { try control.status().screen == "in-call" }
        try await page.waitFor("window.telehealth.state() === 'in-call'", timeout: .seconds(20))
    }

    /// Media both ways for `seconds`: frames decoded on each side over that time.
    /// Frames decoded on each side in the next `seconds`, and how long Chromium's video froze.
    static func mediaFor(_ seconds: Int, _ kiosk: RunningKiosk, _ page: ChromiumPage) async throws
        -> (kiosk: Int, page: Int, pageFrozen: Double) {
        let frames = "window.telehealth.stats().then(s => s.inbound?.video?.framesDecoded || 0)"
        let frozen = "window.telehealth.stats().then(s => s.inbound?.video?.totalFreezesDuration || 0)"
        let k0 = try kiosk.control.status().call.videoFramesDecoded
        let p0 = try await page.evaluate(frames).int ?? 0
        let f0 = try await page.evaluate(frozen).double ?? 0
        try await Task.sleep(for: .seconds(seconds))
        let k1 = try kiosk.control.status().call.videoFramesDecoded
        let p1 = try await page.evaluate(frames).int ?? 0
        let f1 = try await page.evaluate(frozen).double ?? 0
        return (k1 - k0, p1 - p0, f1 - f0)
    }

    /// The number after `label` in tc's counters ("Sent 467784 bytes 1215 pkt (dropped 0, …").
    static func counter(_ label: String, in text: String, before end: String) -> Int {
        guard let r = text.range(of: label + " ") else { return -1 }
        let rest = text[r.upperBound...]
        if label == "Sent", let b = rest.range(of: "bytes ") {
            return Int(rest[b.upperBound...].prefix { $0.isNumber }) ?? -1
        }
        return Int(rest.prefix { $0.isNumber }) ?? -1
    }

    /// A call, then `cap` on the lab: frames decoded on each side in the 10 s after 5 s to settle.
    static func underACap(_ appointment: String, _ cap: @escaping (NetworkLab) throws -> Void,
                          _ body: @escaping (NetworkLab, RunningKiosk, ChromiumPage, (kiosk: Int, page: Int, pageFrozen: Double)) async throws -> Void)
        async throws {
        try await scenario(appointment) { lab, _, kiosk, page in
            try await call(kiosk, page)
            try cap(lab)
            _ = try await mediaFor(5, kiosk, page)
            try await body(lab, kiosk, page, try await mediaFor(10, kiosk, page))
        }
    }

    static func pagePair(_ page: ChromiumPage) async throws -> JSONValue {
        try await page.evaluate("window.telehealth.stats().then(s => s.candidatePair)")
    }

    /// One scenario: the lab shaped by `network`, the core's services, kioskd in the kiosk's
    /// network and Chromium in the clinician's, with `appointment` booked and opened.
    static func scenario(_ appointment: String, restTURN: Bool = true, turnURLs: [String]? = nil,
                         network: (NetworkLab) throws -> Void = { _ in },
                         callSettings: (Practice) throws -> String = { _ in "" },
                         _ body: (NetworkLab, Practice, RunningKiosk, ChromiumPage) async throws -> Void) async throws {
        let lab = try NetworkLab()
        try network(lab)
        let practice = try turnURLs.map { try Practice(restTURN: restTURN, turnURLs: $0) } ?? Practice(restTURN: restTURN)
        defer { practice.stop() }
        let kiosk = try RunningKiosk(signalingURL: practice.signalingURL, kioskId: kioskId, token: practice.kioskToken,
                                     practiceCA: practice.certificate, callSettings: try callSettings(practice),
                                     namespace: NetworkLab.kiosk)
        defer { kiosk.stop() }
        try await ChromiumBrowser.with(options: browserOptions()) { browser in
            let page = try await browser.firstPage()
            try await book(appointment, on: page, practice)
            try await body(lab, practice, kiosk, page)
        }
        withExtendedLifetime(lab) {}
    }

    /// The clinic's uplink capped at 300 kbit/s with a 100 ms queue, once the call runs: the
    /// kiosk's packets carry transport-wide numbers, Chromium's feedback about them drives the
    /// kiosk's delay-based estimate, and its pacer spreads the frames, so the clinician keeps
    /// seeing the patient without a freeze. Before the send rate controller Chromium decoded
    /// 0.2–0.4 frames a second from kioskd on this link (issue 12's table); with Chromium's
    /// REMB as the only delay signal 100–178 frames per 10 s.
    @Test(.timeLimit(.minutes(3))) func aThreeHundredKilobitClinicUplinkKeepsThePictureMoving() async throws {
        try await Self.underACap("apt-net-cap", { try $0.capKioskUplink(kbit: 300) }) { lab, kiosk, page, m in
            let call = try kiosk.control.status().call
            let queue = try lab.kioskUplinkQueue().split(separator: "\n").prefix(3).joined(separator: " | ")
            print("300 kbit/s uplink: Chromium decoded \(m.page) frames from the kiosk in 10 s (after 5 s), kiosk decoded \(m.kiosk); kiosk target \(call.targetBitrate.map(String.init) ?? "-"), REMB \(call.remoteEstimatedBitrate.map(String.init) ?? "-"), back-offs \(call.sendRateDecreases ?? -1); tbf: \(queue)")
            // Measured 217–251 (3 calls of 15 s at 22–25 fps, no freeze); the issue asks 250.
            #expect(m.page >= 150, "Chromium decoded \(m.page) frames from the kiosk in 10 s under the cap")
            // Chromium's own freeze count (webrtc-stats): measured 0 s in those calls.
            #expect(m.pageFrozen <= 1.0, "Chromium's video froze \(m.pageFrozen) s of the 10 s")
            let sent = Self.counter("Sent", in: queue, before: " pkt"), dropped = Self.counter("dropped", in: queue, before: ",")
            #expect(dropped * 100 <= sent, "the bucket dropped \(dropped) of \(sent) packets")
            #expect(call.targetBitrate != nil)
        }
    }

    /// The clinician's home uplink capped at 300 kbit/s: kioskd sends transport-wide feedback
    /// for every packet, so Chromium's own estimator (delay trend, loss, probing) fits its video
    /// to the link, and while the queue toward the kiosk stands, its REMB cuts Chromium further
    /// (StandingQueueLimit). Before the feedback kioskd decoded 0.9–1.9 frames a second from
    /// Chromium here (issue 12's table); with transport-cc alone Chromium kept the 100 ms queue
    /// full, 7–11 % of its packets were tail-dropped and kioskd's video froze 1.4–5.5 s per 10 s.
    /// (`dropped`/`sent` are printed for the comparison.)
    @Test(.timeLimit(.minutes(3))) func aThreeHundredKilobitClinicianUplinkIsFollowedByChromium() async throws {
        try await Self.scenario("apt-net-cap-clin") { lab, _, kiosk, page in
            try await Self.call(kiosk, page)
            // The link degrades mid-call: the kiosk has seen the path empty (a queue standing
            // from a call's first seconds is read as the path's own delay, StandingQueueLimit).
            try await Task.sleep(for: .seconds(3))
            try lab.capClinicianUplink(kbit: 300)
            _ = try await Self.mediaFor(5, kiosk, page)
            let s0 = try kiosk.control.stats(), q0 = try lab.clinicianUplinkQueue()
            let m = try await Self.mediaFor(10, kiosk, page)
            let s1 = try kiosk.control.stats(), q1 = try lab.clinicianUplinkQueue()
            let sent = Self.counter("Sent", in: q1, before: " pkt") - Self.counter("Sent", in: q0, before: " pkt")
            let dropped = Self.counter("dropped", in: q1, before: ",") - Self.counter("dropped", in: q0, before: ",")
            let frozen = s1.inboundVideo.totalFreezesDuration - s0.inboundVideo.totalFreezesDuration
            let outgoing = try await page.evaluate("window.telehealth.stats().then(s => s.candidatePair?.availableOutgoingBitrate || 0)")
            print("300 kbit/s clinician uplink: kiosk decoded \(m.kiosk) frames from Chromium in 10 s (after 5 s), froze \(frozen) s, Chromium decoded \(m.page); Chromium's estimate \(outgoing), capped by the kiosk at \(s1.transport.receiveCap.map(String.init) ?? "nothing") (\(s1.transport.receiveCapCuts) cuts); the bucket dropped \(dropped) of \(sent) packets")
            // Measured 225–243 (3 runs).
            #expect(m.kiosk >= 100, "kioskd decoded \(m.kiosk) frames from Chromium in 10 s under the cap")
            // The queue is seen and Chromium capped. What it buys varies from call to call: in
            // the 10 s, 0–78 of about 1050 packets dropped by the bucket with the cap (the
            // kiosk's video froze 0–3.8 s, median 0.7), 75–122 without it (1.4–5.5 s): too
            // close at the top to assert on.
            #expect(s1.transport.receiveCapCuts > 0, "the standing queue was seen")
        }
    }

    /// The direct path is dropped: kiosk and clinician meet relay to relay through coturn, with
    /// the time-limited credentials practice-dev handed both in their welcome.
    @Test(.timeLimit(.minutes(3))) func relayToRelayOverTURNUDPWithRESTCredentials() async throws {
        try await Self.scenario("net-relay", network: { try $0.blockDirectPath() }) { lab, practice, kiosk, page in
            try await Self.call(kiosk, page)
            let media = try await Self.mediaFor(10, kiosk, page)
            print("netlab relay/udp: 10 s of call: kiosk decoded \(media.kiosk) frames, Chromium \(media.page); coturn allocations \(practice.allocations)")
            #expect(media.kiosk > 100 && media.page > 100, "frames in 10 s: kiosk \(media.kiosk), Chromium \(media.page)")
            #expect(try kiosk.control.status().call.selectedPair == "relay-relay")
            let pair = try await Self.pagePair(page)
            #expect(pair["localCandidateType"].string == "relay" && pair["remoteCandidateType"].string == "relay", "Chromium's pair: \(pair)")
            #expect(practice.allocations >= 2, "both sides allocated on coturn: \(practice.allocations)")
            #expect(!kiosk.log.contains("Net Patient") && !kiosk.log.contains(practice.kioskToken) && !kiosk.log.contains(practice.turnSecret))
        }
    }

    /// The clinic's network lets no UDP out, only TCP: the kiosk reaches coturn over TURN/TCP
    /// (port 3478) or TURN/TLS (port 443, the certificate checked against `call.turn_ca_file`),
    /// the clinician over UDP, and the call runs relay to relay.
    @Test(.timeLimit(.minutes(3)), arguments: ["tcp", "tls"])
    func relayToRelayOverTURNStreamsWhenTheClinicBlocksUDP(transport: String) async throws {
        let stream = transport == "tls" ? "turns:\(NetworkLab.turnHost):443?transport=tcp"
                                        : "turn:\(NetworkLab.coreAddress):\(Self.turnPort)?transport=tcp"
        let udp = "turn:\(NetworkLab.coreAddress):\(Self.turnPort)?transport=udp"
        try await Self.scenario("net-\(transport)", turnURLs: [udp, stream], network: {
            try $0.blockDirectPath()
            try $0.blockUDPFromTheClinic()
        }, callSettings: { "turn_ca_file = \"\($0.certificate)\"" }) { _, practice, kiosk, page in
            try await Self.call(kiosk, page)
            let media = try await Self.mediaFor(10, kiosk, page)
            let kioskSessions = practice.coturn.log.split(separator: "\n").filter { $0.contains(":\(Self.kioskId)>") }
            print("netlab relay/\(transport): 10 s: kiosk decoded \(media.kiosk) frames, Chromium \(media.page); coturn on the kiosk: \(kioskSessions.filter { $0.contains("new,") })")
            #expect(media.kiosk > 100 && media.page > 100, "frames in 10 s: kiosk \(media.kiosk), Chromium \(media.page)")
            #expect(try kiosk.control.status().call.selectedPair == "relay-relay")
            #expect(kioskSessions.contains { $0.contains("ALLOCATE processed, success") }, "the kiosk allocated, with no UDP out")
            if transport == "tls" {
                #expect(kioskSessions.contains { $0.contains("new,") && $0.contains("method=TLS") }, "over TLS: \(kioskSessions.prefix(3))")
            }
            #expect(kiosk.log.contains("TURN relay failed") && kiosk.log.contains("transport=udp"), "the UDP relay failed, said so")
        }
    }

    /// The kiosk behind a masquerading NAT, the clinician on a public address: the kiosk learns
    /// its public address from STUN and the call runs on it, no relay.
    @Test(.timeLimit(.minutes(3))) func serverReflexivePairThroughAMasqueradingNAT() async throws {
        try await Self.scenario("net-nat", network: { try $0.masquerade() }) { lab, practice, kiosk, page in
            try await Self.call(kiosk, page)
            let media = try await Self.mediaFor(5, kiosk, page)
            let pair = try await Self.pagePair(page)
            let kioskPair = try kiosk.control.status().call.selectedPair
            print("netlab NAT: kiosk ICE \(try kiosk.control.status().call.iceSummary ?? "-")")
            print("netlab NAT: Chromium's pair \(pair), kiosk's \(kioskPair ?? "none"); 5 s: kiosk \(media.kiosk) frames, Chromium \(media.page)")
            #expect(media.kiosk > 50 && media.page > 50)
            // Chromium may have learnt the address from the kiosk's first check (peer-reflexive)
            // before the candidate arrived; the address is what counts: the NAT's.
            // Which name the pair gets is the NAT's doing, not ours: when Chromium's check to the
            // kiosk's srflx address reaches the NAT before the kiosk's own check has opened that
            // mapping, Linux's masquerade gives the kiosk's flow another port, so the path's
            // address is peer-reflexive (seen: mapped port 16034 vs srflx 40543), and both sides
            // say so; when the kiosk's check goes first the port is kept and it is srflx-host.
            // (Chromium does not show a peer-reflexive candidate's address.)
            #expect(["srflx", "prflx"].contains(pair["remoteCandidateType"].string ?? ""), "\(pair)")
            #expect(pair["localCandidateType"].string == "host")
            #expect(["srflx-host", "prflx-host"].contains(kioskPair ?? ""), "through the NAT, no relay: \(kioskPair ?? "none")")
        }
    }

    /// The clinician on the clinic's own network (a second link between the two namespaces), the
    /// kiosk's host candidates under mDNS names (`call.mdns_host_candidates`), no path through
    /// the core and no relay: Chromium learns a kiosk address only by asking the link, where
    /// kioskd's responder answers, and the call runs host to host on the LAN. Neither the
    /// practice nor Chromium's remote description ever holds a kiosk address.
    @Test(.timeLimit(.minutes(3))) func aClinicianOnTheClinicLANFindsTheKioskByItsMDNSName() async throws {
        try await Self.scenario("net-mdns", restTURN: false, network: { lab in
            try lab.clinicianOnTheClinicLAN()
            try lab.blockDirectPath()
        }, callSettings: { _ in "mdns_host_candidates = true" }) { lab, practice, kiosk, page in
            try await Self.call(kiosk, page)
            let media = try await Self.mediaFor(5, kiosk, page)
            let pair = try await Self.pagePair(page)
            let kioskPair = try kiosk.control.status().call.selectedPair
            let remote = try await page.evaluate("window.telehealth.pc.remoteDescription.sdp").string ?? ""
            let candidates = remote.split(whereSeparator: \.isNewline).filter { $0.hasPrefix("a=candidate:") }
            let own = try await page.evaluate("window.telehealth.pc.localDescription.sdp").string ?? ""
            let chromiums = own.split(whereSeparator: \.isNewline).filter { $0.hasPrefix("a=candidate:") }
            print("netlab mDNS: Chromium's pair \(pair), kiosk's \(kioskPair ?? "none"); 5 s: kiosk \(media.kiosk) frames, Chromium \(media.page); the kiosk's candidates as Chromium holds them: \(candidates.map { $0.split(separator: " ").prefix(8).joined(separator: " ") }); Chromium's own: \(chromiums.map { $0.split(separator: " ").prefix(8).joined(separator: " ") })")
            #expect(media.kiosk > 50 && media.page > 50)
            // A host candidate on Chromium's side can only come from resolving the name: the
            // address itself reached it in no candidate (a check would make it peer-reflexive).
            #expect(pair["remoteCandidateType"].string == "host", "Chromium resolved the kiosk's name: \(pair)")
            #expect(pair["localCandidateType"].string == "host")
            #expect(kioskPair == "host-host", "on the LAN: \(kioskPair ?? "none")")
            #expect(candidates.count >= 2 && candidates.allSatisfy { $0.contains(".local ") }, "\(candidates)")
            for address in [NetworkLab.kioskAddress, "10.231.3.2"] {
                #expect(!remote.contains(address), "Chromium's remote description holds \(address)")
            }
        }
    }

    /// TURN credentials past their time (coturn's REST scheme: "expiry:user") are refused by the
    /// relay, and the kiosk says so in words.
    @Test(.timeLimit(.minutes(3))) func expiredTURNCredentialsAreRefusedWithAClearError() async throws {
        let username = "\(Int(Date().timeIntervalSince1970) - 3600):\(Self.kioskId)"
        try await Self.scenario("net-expired", restTURN: false, network: { try $0.blockDirectPath() }, callSettings: { practice in
            let password = try NetworkLab.run(["sh", "-c", "printf %s \"$0\" | openssl dgst -sha1 -hmac \"$1\" -binary | base64",
                                               username, practice.turnSecret]).trimmed
            try password.write(toFile: "\(practice.dir)/turn-password", atomically: true, encoding: .utf8)
            return """
                turn_servers = ["turn:\(NetworkLab.coreAddress):\(Self.turnPort)?transport=udp"]
                turn_username = "\(username)"
                turn_password_file = "\(practice.dir)/turn-password"
                ice_transport_policy = "relay"
                """
        }) { _, practice, kiosk, _ in
            let password = try String(contentsOfFile: "\(practice.dir)/turn-password", encoding: .utf8)
            let control = kiosk.control
            try await eventually("the kiosk shows the appointment", timeout: 30) { try control.status().screen == "appointment" }
            #expect(try control.press("join") == "join")
            try await eventually("device check with Continue") { try control.status().buttons.map(\.button) == ["continueToCall"] }
            #expect(try control.press("continueToCall") == "continueToCall")
            try await eventually("the kiosk logs the relay's refusal", timeout: 20) { kiosk.log.contains("credentials") && kiosk.log.contains("TURN") }
            let line = kiosk.log.split(separator: "\n").first { $0.contains("TURN") && $0.contains("credentials") }.map(String.init) ?? ""
            print("netlab expired TURN credentials: \(line)")
            #expect(!line.contains(password) && !line.contains(NetworkLab.coreAddress), "no secret or address in the log line")
        }
    }

    /// Every path blocked: the kiosk gives up at its connect limit (30 s) with words for the
    /// patient, and the practice hears why.
    @Test(.timeLimit(.minutes(3))) func everyPathBlockedFailsPlainlyWithinTheConnectLimit() async throws {
        try await Self.scenario("net-blocked", restTURN: false, network: { try $0.blockEveryMediaPath() }) { lab, practice, kiosk, page in
            let control = kiosk.control
            try await eventually("the kiosk shows the appointment", timeout: 30) { try control.status().screen == "appointment" }
            #expect(try control.press("join") == "join")
            try await eventually("device check with Continue") { try control.status().buttons.map(\.button) == ["continueToCall"] }
            #expect(try control.press("continueToCall") == "continueToCall")
            try await eventually("connecting") { try control.status().screen == "connecting" }
            let since = ContinuousClock.now
            try await eventually("the kiosk gives up", timeout: 40) { try control.status().screen == "connect-failed" }
            let elapsed = ContinuousClock.now - since
            let texts = try control.status().texts
            print("netlab blocked: gave up after \(elapsed): \(texts)")
            #expect(elapsed <= .seconds(32), "gave up after \(elapsed)")
            #expect(texts.first == "Could not connect to Dr. Net")
            #expect(texts.contains { $0.contains("network here may be blocking the video call") })
            try await eventually("the practice heard why") { practice.practice.log.contains("code=connect-failed") }
        }
    }

    /// The kiosk's address changes mid-call (moved veth address: a DHCP renewal, another access
    /// point): ICE restarts on both sides and media flows again within 3 s, without Rejoin.
    /// The signaling WebSocket dies with the old address (TCP just retransmits from it), so
    /// the kiosk probes it on every address change, replaces it within a second and asks for
    /// the restart again over the new one: without that the page's offer went into the dead
    /// connection and media never came back.
    @Test(.timeLimit(.minutes(3)))
    func anAddressChangeMidCallRestartsICEAndTheVisitGoesOn() async throws {
        try await Self.scenario("net-move", restTURN: false) { lab, practice, kiosk, page in
            try await Self.call(kiosk, page)
            let before = try await Self.mediaFor(3, kiosk, page)
            #expect(before.kiosk > 30 && before.page > 30)
            let frames = "window.telehealth.stats().then(s => s.inbound?.video?.framesDecoded || 0)"
            let k0 = try kiosk.control.status().call.videoFramesDecoded
            let p0 = try await page.evaluate(frames).int ?? 0
            let movedAt = ContinuousClock.now
            try lab.moveKioskAddress(to: "10.231.1.3/24")
            // Media again: both sides decode at least 15 new frames (half a second) after the
            // frames already in flight when the address went away.
            var kioskBack: Duration?, pageBack: Duration?
            var kSeen = k0, pSeen = p0
            while ContinuousClock.now - movedAt < .seconds(15), kioskBack == nil || pageBack == nil {
                try await Task.sleep(for: .milliseconds(100))
                let k = try kiosk.control.status().call.videoFramesDecoded
                let p = try await page.evaluate(frames).int ?? 0
                if ContinuousClock.now - movedAt < .milliseconds(300) { kSeen = k; pSeen = p; continue }
                if kioskBack == nil, k >= kSeen + 15 { kioskBack = ContinuousClock.now - movedAt }
                if pageBack == nil, p >= pSeen + 15 { pageBack = ContinuousClock.now - movedAt }
            }
            let stats = try kiosk.control.stats().inboundVideo
            print("netlab address change: kiosk decoding again after \(kioskBack.map { "\($0)" } ?? "never"), Chromium after \(pageBack.map { "\($0)" } ?? "never"); the kiosk's own figures: \(stats.freezeCount) freeze(s), longest \(stats.longestFreeze) s, \(stats.pliCount) PLI(s), \(stats.keyFramesDecoded) keyframes decoded")
            let back = try #require(kioskBack.flatMap { k in pageBack.map { max(k, $0) } }, "media did not come back")
            #expect(back <= .seconds(3), "media both ways again \(back) after the address moved")
            #expect(try kiosk.control.status().screen == "in-call", "no Rejoin")
            #expect(kiosk.log.contains("ice restarted"), "the kiosk restarted ICE")
        }
    }
}

extension String {
    var trimmed: String { trimmingCharacters(in: .whitespacesAndNewlines) }
}
