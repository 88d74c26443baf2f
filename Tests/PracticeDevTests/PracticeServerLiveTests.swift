import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
@testable import PracticeKit
import Signaling

/// practice-dev in-process on an ephemeral loopback port, with a fake kiosk and a fake
/// clinician speaking over real WebSockets.
@Suite(.serialized) struct PracticeServerLiveTests {
    static func http(_ method: String, _ url: String, json: String? = nil) async throws -> (Int, String) {
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = method
        if let json {
            request.httpBody = Data(json.utf8)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        return try await withCheckedThrowingContinuation { continuation in
            URLSession.shared.dataTask(with: request) { data, response, error in
                if let error { continuation.resume(throwing: error); return }
                let status = (response as? HTTPURLResponse)?.statusCode ?? 0
                continuation.resume(returning: (status, String(decoding: data ?? Data(), as: UTF8.self)))
            }.resume()
        }
    }

    @Test func fullCallFlowOverRealWebSockets() async throws {
        let logs = LogCapture()
        try await withPracticeServer(logger: logs.logger()) { port in
            let started = ContinuousClock.now
            let kiosk = try await WSPeer.connect("ws://127.0.0.1:\(port)/ws")
            let clinician = try await WSPeer.connect("ws://127.0.0.1:\(port)/ws?clinician=dr-demo")

            kiosk.send(RelayHarness.kioskHello, id: "k1")
            guard case .welcome(let kw) = try await kiosk.nextMessage() else { Issue.record("kiosk: no welcome"); return }
            guard case .assignment(let appointment?) = try await kiosk.nextMessage() else { Issue.record("kiosk: no assignment"); return }
            #expect(appointment.id == "demo-1" && appointment.telehealth.eligible)
            clinician.send(RelayHarness.clinicianHello, id: "c1")
            guard case .welcome = try await clinician.nextMessage() else { Issue.record("clinician: no welcome"); return }

            // The clinician starts; the kiosk joins; the clinician offers (default).
            clinician.send(.join(appointmentId: "demo-1", offerer: nil), id: "c2")
            #expect(try await clinician.next() == SignalingEnvelope(.joined(appointmentId: "demo-1", peerPresent: false), id: "c2"))
            kiosk.send(.join(appointmentId: "demo-1", offerer: nil), id: "k2")
            #expect(try await kiosk.nextMessage() == .joined(appointmentId: "demo-1", peerPresent: true))
            #expect(try await kiosk.nextMessage() == .peerJoined(appointmentId: "demo-1", role: .clinician, offerer: .clinician))
            #expect(try await clinician.nextMessage() == .peerJoined(appointmentId: "demo-1", role: .kiosk, offerer: .clinician))

            let offer = SignalingEnvelope(.offer(sdp: "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n"), id: "c3")
            clinician.send(offer.message, id: offer.id)
            #expect(try await kiosk.next() == offer)
            let candidate = SignalingCandidate(candidate: "candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host", sdpMid: "0", sdpMLineIndex: 0)
            clinician.send(.candidate(candidate))
            clinician.send(.endOfCandidates)
            #expect(try await kiosk.nextMessage() == .candidate(candidate))
            #expect(try await kiosk.nextMessage() == .endOfCandidates)
            kiosk.send(.answer(sdp: "v=0\r\nanswer\r\n"), id: "k3")
            kiosk.send(.candidate(candidate))
            kiosk.send(.mediaState(.init(camera: .off, microphone: .unmuted)))
            #expect(try await clinician.next() == SignalingEnvelope(.answer(sdp: "v=0\r\nanswer\r\n"), id: "k3"))
            #expect(try await clinician.nextMessage() == .candidate(candidate))
            #expect(try await clinician.nextMessage() == .mediaState(.init(camera: .off, microphone: .unmuted)))

            // Malformed and out-of-order input: an error to the sender, nothing to the peer.
            kiosk.sendText("{\"v\":1,\"type\":\"offer\",\"id\":\"bad1\",\"sdp\":[]}")
            kiosk.sendText("\u{1}\u{2} not json")
            kiosk.send(.answer(sdp: "v=0\r\n"), id: "k4")
            for (code, inReplyTo) in [(SignalingErrorCode.invalidField, "bad1"), (.malformed, nil), (.unexpected, "k4")] {
                guard case .error(let e) = try await kiosk.nextMessage() else { Issue.record("no error"); return }
                #expect(e.code == code && e.inReplyTo == inReplyTo)
            }
            #expect(try await clinician.staysQuiet())
            kiosk.send(.ping, id: "k5")
            #expect(try await kiosk.next() == SignalingEnvelope(.pong, id: "k5"))

            // End removes both; the call resumes only when both rejoin, with the kiosk offering now.
            kiosk.send(.end(appointmentId: "demo-1"))
            #expect(try await kiosk.nextMessage() == .sessionEnded(appointmentId: "demo-1", by: .kiosk))
            #expect(try await clinician.nextMessage() == .sessionEnded(appointmentId: "demo-1", by: .kiosk))
            clinician.send(.rejoin(appointmentId: "demo-1", offerer: .kiosk))
            #expect(try await clinician.nextMessage() == .joined(appointmentId: "demo-1", peerPresent: false))
            #expect(try await kiosk.staysQuiet())
            kiosk.send(.rejoin(appointmentId: "demo-1", offerer: nil))
            #expect(try await kiosk.nextMessage() == .joined(appointmentId: "demo-1", peerPresent: true))
            #expect(try await kiosk.nextMessage() == .peerJoined(appointmentId: "demo-1", role: .clinician, offerer: .kiosk))
            #expect(try await clinician.nextMessage() == .peerJoined(appointmentId: "demo-1", role: .kiosk, offerer: .kiosk))
            kiosk.send(.offer(sdp: "v=0\r\nkiosk-offer\r\n"))
            #expect(try await clinician.nextMessage() == .offer(sdp: "v=0\r\nkiosk-offer\r\n"))
            clinician.send(.answer(sdp: "v=0\r\nclinician-answer\r\n"))
            #expect(try await kiosk.nextMessage() == .answer(sdp: "v=0\r\nclinician-answer\r\n"))

            // A signaling drop: the kiosk reconnects with its session id and is still in the room.
            kiosk.close()
            #expect(try await kiosk.waitUntilClosed())
            try await Task.sleep(for: .milliseconds(50))
            clinician.send(.mediaState(.init(camera: .on, microphone: .muted)))
            #expect(try await clinician.staysQuiet(), "no error: held for the kiosk")
            let kiosk2 = try await WSPeer.connect("ws://127.0.0.1:\(port)/ws")
            kiosk2.send(.hello(SignalingHello(role: .kiosk, kioskId: "kiosk-1", token: "t", software: "k", sessionId: kw.sessionId)))
            guard case .welcome(let resumed) = try await kiosk2.nextMessage() else { Issue.record("no welcome"); return }
            #expect(resumed.resumed && resumed.sessionId == kw.sessionId)
            guard case .assignment = try await kiosk2.nextMessage() else { Issue.record("no assignment"); return }
            #expect(try await kiosk2.nextMessage() == .mediaState(.init(camera: .on, microphone: .muted)))
            kiosk2.send(.candidate(candidate))
            #expect(try await clinician.nextMessage() == .candidate(candidate))
            print("live signaling flow took \(ContinuousClock.now - started)")
            kiosk2.close()
            clinician.close()
        }
        for line in logs.all {
            #expect(!line.contains("Demo Patient") && !line.contains("127.0.0.1"), "\(line)")
        }
    }

    @Test func appointmentAPIAndAssignmentPush() async throws {
        let logs = LogCapture()
        try await withPracticeServer(logger: logs.logger(level: .notice)) { port in
            let base = "http://127.0.0.1:\(port)"
            let kiosk = try await WSPeer.connect("ws://127.0.0.1:\(port)/ws")
            kiosk.send(RelayHarness.kioskHello)
            _ = try await kiosk.nextMessage()
            _ = try await kiosk.nextMessage()

            let body = #"{"id":"appt-7","type":"Individual","status":"Scheduled","patient":{"name":"Pat Example","portalAccount":true},"scheduledAt":"2025-03-04T17:00:00Z","timeZone":"America/New_York","clinician":{"id":"dr-demo","name":"Dr. Demo","role":"Clinician"}}"#
            let (created, createdBody) = try await Self.http("POST", "\(base)/api/appointments", json: body)
            #expect(created == 201, "\(createdBody)")
            let (again, _) = try await Self.http("POST", "\(base)/api/appointments", json: body)
            #expect(again == 409, "the id exists")

            let (s1, open) = try await Self.http("GET", "\(base)/api/appointments/appt-7/telehealth?at=2025-03-04T12:00:00Z")
            #expect(s1 == 200 && open.contains(#""eligible":true"#), "\(open)")
            let (_, early) = try await Self.http("GET", "\(base)/api/appointments/appt-7/telehealth?at=2025-03-04T11:59:00Z")
            #expect(early.contains(#""eligible":false"#) && early.contains("too-early") && early.contains("7:00 AM (America/New_York)"), "\(early)")
            let (bad, _) = try await Self.http("GET", "\(base)/api/appointments/appt-7/telehealth?at=yesterday")
            #expect(bad == 400)
            let (missing, _) = try await Self.http("GET", "\(base)/api/appointments/nope/telehealth")
            #expect(missing == 404)

            let (assigned, _) = try await Self.http("POST", "\(base)/api/kiosks/kiosk-1/assignment", json: #"{"appointmentId":"appt-7"}"#)
            #expect(assigned == 200)
            guard case .assignment(let a?) = try await kiosk.nextMessage() else { Issue.record("no push"); return }
            #expect(a.id == "appt-7" && a.timeZone == "America/New_York" && a.scheduledAt == "2025-03-04T17:00:00Z")
            #expect(!a.telehealth.eligible, "2025 is long past")
            let (none, _) = try await Self.http("POST", "\(base)/api/kiosks/kiosk-1/assignment", json: #"{"appointmentId":null}"#)
            #expect(none == 200)
            #expect(try await kiosk.nextMessage() == .assignment(nil))

            let (listed, list) = try await Self.http("GET", "\(base)/api/appointments?clinician=dr-demo")
            #expect(listed == 200 && list.contains("appt-7") && list.contains("demo-1"))

            let (page, html) = try await Self.http("GET", "\(base)/")
            #expect(page == 200 && html.contains("<video id=\"remote-view\""))
            let (script, js) = try await Self.http("GET", "\(base)/app.js")
            #expect(script == 200 && js.contains("window.telehealth"))
            kiosk.close()
        }
        for line in logs.all { #expect(!line.contains("Pat Example"), "\(line)") }
    }

    @Test func aNewConnectionSupersedesTheOldOneWhichIsClosed() async throws {
        let logs = LogCapture()
        try await withPracticeServer(logger: logs.logger(level: .critical)) { port in
            let first = try await WSPeer.connect("ws://127.0.0.1:\(port)/ws")
            first.send(RelayHarness.kioskHello)
            guard case .welcome = try await first.nextMessage() else { Issue.record("no welcome"); return }
            _ = try await first.nextMessage()
            let second = try await WSPeer.connect("ws://127.0.0.1:\(port)/ws")
            second.send(RelayHarness.kioskHello)
            guard case .welcome = try await second.nextMessage() else { Issue.record("no welcome"); return }
            guard case .assignment = try await second.nextMessage() else { Issue.record("no assignment"); return }
            guard case .error(let e) = try await first.nextMessage() else { Issue.record("old not told"); return }
            #expect(e.code == .superseded)
            #expect(try await first.waitUntilClosed(), "the endpoint closes the superseded socket")
            second.send(.ping, id: "p")
            #expect(try await second.next() == SignalingEnvelope(.pong, id: "p"))
            second.close()
        }
    }

    @Test func theAPIIsClosedOutsideDevModeWithoutASession() async throws {
        let logs = LogCapture()
        try await withPracticeServer(settings: Relay.Settings(dev: false), book: AppointmentBook(), logger: logs.logger(level: .critical)) { port in
            let (status, _) = try await Self.http("GET", "http://127.0.0.1:\(port)/api/appointments")
            #expect(status == 401)
            let (at, _) = try await Self.http("GET", "http://127.0.0.1:\(port)/healthz")
            #expect(at == 200)
        }
    }
}
