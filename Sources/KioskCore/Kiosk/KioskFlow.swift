import Render
import SessionCore
import Signaling

/// The kiosk's workflow as a sans-IO state machine: idle (privacy) → appointment → device
/// check → waiting for the clinician → in call → ended with Rejoin → idle again. It takes
/// signaling, call, device and touch events with the current time and returns what to draw and
/// what to do; `KioskController` performs it. The practice's rules are evaluated by the
/// endpoint; the kiosk shows their outcome and never sends a join the patient did not ask for.
public struct KioskFlow {
    public struct Settings: Sendable {
        /// The ended screen goes back to idle after this long without a Rejoin.
        public var endedTimeout: Duration = .seconds(120)
        /// The in-call tray hides after this long without a touch.
        public var trayHideAfter: Duration = .seconds(10)
        /// Out of a call, signaling down this long shows "Cannot reach the practice".
        public var unreachableAfter: Duration = .seconds(8)
        /// How often a failed camera or microphone is tried again.
        public var deviceRetry: Duration = .seconds(2)
        /// A device check nobody touches for this long closes the camera and goes back to the
        /// appointment (the patient walked away).
        public var deviceCheckTimeout: Duration = .seconds(180)
        /// Both in the room and no media path by then: the call gives up, says so, and the
        /// practice is told why.
        public var connectLimit: Duration = .seconds(30)
        /// After a failed connection, the kiosk re-enters the room this long later.
        public var connectRetry: Duration = .seconds(10)

        public init() {}
    }

    enum Phase: Sendable, Equatable {
        case idle
        case appointment
        case deviceCheck
        /// `join`/`rejoin` sent; the clinician is not (yet) in the room.
        case waiting
        /// Both are in the room; the call is being set up.
        case connecting
        case inCall
        /// The call could not connect; the kiosk left the room and re-enters it at `since` +
        /// `connectRetry` (Leave goes back to the appointment).
        case connectFailed(since: Instant)
        case ended(since: Instant)
    }

    let settings: Settings
    private(set) var phase: Phase = .idle
    private(set) var appointment: SignalingAppointment?
    private(set) var cameraOn = true
    /// The open camera delivers (false while it is unplugged or failed mid-session).
    private(set) var cameraAvailable = true
    private(set) var microphoneMuted = false
    private(set) var remote = SignalingMediaState(camera: .on, microphone: .unmuted)
    private var devicesOpen = false
    private(set) var devices: (camera: String, microphone: String) = ("", "")
    private(set) var deviceProblem: DeviceProblem?
    private var deviceRetryAt: Instant?
    private(set) var audioLevel = 0.0
    private(set) var signalingUp = false
    private(set) var signalingDownSince: Instant
    /// Set after an end: the next join for this appointment is a `rejoin`.
    private var rejoinAppointment: String?
    private(set) var refusal: String?
    private var lastTouch: Instant
    private(set) var trayVisible = true
    /// An assignment change that arrived during a call: applied when the call ends, so the
    /// front desk (or a confused endpoint) never cuts off a patient mid-visit.
    private var deferredAssignment: SignalingAppointment??
    private var shown: KioskPresentation?
    /// When the current connection attempt began (the clinician's `peer-joined`).
    private var connectingSince: Instant?
    private var announcedConsent: String?
    /// A visit to resume after a crash, until the practice's assignment confirms or drops it.
    private var pendingResume: String?
    private var announcedVisit: String?

    init(settings: Settings = Settings(), now: Instant) {
        self.settings = settings
        signalingDownSince = now
        lastTouch = now
    }

    /// Feeds one input; returns the actions in the order to perform them.
    mutating func handle(_ input: Input, at now: Instant) -> [Action] {
        var actions: [Action] = []
        switch input {
        case .call(let event):
            callEvent(event, at: now, &actions)
        case .touched:
            lastTouch = now
            trayVisible = true
        case .pressed(let button):
            pressed(button, at: now, &actions)
        case .devicesOpened(let camera, let microphone):
            devices = (camera, microphone)
            cameraAvailable = true
            deviceProblem = nil
            deviceRetryAt = nil
        case .devicesFailed(let problem):
            devicesOpen = false
            deviceProblem = problem
            deviceRetryAt = now + settings.deviceRetry
        case .audioLevel(let level):
            audioLevel = level
        case .cameraAvailability(let available):
            guard available != cameraAvailable else { break }
            cameraAvailable = available
            // The clinician's page says so instead of showing a frozen picture.
            if phase == .connecting || phase == .inCall { actions.append(.signal(.sendMediaState(ownMediaState))) }
        case .tick:
            tick(at: now, &actions)
        case .resumeVisit(let id):
            if phase == .idle || phase == .appointment { pendingResume = id }
        }
        let consent = consentedAppointment
        if consent != announcedConsent {
            announcedConsent = consent
            actions.insert(.consent(appointmentId: consent), at: 0)
        }
        let visit = pendingResume ?? visitInProgress
        if visit != announcedVisit {
            announcedVisit = visit
            actions.append(.rememberVisit(appointmentId: visit, closesAt: visit == nil ? nil : appointment?.telehealth.closesAt))
        }
        if let p = presentation(at: now), p != shown {
            shown = p
            actions.append(.show(p))
        }
        return actions
    }

    /// The appointment the patient joined on this kiosk, while the call may run: from the
    /// Continue (or Rejoin) tap through waiting and the call, until it ends, the patient
    /// leaves, the endpoint refuses the join or the appointment is withdrawn.
    var consentedAppointment: String? {
        switch phase {
        case .waiting, .connecting, .inCall: return appointment?.id
        case .idle, .appointment, .deviceCheck, .connectFailed, .ended: return nil
        }
    }

    /// The appointment whose visit the patient is in, connected or not: what a crash must not
    /// end. Unlike consent it holds while a failed connection waits to try again.
    var visitInProgress: String? {
        switch phase {
        case .waiting, .connecting, .inCall, .connectFailed: return appointment?.id
        case .idle, .appointment, .deviceCheck, .ended: return nil
        }
    }

    /// What the screen shows now; nil before the first input.
    var presentation: KioskPresentation? { shown }

    // MARK: - Transitions

    /// Signaling, the room and the media engine.
    private mutating func callEvent(_ event: CallEvent, at now: Instant, _ actions: inout [Action]) {
        switch event {
        case .signalingReady:
            signalingUp = true
        case .signalingLost:
            signalingUp = false
            signalingDownSince = now
        case .refused(let code, let message):
            refused(code: code, message: message, &actions)
        case .assignment(let a):
            assigned(a, &actions)
        case .joined(let id, _):
            guard id == appointment?.id, phase == .waiting else { break }
            actions.append(.status("Waiting for the clinician (appointment \(id))"))
        case .peerJoined(let id):
            guard id == appointment?.id, phase == .waiting || phase == .inCall else { break }
            if phase != .connecting { connectingSince = now }
            phase = .connecting
            actions.append(.signal(.sendMediaState(ownMediaState)))
        case .connected:
            guard phase == .connecting || phase == .waiting else { break }
            phase = .inCall
            lastTouch = now
            trayVisible = true
            actions.append(.status("In a call (appointment \(appointment?.id ?? "?"))"))
        case .failed(let why):
            if phase == .connecting {
                connectFailed(why ?? "the connection failed", at: now, &actions)
            } else if phase == .inCall {
                phase = .waiting
            }
        case .peerLeft(let id):
            guard id == appointment?.id, phase == .connecting || phase == .inCall else { break }
            phase = .waiting
            remote = SignalingMediaState(camera: .on, microphone: .unmuted)
        case .sessionEnded(let id, _):
            guard id == appointment?.id else { break }
            end(at: now, &actions)
        case .remoteMediaState(let state):
            remote = state
        }
    }

    private mutating func assigned(_ a: SignalingAppointment?, _ actions: inout [Action]) {
        let sameAppointment = a?.id == appointment?.id && a != nil
        if !sameAppointment, phase == .connecting || phase == .inCall {
            deferredAssignment = .some(a)
            actions.append(.status("Assignment changed during the call; applied when it ends"))
            return
        }
        deferredAssignment = nil
        let previous = appointment?.id
        appointment = a
        refusal = nil
        if let resume = pendingResume {
            pendingResume = nil
            if let a, a.id == resume, a.telehealth.eligible, phase == .idle || phase == .appointment {
                // The patient joined this visit before kioskd stopped: back into the room,
                // devices open, no device check (they already passed it).
                actions.append(.status("Resuming the visit (appointment \(a.id))"))
                openDevices(&actions)
                join(a.id, &actions)
                return
            }
        }
        guard let a else {
            // The front desk took the appointment away: whatever was on screen goes.
            if phase != .idle { leaveEverything(room: previous, &actions) }
            phase = .idle
            actions.append(.status("Idle, no appointment"))
            return
        }
        if !sameAppointment {
            rejoinAppointment = nil
            if phase != .idle && phase != .appointment { leaveEverything(room: previous, &actions) }
            phase = .appointment
            actions.append(.status("Appointment \(a.id) assigned"))
        } else if case .ended = phase {
            // A re-sent assignment (e.g. the window opened) does not hide the ended screen.
        } else if phase == .idle {
            phase = .appointment
        }
    }

    private mutating func pressed(_ button: KioskButton, at now: Instant, _ actions: inout [Action]) {
        lastTouch = now
        switch (button, phase) {
        case (.join, .appointment):
            guard let a = appointment, a.telehealth.eligible else { return }
            phase = .deviceCheck
            refusal = nil
            openDevices(&actions)
        case (.continueToCall, .deviceCheck):
            guard devicesOpen, deviceProblem == nil, let a = appointment else { return }
            join(a.id, &actions)
        case (.cameraToggle, .inCall), (.cameraToggle, .connecting):
            cameraOn.toggle()
            actions.append(.setCamera(on: cameraOn))
            actions.append(.signal(.sendMediaState(ownMediaState)))
        case (.microphoneToggle, .inCall), (.microphoneToggle, .connecting):
            microphoneMuted.toggle()
            actions.append(.setMicrophone(muted: microphoneMuted))
            actions.append(.signal(.sendMediaState(ownMediaState)))
        case (.endCall, .inCall), (.endCall, .connecting), (.endCall, .waiting):
            guard let id = appointment?.id else { return }
            actions.append(.signal(.end(appointmentId: id)))
            end(at: now, &actions)
        case (.leave, .waiting):
            guard let id = appointment?.id else { return }
            actions.append(.signal(.leave(appointmentId: id)))
            phase = .appointment
            closeDevices(&actions)
        case (.leave, .connectFailed):
            // Already out of the room: back to the appointment, camera closed.
            phase = .appointment
            closeDevices(&actions)
        case (.rejoin, .ended):
            guard let a = appointment else { return }
            openDevices(&actions)
            join(a.id, &actions)
        case (.retry, _):
            if deviceProblem != nil {
                deviceRetryAt = now
                tick(at: now, &actions)
            }
            if !signalingUp { actions.append(.reconnectSignaling) }
        default:
            break
        }
    }

    private mutating func join(_ id: String, _ actions: inout [Action]) {
        phase = .waiting
        refusal = nil
        if rejoinAppointment == id {
            actions.append(.signal(.rejoin(appointmentId: id)))
        } else {
            actions.append(.signal(.join(appointmentId: id)))
        }
    }

    /// Refusals that answer a join or rejoin; others (e.g. a candidate after the peer left) do
    /// not concern the screen.
    static let joinRefusals: Set<String> = [SignalingErrorCode.notEligible, .unauthorized, .unknownAppointment,
                                            .noSessionToRejoin, .unexpected].map(\.rawValue).reduce(into: []) { $0.insert($1) }

    private mutating func refused(code: String, message: String, _ actions: inout [Action]) {
        guard phase == .waiting, Self.joinRefusals.contains(code), let id = appointment?.id else { return }
        if code == SignalingErrorCode.noSessionToRejoin.rawValue {
            // The endpoint forgot the ended session (e.g. it restarted): start it afresh.
            rejoinAppointment = nil
            actions.append(.signal(.join(appointmentId: id)))
            return
        }
        refusal = KioskWording(appointment: appointment).refusal(code: code, message: message)
        phase = .appointment
        actions.append(.closeDevices)
        devicesOpen = false
    }

    private mutating func end(at now: Instant, _ actions: inout [Action]) {
        guard phase != .idle, phase != .appointment, !isEnded else { return }
        rejoinAppointment = appointment?.id
        phase = .ended(since: now)
        remote = SignalingMediaState(camera: .on, microphone: .unmuted)
        actions.append(.stopCall)
        closeDevices(&actions)
        actions.append(.status("Session ended (appointment \(appointment?.id ?? "?"))"))
        if let deferred = deferredAssignment {
            deferredAssignment = nil
            assigned(deferred, &actions)
        }
    }

    /// The call could not connect: the engine goes, the practice learns why (an `error` it can
    /// log and show the clinician), the kiosk leaves the room so that both sides start afresh
    /// when it re-enters, and the patient reads what is happening.
    private mutating func connectFailed(_ why: String, at now: Instant, _ actions: inout [Action]) {
        guard let id = appointment?.id else { return }
        actions.append(.stopCall)
        actions.append(.signal(.sendError(SignalingErrorPayload(code: .connectFailed, message: why))))
        actions.append(.signal(.leave(appointmentId: id)))
        actions.append(.status("Could not connect (appointment \(id)): \(why); trying again"))
        phase = .connectFailed(since: now)
        connectingSince = nil
    }

    private mutating func tick(at now: Instant, _ actions: inout [Action]) {
        if phase == .connecting, let since = connectingSince, now - since >= settings.connectLimit {
            connectFailed("no media path within \(settings.connectLimit.components.seconds) s", at: now, &actions)
        }
        if case .connectFailed(let since) = phase, now - since >= settings.connectRetry, let a = appointment {
            join(a.id, &actions)
        }
        if case .ended(let since) = phase, now - since >= settings.endedTimeout {
            phase = .idle
            appointment = nil
            rejoinAppointment = nil
            actions.append(.status("Idle, no appointment"))
        }
        if phase == .deviceCheck, now - lastTouch >= settings.deviceCheckTimeout {
            phase = .appointment
            closeDevices(&actions)
        }
        if phase == .inCall, trayVisible, now - lastTouch >= settings.trayHideAfter {
            trayVisible = false
        }
        if deviceProblem != nil, let at = deviceRetryAt, now >= at, wantsDevices {
            deviceRetryAt = now + settings.deviceRetry
            actions.append(.openDevices)
            devicesOpen = true
        }
    }

    private mutating func openDevices(_ actions: inout [Action]) {
        guard !devicesOpen else { return }
        devicesOpen = true
        cameraOn = true
        microphoneMuted = false
        audioLevel = 0
        actions.append(.openDevices)
    }

    private mutating func closeDevices(_ actions: inout [Action]) {
        guard devicesOpen else { return }
        devicesOpen = false
        deviceProblem = nil
        deviceRetryAt = nil
        actions.append(.closeDevices)
    }

    private mutating func leaveEverything(room: String?, _ actions: inout [Action]) {
        if let id = room, phase == .waiting || phase == .connecting || phase == .inCall {
            // (connectFailed has already left the room.)
            actions.append(.signal(.leave(appointmentId: id)))
        }
        actions.append(.stopCall)
        closeDevices(&actions)
        rejoinAppointment = nil
        remote = SignalingMediaState(camera: .on, microphone: .unmuted)
    }
}
