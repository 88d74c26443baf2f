@testable import KioskCore
import Render
import SessionCore
import Signaling
import Testing

/// The kiosk's workflow, sans-IO: inputs with a simulated clock in, screens and actions out.
@Suite struct KioskFlowTests {
    /// A flow and its clock; collects everything it asked for.
    struct Harness {
        var flow: KioskFlow
        var now = Instant(nanoseconds: 1_000_000_000)
        var actions: [KioskFlow.Action] = []

        init() {
            flow = KioskFlow(now: now)
            _ = feed(.call(.signalingReady))
        }

        @discardableResult
        mutating func feed(_ i: KioskFlow.Input) -> [KioskFlow.Action] {
            let a = flow.handle(i, at: now)
            actions += a
            return a
        }

        mutating func advance(_ d: Duration) -> [KioskFlow.Action] {
            now = now + d
            return feed(.tick)
        }

        var screen: KioskPresentation? { flow.presentation }
        var name: String? { screen?.name }
        var buttons: [KioskButton] {
            guard let s = screen?.screen else { return [] }
            return ScreenLayout(screen: s, output: PixelSize(width: 1280, height: 720)).buttons.map(\.button)
        }
        var texts: [String] {
            guard let s = screen?.screen else { return [] }
            return ScreenLayout(screen: s, output: PixelSize(width: 1280, height: 720)).texts.map(\.text)
        }
        var intents: [SignalingClient.Intent] {
            actions.compactMap { if case .signal(let i) = $0 { return i } else { return nil } }
        }
    }

    static func appointment(eligible: Bool = true, reasons: [String] = []) -> SignalingAppointment {
        SignalingAppointment(
            id: "appt-7", clinicianDisplayName: "Dr. Rivera", scheduledAt: "2025-03-04T23:00:00Z", timeZone: "America/Chicago",
            telehealth: SignalingTelehealth(eligible: eligible, reasons: reasons.map { SignalingReason(code: $0, message: "clinician text") },
                                            opensAt: "2025-03-04T18:00:00Z", closesAt: "2025-03-05T04:00:00Z"))
    }

    /// Drives a harness from idle to a connected call.
    static func inCall() -> Harness {
        var h = Harness()
        h.feed(.call(.assignment(appointment())))
        h.feed(.pressed(.join))
        h.feed(.devicesOpened(camera: "Front camera", microphone: "Array mic"))
        h.feed(.pressed(.continueToCall))
        h.feed(.call(.joined(appointmentId: "appt-7", peerPresent: false)))
        h.feed(.call(.peerJoined(appointmentId: "appt-7")))
        h.feed(.call(.connected))
        return h
    }

    @Test func idleIsAPrivacyScreenWithDevicesClosed() {
        var h = Harness()
        #expect(h.name == "idle")
        #expect(h.buttons.isEmpty)
        #expect(!h.actions.contains(.openDevices))
        _ = h.advance(.seconds(600))
        #expect(!h.actions.contains(.openDevices), "nothing opens the camera until the patient taps Join")
    }

    @Test func theWholeVisitFromAssignmentToIdle() {
        var h = Harness()
        h.feed(.call(.assignment(Self.appointment())))
        #expect(h.name == "appointment")
        #expect(h.texts == ["Your visit with Dr. Rivera", "Scheduled for 5:00 PM", "Tap Join when you are ready."])
        #expect(h.buttons == [.join])
        #expect(h.intents.isEmpty, "assignment alone never joins: the patient does")

        #expect(h.feed(.pressed(.join)).contains(.openDevices))
        #expect(h.name == "device-check")
        #expect(h.buttons.isEmpty, "Continue appears once the devices are open")
        h.feed(.devicesOpened(camera: "Front camera", microphone: "Array mic"))
        h.feed(.audioLevel(0.6))
        guard case .deviceCheck(let cam, let mic, let level, true)? = h.screen?.screen else {
            Issue.record("expected the device check with Continue, got \(String(describing: h.screen))")
            return
        }
        #expect(cam == "Front camera" && mic == "Array mic" && level == 0.6)
        #expect(h.screen?.selfVideo == true)

        h.feed(.pressed(.continueToCall))
        #expect(h.intents == [.join(appointmentId: "appt-7")])
        #expect(h.name == "waiting")
        #expect(h.texts.first == "Waiting for Dr. Rivera")

        #expect(h.feed(.call(.peerJoined(appointmentId: "appt-7"))).contains(.signal(.sendMediaState(SignalingMediaState(camera: .on, microphone: .unmuted)))))
        #expect(h.name == "connecting")
        h.feed(.call(.connected))
        #expect(h.name == "in-call")
        #expect(h.screen?.remoteVideo == true && h.screen?.selfVideo == true)
        #expect(h.buttons == [.cameraToggle, .microphoneToggle, .endCall])

        let end = h.feed(.pressed(.endCall))
        #expect(end.contains(.signal(.end(appointmentId: "appt-7"))))
        #expect(end.contains(.stopCall) && end.contains(.closeDevices), "the kiosk's own End stops media even if signaling is down")
        #expect(h.name == "ended")
        #expect(h.texts == ["Your Telehealth Session Has Ended"])
        #expect(h.buttons == [.rejoin])

        _ = h.advance(.seconds(119))
        #expect(h.name == "ended")
        _ = h.advance(.seconds(1))
        #expect(h.name == "idle", "back to the privacy screen after the ended timeout")
        #expect(h.flow.appointment == nil)
    }

    @Test func consentOpensWithContinueBeforeTheJoinAndClosesWithTheEnd() {
        var h = Harness()
        h.feed(.call(.assignment(Self.appointment())))
        h.feed(.pressed(.join))
        h.feed(.devicesOpened(camera: "Front camera", microphone: "Array mic"))
        #expect(h.flow.consentedAppointment == nil, "the device check is not a yes to a call")
        #expect(!h.actions.contains { if case .consent = $0 { true } else { false } })
        let continued = h.feed(.pressed(.continueToCall))
        #expect(continued.first == .consent(appointmentId: "appt-7"), "before the join goes out")
        #expect(continued.contains(.signal(.join(appointmentId: "appt-7"))))
        h.feed(.call(.joined(appointmentId: "appt-7", peerPresent: true)))
        h.feed(.call(.peerJoined(appointmentId: "appt-7")))
        h.feed(.call(.connected))
        #expect(h.flow.consentedAppointment == "appt-7")
        let ended = h.feed(.pressed(.endCall))
        #expect(ended.first == .consent(appointmentId: nil))
        #expect(h.name == "ended")
        let rejoined = h.feed(.pressed(.rejoin))
        #expect(rejoined.first == .consent(appointmentId: "appt-7"))
        #expect(rejoined.contains(.signal(.rejoin(appointmentId: "appt-7"))))
        h.feed(.call(.sessionEnded(appointmentId: "appt-7", by: .clinician)))
        let all = h.actions.compactMap { if case .consent(let id) = $0 { id ?? "none" } else { nil } }
        #expect(all == ["appt-7", "none", "appt-7", "none"])
    }

    @Test func leavingARefusedJoinAndAWithdrawnAppointmentCloseConsent() {
        var h = Harness()
        h.feed(.call(.assignment(Self.appointment())))
        h.feed(.pressed(.join))
        h.feed(.devicesOpened(camera: "c", microphone: "m"))
        h.feed(.pressed(.continueToCall))
        #expect(h.feed(.pressed(.leave)).first == .consent(appointmentId: nil))
        h.feed(.pressed(.join))
        h.feed(.devicesOpened(camera: "c", microphone: "m"))
        h.feed(.pressed(.continueToCall))
        #expect(h.feed(.call(.refused(code: "not-eligible", message: "too-late"))).first == .consent(appointmentId: nil))
        h.feed(.pressed(.join))
        h.feed(.devicesOpened(camera: "c", microphone: "m"))
        h.feed(.pressed(.continueToCall))
        #expect(h.flow.consentedAppointment == "appt-7")
        #expect(h.feed(.call(.assignment(nil))).first == .consent(appointmentId: nil))
        #expect(h.name == "idle")
    }

    @Test func muteAndCameraAreSentToTheClinicianAndTheirsAreShown() {
        var h = Self.inCall()
        #expect(h.feed(.pressed(.microphoneToggle)) == [
            .setMicrophone(muted: true), .signal(.sendMediaState(SignalingMediaState(camera: .on, microphone: .muted))),
            .show(KioskPresentation(screen: .inCall(CallControls(cameraOn: true, microphoneMuted: true)), remoteVideo: true, selfVideo: true, name: "in-call")),
        ])
        let cam = h.feed(.pressed(.cameraToggle))
        #expect(cam.contains(.setCamera(on: false)))
        #expect(h.screen?.selfVideo == false, "camera off: no self view either")

        h.feed(.call(.remoteMediaState(SignalingMediaState(camera: .on, microphone: .muted))))
        #expect(h.texts == ["Dr. Rivera muted their microphone"])
        h.feed(.call(.remoteMediaState(SignalingMediaState(camera: .off, microphone: .muted))))
        #expect(h.texts == ["Dr. Rivera turned their camera off and muted"])
        #expect(h.screen?.remoteVideo == false, "their last frame is not left frozen on screen")
        h.feed(.call(.remoteMediaState(SignalingMediaState(camera: .on, microphone: .unmuted))))
        #expect(h.texts.isEmpty && h.screen?.remoteVideo == true)
    }

    /// The camera unplugged mid-call: the call goes on, the clinician is told the camera is
    /// unavailable (not turned off), the patient sees why; back by itself, both are told again.
    @Test func aCameraLostMidCallIsToldToBothSidesAndItsReturnToo() {
        var h = Self.inCall()
        let lost = h.feed(.cameraAvailability(false))
        #expect(lost.contains(.signal(.sendMediaState(SignalingMediaState(camera: .unavailable, microphone: .unmuted)))))
        #expect(!lost.contains(.stopCall) && h.name == "in-call")
        #expect(h.texts == [KioskWording.cameraUnavailable])
        #expect(h.screen?.selfVideo == true, "the self view shows the placeholder where the picture was")
        #expect(h.feed(.cameraAvailability(false)).isEmpty, "told once")
        let back = h.feed(.cameraAvailability(true))
        #expect(back.contains(.signal(.sendMediaState(SignalingMediaState(camera: .on, microphone: .unmuted)))))
        #expect(h.texts.isEmpty)
        h.feed(.call(.remoteMediaState(SignalingMediaState(camera: .unavailable, microphone: .unmuted))))
        #expect(h.texts == ["Dr. Rivera's camera is not working"])
    }

    @Test func theClinicianEndingShowsTheEndedScreenAndRejoinNeedsTheKioskToo() {
        var h = Self.inCall()
        let ended = h.feed(.call(.sessionEnded(appointmentId: "appt-7", by: .clinician)))
        #expect(ended.contains(.stopCall) && ended.contains(.closeDevices))
        #expect(h.name == "ended")
        let before = h.intents.count
        // The clinician rejoining alone changes nothing on the kiosk.
        _ = h.advance(.seconds(5))
        #expect(h.name == "ended" && h.intents.count == before)

        let rejoin = h.feed(.pressed(.rejoin))
        #expect(rejoin.contains(.openDevices))
        #expect(h.intents.last == .rejoin(appointmentId: "appt-7"))
        #expect(h.name == "waiting")
        h.feed(.call(.peerJoined(appointmentId: "appt-7")))
        h.feed(.call(.connected))
        #expect(h.name == "in-call")
    }

    @Test func aForgottenSessionIsJoinedAfresh() {
        var h = Self.inCall()
        h.feed(.call(.sessionEnded(appointmentId: "appt-7", by: .kiosk)))
        h.feed(.pressed(.rejoin))
        h.feed(.call(.refused(code: "no-session-to-rejoin", message: "appointment appt-7 has no session to rejoin; send join")))
        #expect(h.intents.suffix(2) == [.rejoin(appointmentId: "appt-7"), .join(appointmentId: "appt-7")])
        #expect(h.name == "waiting")
    }

    @Test(arguments: [
        (["too-early"], "Your session opens at 12:00 PM"),
        (["too-late"], "The time for this visit has passed. Please ask the front desk."),
        (["cancelled"], "This visit was cancelled. Please ask the front desk."),
        (["missed"], "This visit is marked as missed. Please ask the front desk."),
        (["type-not-eligible"], "This kind of appointment is not held by video. Please ask the front desk."),
        (["no-portal-account"], "Your patient portal account must be set up first. Please ask the front desk."),
        (["too-early", "cancelled"], "This visit was cancelled. Please ask the front desk."),
    ])
    func anIneligibleAppointmentSaysWhyAndHasNoJoin(reasons: [String], sentence: String) {
        var h = Harness()
        h.feed(.call(.assignment(Self.appointment(eligible: false, reasons: reasons))))
        #expect(h.texts == ["Your visit with Dr. Rivera", "Scheduled for 5:00 PM", sentence])
        #expect(h.buttons.isEmpty)
        #expect(!h.feed(.pressed(.join)).contains(.openDevices), "a stale tap on Join does nothing")
        // The endpoint re-sends the assignment when the window opens.
        h.feed(.call(.assignment(Self.appointment())))
        #expect(h.buttons == [.join])
    }

    @Test func aRefusedJoinGoesBackToTheAppointmentAndClosesTheCamera() {
        var h = Harness()
        h.feed(.call(.assignment(Self.appointment())))
        h.feed(.pressed(.join))
        h.feed(.devicesOpened(camera: "c", microphone: "m"))
        h.feed(.pressed(.continueToCall))
        let a = h.feed(.call(.refused(code: "not-eligible", message: "too-late")))
        #expect(a.contains(.closeDevices))
        #expect(h.name == "appointment")
        #expect(h.texts.last == "The time for this visit has passed. Please ask the front desk.")
        // A refusal that does not answer a join (e.g. a late candidate) changes nothing.
        var w = Harness()
        w.feed(.call(.assignment(Self.appointment())))
        w.feed(.pressed(.join))
        w.feed(.devicesOpened(camera: "c", microphone: "m"))
        w.feed(.pressed(.continueToCall))
        w.feed(.call(.refused(code: "peer-absent", message: "the clinician is not in the room")))
        #expect(w.name == "waiting")
    }

    @Test func aMissingCameraShowsAPlainErrorAndKeepsRetrying() {
        var h = Harness()
        h.feed(.call(.assignment(Self.appointment())))
        h.feed(.pressed(.join))
        h.feed(.devicesFailed(.noCamera("no camera is configured or connected")))
        #expect(h.name == "error")
        #expect(h.texts.prefix(2) == ["The camera is not working", "Trying again. Please ask the front desk for help."])
        #expect(h.advance(.seconds(1)).isEmpty)
        #expect(h.advance(.seconds(1)).contains(.openDevices))
        h.feed(.devicesOpened(camera: "c", microphone: "m"))
        #expect(h.name == "device-check")
        #expect(h.buttons == [.continueToCall])
    }

    @Test func anUnreachablePracticeIsShownOutsideACallButNeverInterruptsOne() {
        var h = Harness()
        h.feed(.call(.signalingLost))
        _ = h.advance(.seconds(7))
        #expect(h.name == "idle")
        _ = h.advance(.seconds(1))
        #expect(h.name == "error")
        #expect(h.texts.first == "Cannot reach the practice")
        #expect(h.feed(.pressed(.retry)).contains(.reconnectSignaling))
        h.feed(.call(.signalingReady))
        #expect(h.name == "idle")

        var c = Self.inCall()
        c.feed(.call(.signalingLost))
        _ = c.advance(.seconds(60))
        #expect(c.name == "in-call", "media flows peer to peer without the endpoint")
    }

    @Test func theTrayHidesAndATouchBringsItBack() {
        var h = Self.inCall()
        _ = h.advance(.seconds(9))
        #expect(h.buttons.count == 3)
        _ = h.advance(.seconds(1))
        #expect(h.buttons.isEmpty)
        h.feed(.touched)
        #expect(h.buttons == [.cameraToggle, .microphoneToggle, .endCall])
    }

    @Test func anAssignmentChangeMidCallWaitsForTheCallToEnd() {
        var h = Self.inCall()
        let a = h.feed(.call(.assignment(nil)))
        #expect(!a.contains(.stopCall) && !a.contains(.closeDevices), "a healthy call is never cut off by the endpoint")
        #expect(h.name == "in-call")
        h.feed(.pressed(.endCall))
        #expect(h.name == "idle", "the withdrawn assignment applies once the call ended")

        // Out of a call, taking the appointment away leaves the room and closes everything.
        var w = Harness()
        w.feed(.call(.assignment(Self.appointment())))
        w.feed(.pressed(.join))
        w.feed(.devicesOpened(camera: "c", microphone: "m"))
        w.feed(.pressed(.continueToCall))
        let gone = w.feed(.call(.assignment(nil)))
        #expect(gone.contains(.signal(.leave(appointmentId: "appt-7"))) && gone.contains(.closeDevices))
        #expect(w.name == "idle")
    }

    @Test func thePatientCanLeaveTheWaitingRoomAndAnUntouchedDeviceCheckCloses() {
        var h = Harness()
        h.feed(.call(.assignment(Self.appointment())))
        h.feed(.pressed(.join))
        h.feed(.devicesOpened(camera: "c", microphone: "m"))
        h.feed(.pressed(.continueToCall))
        #expect(h.buttons == [.leave])
        let leave = h.feed(.pressed(.leave))
        #expect(leave.contains(.signal(.leave(appointmentId: "appt-7"))) && leave.contains(.closeDevices))
        #expect(h.name == "appointment" && h.buttons == [.join])

        h.feed(.pressed(.join))
        h.feed(.devicesOpened(camera: "c", microphone: "m"))
        #expect(!h.advance(.seconds(179)).contains(.closeDevices), "the device check stays open until 3 minutes pass")
        #expect(h.name == "device-check")
        #expect(h.advance(.seconds(1)).contains(.closeDevices), "nobody touched the device check for 3 minutes")
        #expect(h.name == "appointment")
    }

    @Test func theClinicianLeavingPutsThePatientBackToWaiting() {
        var h = Self.inCall()
        h.feed(.call(.remoteMediaState(SignalingMediaState(camera: .off, microphone: .muted))))
        h.feed(.call(.peerLeft(appointmentId: "appt-7")))
        #expect(h.name == "waiting")
        #expect(!h.actions.contains(.closeDevices), "the patient stays ready for the clinician's return")
        h.feed(.call(.peerJoined(appointmentId: "appt-7")))
        h.feed(.call(.connected))
        #expect(h.texts.allSatisfy { !$0.contains("muted") }, "the old media state is forgotten")
    }

    /// Both in the room: to the step of the clinician's `peer-joined` (the engine connecting).
    static func connecting() -> Harness {
        var h = Harness()
        h.feed(.call(.assignment(appointment())))
        h.feed(.pressed(.join))
        h.feed(.devicesOpened(camera: "Front camera", microphone: "Array mic"))
        h.feed(.pressed(.continueToCall))
        h.feed(.call(.joined(appointmentId: "appt-7", peerPresent: true)))
        h.feed(.call(.peerJoined(appointmentId: "appt-7")))
        h.actions = []
        return h
    }

    @Test func aCallThatCannotConnectGivesUpAtTheLimitSaysWhyAndTriesAgain() {
        var h = Self.connecting()
        #expect(h.advance(.seconds(29)).isEmpty)
        #expect(h.name == "connecting")
        let failed = h.advance(.seconds(1))
        #expect(failed.filter { if case .show = $0 { false } else { true } } == [
            .consent(appointmentId: nil), .stopCall,
            .signal(.sendError(SignalingErrorPayload(code: .connectFailed, message: "no media path within 30 s"))),
            .signal(.leave(appointmentId: "appt-7")),
            .status("Could not connect (appointment appt-7): no media path within 30 s; trying again"),
        ])
        #expect(h.name == "connect-failed")
        #expect(h.texts.contains("Could not connect to Dr. Rivera"))
        #expect(h.buttons == [.leave])
        #expect(h.flow.consentedAppointment == nil, "out of the room: nothing is admitted")
        #expect(!h.actions.contains(.closeDevices), "the patient stays ready")
        // Ten seconds later the kiosk re-enters the room; the clinician's page starts afresh.
        h.actions = []
        #expect(h.advance(.seconds(9)).isEmpty)
        let retry = h.advance(.seconds(1))
        #expect(retry.first == .consent(appointmentId: "appt-7"))
        #expect(retry.contains(.signal(.join(appointmentId: "appt-7"))))
        #expect(h.name == "waiting")
        h.feed(.call(.peerJoined(appointmentId: "appt-7")))
        h.feed(.call(.connected))
        #expect(h.name == "in-call")
        // The limit counts from each peer-joined, not from the first attempt.
        #expect(h.advance(.seconds(60)).allSatisfy { if case .signal(.sendError) = $0 { false } else { true } })
    }

    @Test func anEngineFailureWhileConnectingFailsAtOnceWithItsReason() {
        var h = Self.connecting()
        h.feed(.call(.failed("no network path to the peer (ICE failed)")))
        #expect(h.intents == [.sendError(SignalingErrorPayload(code: .connectFailed, message: "no network path to the peer (ICE failed)")),
                              .leave(appointmentId: "appt-7")])
        #expect(h.name == "connect-failed")
        // Leave from there: back to the appointment with the camera closed, nothing more sent.
        h.actions = []
        h.feed(.pressed(.leave))
        #expect(h.name == "appointment")
        #expect(h.actions.contains(.closeDevices))
        #expect(h.intents.isEmpty)
        #expect(h.advance(.seconds(20)).allSatisfy { if case .signal = $0 { false } else { true } }, "no retry after Leave")
    }

    @Test func anEngineFailureMidCallStillWaitsForTheClinician() {
        var h = Self.inCall()
        h.actions = []
        h.feed(.call(.failed("the peer stopped answering consent checks")))
        #expect(h.name == "waiting")
        #expect(h.intents.isEmpty)
    }
}
