@testable import KioskCore
import SessionCore
import Signaling
import Testing

/// The consent gate's decisions (sans-IO): what the kiosk admits and refuses, message by message.
@Suite struct CallConsentTests {
    static let offer = SignalingMessage.offer(sdp: "v=0")
    static let candidate = SignalingMessage.candidate(SignalingCandidate(candidate: "candidate:1 1 udp 1 127.0.0.1 9 typ host", sdpMid: "0", sdpMLineIndex: 0))
    static let callMessages: [SignalingMessage] = [
        .peerJoined(appointmentId: "a", role: .clinician, offerer: .clinician), offer, .answer(sdp: "v=0"), candidate,
        .endOfCandidates, .requestOffer(iceRestart: false), .mediaState(SignalingMediaState(camera: .on, microphone: .unmuted)),
    ]

    @Test func withoutConsentEveryCallMessageIsRefusedAsNotInSession() {
        for message in Self.callMessages {
            var consent = CallConsent()
            #expect(consent.admit(message) == .refuse(.notInSession, CallConsent.notJoined), "\(message.type)")
        }
    }

    @Test func messagesThatAreNotTheCallAreAlwaysAdmitted() {
        var consent = CallConsent()
        #expect(consent.admit(.assignment(nil)) == .admit)
        #expect(consent.admit(.sessionEnded(appointmentId: "a", by: .clinician)) == .admit)
        #expect(consent.admit(.error(SignalingErrorPayload(code: .unexpected, message: "x"))) == .admit)
    }

    @Test func afterJoinOneNegotiationForThatAppointmentIsAdmitted() {
        var consent = CallConsent()
        consent.set("a")
        #expect(consent.admit(.peerJoined(appointmentId: "b", role: .clinician, offerer: .clinician))
                == .refuse(.unexpected, "the kiosk is in another appointment's room"))
        #expect(consent.admit(.peerJoined(appointmentId: "a", role: .clinician, offerer: .clinician)) == .admit)
        #expect(consent.admit(Self.offer) == .admit)
        #expect(consent.admit(Self.candidate) == .admit)
        #expect(consent.admit(Self.offer) == .refuse(.unexpected, "a call is already negotiated on this kiosk"))
        #expect(consent.admit(.answer(sdp: "v=0")) == .refuse(.unexpected, "a call is already negotiated on this kiosk"))
        // The clinician left and came back: a fresh negotiation.
        consent.engineEnded()
        #expect(consent.admit(.peerJoined(appointmentId: "a", role: .clinician, offerer: .clinician)) == .admit)
        #expect(consent.admit(Self.offer) == .admit)
    }

    /// An offer with no `peer-joined` before it (the engine starts on the offer itself): a
    /// second offer is still not this call's; after the engine fails, the clinician's retry is.
    @Test func anOfferFirstCallIsNegotiatedOnceUntilItsEngineEnds() {
        var consent = CallConsent()
        consent.set("a")
        #expect(consent.admit(Self.offer) == .admit)
        #expect(consent.admit(Self.offer) == .refuse(.unexpected, "a call is already negotiated on this kiosk"))
        consent.engineEnded()
        #expect(consent.admit(Self.offer) == .admit)
    }

    @Test func closingOrMovingConsentSaysTheEngineMustGo() {
        var consent = CallConsent()
        #expect(consent.set(nil) == false)
        #expect(consent.set("a") == false, "opening tears nothing down")
        #expect(consent.set("a") == false)
        #expect(consent.admit(Self.offer) == .admit)
        #expect(consent.set("b") == true)
        #expect(consent.admit(Self.offer) == .admit, "a new appointment's negotiation")
        #expect(consent.set(nil) == true)
        #expect(consent.admit(Self.candidate) == .refuse(.notInSession, CallConsent.notJoined))
    }

    @Test func theRefusalBudgetRepliesToTwentyAndLogsThreeInTenSecondsThenReportsTheRest() {
        var budget = RefusalBudget()
        let t0 = Instant(nanoseconds: 1_000_000_000)
        var replies = 0, lines = 0
        for i in 0..<100 {
            let r = budget.take(at: t0 + .milliseconds(i * 50))  // 100 in 5 s
            if r.reply { replies += 1 }
            if r.log { lines += 1 }
            #expect(r.suppressedBefore == 0)
        }
        #expect(replies == 20 && lines == 3)
        let next = budget.take(at: t0 + .seconds(10))
        #expect(next == (reply: true, log: true, suppressedBefore: 97))
        #expect(budget.take(at: t0 + .seconds(21)).suppressedBefore == 0)
    }
}
