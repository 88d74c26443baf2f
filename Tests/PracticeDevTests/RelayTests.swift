import Foundation
@testable import PracticeKit
import Signaling
import Testing

/// The relay's rules, sans-IO: no sockets, time moved by hand.
@Suite struct RelayTests {
    @Test func kioskHelloGetsWelcomeThenItsAssignment() throws {
        var h = RelayHarness()
        let k = h.open(1)
        h.send(k, RelayHarness.kioskHello, id: "c1")
        let got = h.take(k)
        #expect(got.count == 2)
        guard case .welcome(let w) = got.first, case .assignment(let a?) = got.last else {
            Issue.record("\(got)"); return
        }
        #expect(w.heartbeatIntervalMs == 15_000 && !w.resumed && w.sessionId == "s-1")
        #expect(a.id == "demo-1" && a.clinicianDisplayName == "Dr. Demo" && a.telehealth.eligible)
    }

    @Test func clinicianIsNamedByTheURLOrHello() {
        var h = RelayHarness()
        let c = h.open(1, clinician: "dr-demo")
        h.send(c, .hello(SignalingHello(role: .clinician, clinicianId: "dr-other", software: "t")), id: "h1")
        #expect(h.take(c) == [.error(.init(code: .unauthorized, message: "clinicianId differs from the connection's clinician", inReplyTo: "h1"))])
        let anonymous = h.open(2)
        h.send(anonymous, RelayHarness.clinicianHello)
        guard case .error(let e) = h.take(anonymous).first else { Issue.record("no error"); return }
        #expect(e.code == .unauthorized)
        let named = h.open(3)
        h.send(named, .hello(SignalingHello(role: .clinician, clinicianId: "dr-demo", software: "t")))
        guard case .welcome = h.take(named).first else { Issue.record("no welcome"); return }
    }

    @Test func withoutDevModeKioskTokensAreChecked() {
        var h = RelayHarness(settings: Relay.Settings(dev: false, kioskTokens: ["kiosk-1": "right"]))
        let k = h.open(1)
        h.send(k, .hello(SignalingHello(role: .kiosk, kioskId: "kiosk-1", token: "wrong", software: "t")))
        guard case .error(let e) = h.take(k).first else { Issue.record("accepted a wrong token"); return }
        #expect(e.code == .unauthorized)
        h.send(k, .hello(SignalingHello(role: .kiosk, kioskId: "kiosk-1", token: "right", software: "t")))
        guard case .welcome = h.take(k).first else { Issue.record("refused the right token"); return }
    }

    @Test func nothingButHelloAndPingBeforeHello() {
        var h = RelayHarness()
        let k = h.open(1)
        h.send(k, .join(appointmentId: "demo-1", offerer: nil), id: "j1")
        h.send(k, .ping, id: "p1")
        #expect(h.take(k) == [
            .error(.init(code: .notAuthenticated, message: "send hello first", inReplyTo: "j1")),
            .pong,
        ])
    }

    @Test func joiningPairsTheRoomAndTheClinicianPicksTheOfferer() {
        var (h, k, c) = RelayHarness.connected()
        h.send(k, .join(appointmentId: "demo-1", offerer: .clinician), id: "j1")  // a kiosk's offerer is ignored
        #expect(h.takeEnvelopes(k) == [SignalingEnvelope(.joined(appointmentId: "demo-1", peerPresent: false), id: "j1")])
        #expect(h.take(c).isEmpty)
        h.send(c, .join(appointmentId: "demo-1", offerer: .kiosk), id: "j2")
        #expect(h.take(c) == [.joined(appointmentId: "demo-1", peerPresent: true),
                              .peerJoined(appointmentId: "demo-1", role: .kiosk, offerer: .kiosk)])
        #expect(h.take(k) == [.peerJoined(appointmentId: "demo-1", role: .clinician, offerer: .kiosk)])
    }

    @Test func theClinicianOffersByDefault() {
        var (h, k, c) = RelayHarness.connected()
        h.send(c, .join(appointmentId: "demo-1", offerer: nil))
        h.send(k, .join(appointmentId: "demo-1", offerer: nil))
        #expect(h.take(k).last == .peerJoined(appointmentId: "demo-1", role: .clinician, offerer: .clinician))
        #expect(h.take(c).last == .peerJoined(appointmentId: "demo-1", role: .kiosk, offerer: .clinician))
    }

    @Test func relayedMessagesReachTheOtherSideUnchanged() {
        var (h, k, c) = RelayHarness.inCall()
        let candidate = SignalingCandidate(candidate: "candidate:1 1 udp 2122260223 192.0.2.1 5000 typ host", sdpMid: "0", sdpMLineIndex: 0)
        let fromClinician: [SignalingEnvelope] = [
            .init(.offer(sdp: "v=0\r\nclinician-offer\r\n"), id: "o1"),
            .init(.candidate(candidate), id: "x2"),
            .init(.endOfCandidates),
            .init(.mediaState(.init(camera: .off, microphone: .muted))),
        ]
        for e in fromClinician { h.send(c, e.message, id: e.id) }
        #expect(h.takeEnvelopes(k) == fromClinician)
        let fromKiosk: [SignalingEnvelope] = [
            .init(.answer(sdp: "v=0\r\nkiosk-answer\r\n"), id: "a1"),
            .init(.candidate(candidate)),
            .init(.requestOffer(iceRestart: true)),
        ]
        for e in fromKiosk { h.send(k, e.message, id: e.id) }
        #expect(h.takeEnvelopes(c) == fromKiosk)
        #expect(h.take(c).isEmpty && h.take(k).isEmpty, "nothing echoed to the sender")
    }

    @Test func outOfOrderAndMalformedInputGetsAnErrorAndTheRoomSurvives() {
        var (h, k, c) = RelayHarness.inCall()
        h.send(k, .answer(sdp: "v=0\r\n"), id: "a0")  // no offer yet
        h.sendText(k, #"{"v":1,"type":"offer","id":"o9","sdp":42}"#)
        h.sendText(k, "{not json")
        h.sendText(k, #"{"v":1,"type":"teleport","id":"t1"}"#)
        h.sendText(k, #"{"v":3,"type":"offer"}"#)
        h.send(k, .welcome(SignalingWelcome(sessionId: "x", heartbeatIntervalMs: 1000, iceServers: [])), id: "w1")
        h.send(k, RelayHarness.kioskHello, id: "h2")
        let errors = h.takeEnvelopes(k).compactMap { e -> (SignalingErrorCode, String?)? in
            if case .error(let p) = e.message { return (p.code, p.inReplyTo) }
            return nil
        }
        #expect(errors.map(\.0) == [.unexpected, .invalidField, .malformed, .unknownType, .unsupportedVersion, .unexpected, .alreadyAuthenticated])
        #expect(errors.map(\.1) == ["a0", "o9", nil, "t1", nil, "w1", "h2"])
        #expect(h.take(c).isEmpty, "the clinician saw none of it")
        // The room still relays both ways.
        h.send(c, .offer(sdp: "v=0\r\n"))
        h.send(k, .answer(sdp: "v=0\r\n"))
        #expect(h.take(k) == [.offer(sdp: "v=0\r\n")])
        #expect(h.take(c) == [.answer(sdp: "v=0\r\n")])
    }

    @Test func relayNeedsARoomAndAPeer() {
        var (h, k, c) = RelayHarness.connected()
        h.send(k, .offer(sdp: "v=0\r\n"), id: "o1")
        h.send(c, .join(appointmentId: "demo-1", offerer: nil))
        _ = h.take(c)
        h.send(c, .offer(sdp: "v=0\r\n"), id: "o2")
        #expect(errorCodes(h.take(k)) == [.notInSession])
        #expect(errorCodes(h.take(c)) == [.peerAbsent])
    }

    @Test func endRemovesBothAndRejoinNeedsBoth() {
        var (h, k, c) = RelayHarness.inCall()
        h.send(k, .end(appointmentId: "demo-1"))
        #expect(h.take(k) == [.sessionEnded(appointmentId: "demo-1", by: .kiosk)])
        #expect(h.take(c) == [.sessionEnded(appointmentId: "demo-1", by: .kiosk)])
        h.send(c, .offer(sdp: "v=0\r\n"))
        guard case .error(let e) = h.take(c).first else { Issue.record("offer after end relayed"); return }
        #expect(e.code == .notInSession)
        h.send(k, .rejoin(appointmentId: "demo-1", offerer: nil))
        #expect(h.take(k) == [.joined(appointmentId: "demo-1", peerPresent: false)])
        #expect(h.take(c).isEmpty, "one side rejoining does not resume the call")
        h.send(c, .rejoin(appointmentId: "demo-1", offerer: .clinician))
        #expect(h.take(c) == [.joined(appointmentId: "demo-1", peerPresent: true),
                              .peerJoined(appointmentId: "demo-1", role: .kiosk, offerer: .clinician)])
        #expect(h.take(k) == [.peerJoined(appointmentId: "demo-1", role: .clinician, offerer: .clinician)])
    }

    @Test func rejoinNeedsAnEarlierSessionAndEndNeedsMembership() {
        var (h, k, _) = RelayHarness.connected()
        h.send(k, .rejoin(appointmentId: "demo-1", offerer: nil))
        h.send(k, .end(appointmentId: "demo-1"))
        h.send(k, .leave(appointmentId: "demo-1"))
        #expect(errorCodes(h.take(k))
                == [.noSessionToRejoin, .notInSession, .notInSession])
    }

    @Test func leaveTellsThePeerAndKeepsIt() {
        var (h, k, c) = RelayHarness.inCall()
        h.send(k, .leave(appointmentId: "demo-1"))
        #expect(h.take(c) == [.peerLeft(appointmentId: "demo-1", role: .kiosk, reason: .left)])
        h.send(k, .join(appointmentId: "demo-1", offerer: nil))
        #expect(h.take(c) == [.peerJoined(appointmentId: "demo-1", role: .kiosk, offerer: .clinician)])
    }

    @Test func joinChecksAssignmentOwnershipAndEligibility() {
        var (h, k, c) = RelayHarness.connected()
        var other = h.relay.book["demo-1"]!
        other.id = "appt-2"
        other.clinician.id = "dr-other"
        _ = h.relay.upsert(other, at: h.now)
        var cancelled = h.relay.book["demo-1"]!
        cancelled.id = "appt-3"
        cancelled.status = .cancelled
        _ = h.relay.upsert(cancelled, at: h.now)
        h.send(k, .join(appointmentId: "appt-2", offerer: nil))       // not assigned to kiosk-1
        h.send(c, .join(appointmentId: "appt-2", offerer: nil))       // another clinician's
        h.send(c, .join(appointmentId: "appt-3", offerer: nil))       // cancelled
        h.send(c, .join(appointmentId: "nope", offerer: nil))
        #expect(errorCodes(h.take(k)) == [.unauthorized])
        let clinician = h.take(c)
        #expect(errorCodes(clinician) == [.notEligible, .notEligible, .unknownAppointment])
        guard clinician.count == 3, case .error(let notTheirs) = clinician[0], case .error(let notEligible) = clinician[1] else {
            Issue.record("expected three errors for the clinician, got \(clinician)")
            return
        }
        #expect(notTheirs.message == "not-the-clinician")
        #expect(notEligible.message == "cancelled")
        // Outside the ±5 h window.
        h.now = h.now.addingTimeInterval(5 * 3600 + 1)
        h.send(c, .join(appointmentId: "demo-1", offerer: nil))
        guard case .error(let late) = h.take(c).first else { Issue.record("joined outside the window"); return }
        #expect(late.code == .notEligible && late.message == "too-late")
    }

    @Test func aSignalingDropWithinGraceResumesAndQueuedMessagesArrive() {
        var (h, k, c) = RelayHarness.inCall()
        h.drop(k)
        h.advance(10)
        #expect(h.take(c).isEmpty, "the clinician is not told about a signaling blip")
        h.send(c, .candidate(SignalingCandidate(candidate: "candidate:9 1 udp 1 192.0.2.9 9 typ host", sdpMid: "0", sdpMLineIndex: 0)))
        h.send(c, .mediaState(.init(camera: .on, microphone: .muted)))
        #expect(h.take(c).isEmpty, "held for the kiosk, no error")
        let k2 = h.open(3)
        h.send(k2, .hello(SignalingHello(role: .kiosk, kioskId: "kiosk-1", token: "t", software: "k", sessionId: "s-1")))
        let got = h.take(k2)
        guard case .welcome(let w) = got.first else { Issue.record("\(got)"); return }
        #expect(w.resumed && w.sessionId == "s-1")
        #expect(got.dropFirst(2).map(\.type) == [.candidate, .mediaState])
        h.send(k2, .answer(sdp: "x"))  // still in the room (no outstanding offer → unexpected, but not not-in-session)
        let reply = h.take(k2)
        guard case .error(let e) = reply.first else { Issue.record("expected an error, got \(reply)"); return }
        #expect(e.code == .unexpected)
    }

    @Test func aDropBeyondGraceTellsThePeer() {
        var (h, k, c) = RelayHarness.inCall()
        h.drop(k)
        h.advance(29)
        #expect(h.take(c).isEmpty)
        h.advance(1)
        #expect(h.take(c) == [.peerLeft(appointmentId: "demo-1", role: .kiosk, reason: .timeout)])
        let k2 = h.open(3)
        h.send(k2, .hello(SignalingHello(role: .kiosk, kioskId: "kiosk-1", token: "t", software: "k", sessionId: "s-1")))
        guard case .welcome(let w) = h.take(k2).first else { Issue.record("no welcome"); return }
        #expect(!w.resumed && w.sessionId != "s-1")
    }

    @Test func aNewConnectionForTheSameKioskReplacesTheOld() {
        var (h, k, c) = RelayHarness.inCall()
        let k2 = h.open(3)
        h.send(k2, RelayHarness.kioskHello)
        #expect(h.closed.contains(k))
        guard case .error(let e) = h.take(k).first else { Issue.record("old not told"); return }
        #expect(e.code == .superseded)
        #expect(h.take(c) == [.peerLeft(appointmentId: "demo-1", role: .kiosk, reason: .replaced)])
    }

    @Test func silentAndNamelessConnectionsAreClosed() {
        var (h, k, c) = RelayHarness.connected()
        let lurker = h.open(5)
        h.advance(10)
        #expect(h.closed == [lurker])
        h.send(k, .ping)
        h.advance(36)  // the clinician has now been silent 46 s (> 3 × 15 s); the kiosk 36 s
        #expect(h.closed == [lurker, c])
    }

    @Test func assignmentChangesArePushedToTheKiosk() {
        var (h, k, _) = RelayHarness.connected()
        h.absorb(h.relay.assign(kioskId: "kiosk-1", appointmentId: nil, at: h.now))
        #expect(h.take(k) == [.assignment(nil)])
        h.absorb(h.relay.assign(kioskId: "kiosk-1", appointmentId: "demo-1", at: h.now))
        var a = h.relay.book["demo-1"]!
        a.status = .missed
        let (created, out) = h.relay.upsert(a, at: h.now)
        #expect(!created)
        h.absorb(out)
        let pushed = h.take(k)
        #expect(pushed.count == 2)
        guard case .assignment(let latest?) = pushed.last else { Issue.record("expected an assignment last, got \(pushed)"); return }
        #expect(!latest.telehealth.eligible && latest.telehealth.reasons.map(\.code) == ["missed"])
    }

    @Test func logsCarryNoPatientDataAddressesOrMessageContent() {
        var (h, k, c) = RelayHarness.inCall()
        h.send(c, .offer(sdp: "v=0\r\no=- 1 1 IN IP4 198.51.100.7\r\n"))
        h.send(k, .candidate(SignalingCandidate(candidate: "candidate:1 1 udp 1 203.0.113.5 9 typ host", sdpMid: "0", sdpMLineIndex: 0)))
        h.sendText(k, #"{"v":1,"type":"offer","sdp":{"patient":"Demo Patient"}}"#)
        h.sendText(k, "{\"v\":1,\"type\":\"Demo Patient\\n192.0.2.1\"}")
        h.send(k, .end(appointmentId: "demo-1"))
        #expect(!h.logs.isEmpty)
        for line in h.logs {
            #expect(!line.contains("Demo Patient"), "\(line)")
            #expect(!line.contains("198.51.100") && !line.contains("203.0.113") && !line.contains("192.0.2"), "\(line)")
            #expect(!line.contains("v=0"), "\(line)")
        }
    }

    @Test func aClinicianJoinIsRefusedWithEveryReasonOfTheRules() {
        var (h, _, c) = RelayHarness.connected()
        var other = h.relay.book["demo-1"]!
        other.id = "appt-9"
        other.type = "group therapy"
        other.patient.portalAccount = false
        other.clinician = .init(id: "dr-other", name: "Dr. Other", role: .clinician)
        _ = h.relay.upsert(other, at: h.now)
        h.send(c, .join(appointmentId: "appt-9", offerer: nil), id: "j1")
        #expect(h.take(c) == [.error(.init(code: .notEligible, message: "type-not-eligible,no-portal-account,not-the-clinician",
                                           inReplyTo: "j1"))])
        // An intern on the appointment may start it.
        var interned = h.relay.book["demo-1"]!
        interned.clinician.role = .intern
        _ = h.relay.upsert(interned, at: h.now)
        h.send(c, .join(appointmentId: "demo-1", offerer: nil))
        #expect(h.take(c) == [.joined(appointmentId: "demo-1", peerPresent: false)])
    }

    /// Moves the clock to `t` with the kiosk alive (a ping), then ticks.
    static func tick(_ h: inout RelayHarness, _ k: RelayConnectionID, at t: Date) {
        h.now = t
        h.send(k, .ping)
        h.absorb(h.relay.tick(at: t))
    }

    @Test func tickResendsTheAssignmentWhenTheWindowOpensAndCloses() {
        var (h, k, _) = RelayHarness.connected()
        var later = h.relay.book["demo-1"]!
        later.id = "appt-later"
        later.scheduledAt = h.now.addingTimeInterval(5 * 3600 + 10)
        _ = h.relay.upsert(later, at: h.now)
        h.absorb(h.relay.assign(kioskId: "kiosk-1", appointmentId: "appt-later", at: h.now))
        guard case .assignment(let first?) = h.take(k).last else { Issue.record("no assignment"); return }
        #expect(first.telehealth.reasons.map(\.code) == ["too-early"])

        Self.tick(&h, k, at: later.scheduledAt.addingTimeInterval(-5 * 3600 - 1))
        #expect(h.take(k) == [.pong], "still too early: nothing re-sent")
        Self.tick(&h, k, at: later.scheduledAt.addingTimeInterval(-5 * 3600))
        guard case .assignment(let opened?) = h.take(k).last else { Issue.record("not re-sent when the window opened"); return }
        #expect(opened.id == "appt-later" && opened.telehealth.eligible)
        Self.tick(&h, k, at: later.scheduledAt.addingTimeInterval(5 * 3600))
        #expect(h.take(k) == [.pong], "still open at +5 h")
        Self.tick(&h, k, at: later.scheduledAt.addingTimeInterval(5 * 3600 + 1))
        guard case .assignment(let closed?) = h.take(k).last else { Issue.record("not re-sent when the window closed"); return }
        #expect(closed.telehealth.reasons.map(\.code) == ["too-late"])
        Self.tick(&h, k, at: later.scheduledAt.addingTimeInterval(6 * 3600))
        #expect(h.take(k) == [.pong])
        #expect(h.logs.contains { $0.contains("assignment refreshed") && $0.contains("kiosk=kiosk-1") })
    }
}
