import Foundation
import Render
import Signaling

/// Every sentence the patient reads, in plain language. The kiosk never knows the patient's
/// name (the endpoint does not send it), so no screen can show it; the clinician's display
/// name and the appointment's time are what identify the visit.
struct KioskWording {
    var appointment: SignalingAppointment?

    static let ended = "Your Telehealth Session Has Ended"

    var clinician: String { appointment?.clinicianDisplayName ?? "your clinician" }

    var idle: KioskScreen {
        .waiting(title: "Welcome", detail: "The front desk will send your telehealth visit to this screen.")
    }

    var waiting: KioskScreen {
        .waitingRoom(title: "Waiting for \(clinician)", detail: "You will be connected as soon as \(clinician) joins.")
    }

    var connecting: KioskScreen {
        .waiting(title: "Connecting to \(clinician)", detail: "This takes a few seconds.")
    }

    /// A waiting room (its Leave button included): the patient stays, the kiosk tries again.
    var connectFailed: KioskScreen {
        .waitingRoom(title: "Could not connect to \(clinician)",
                     detail: "The network here may be blocking the video call. Trying again in a moment. Please ask the front desk if this lasts.")
    }

    var unreachable: KioskScreen {
        .error(title: "Cannot reach the practice", detail: "Checking the connection again. Please ask the front desk if this lasts.",
               diagnostics: [])
    }

    func deviceProblem(_ p: KioskFlow.DeviceProblem) -> KioskScreen {
        switch p {
        case .noCamera(let why):
            return .error(title: "The camera is not working", detail: "Trying again. Please ask the front desk for help.", diagnostics: [why])
        case .noMicrophone(let why):
            return .error(title: "The microphone is not working", detail: "Trying again. Please ask the front desk for help.", diagnostics: [why])
        }
    }

    func appointmentScreen(_ a: SignalingAppointment, refusal: String?) -> KioskScreen {
        let title = "Your visit with \(a.clinicianDisplayName)"
        let time = Self.localTime(a.scheduledAt, zone: a.timeZone).map { "Scheduled for \($0)" } ?? ""
        if let refusal {
            return .appointment(title: title, time: time, detail: refusal, canJoin: a.telehealth.eligible)
        }
        if a.telehealth.eligible {
            return .appointment(title: title, time: time, detail: "Tap Join when you are ready.", canJoin: true)
        }
        return .appointment(title: title, time: time, detail: Self.notYet(a), canJoin: false)
    }

    /// A join the endpoint refused, in the patient's words. `not-eligible` carries the rules'
    /// reason codes, comma-separated.
    func refusal(code: String, message: String) -> String {
        guard code == SignalingErrorCode.notEligible.rawValue else {
            return "The practice could not start this visit. Please ask the front desk."
        }
        let codes = message.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard let a = appointment else { return Self.sentence(codes: codes, opensAt: nil) }
        return Self.sentence(codes: codes, opensAt: Self.localTime(a.telehealth.opensAt, zone: a.timeZone))
    }

    /// Why the patient cannot join, for the first reason the endpoint gave.
    static func notYet(_ a: SignalingAppointment) -> String {
        sentence(codes: a.telehealth.reasons.map(\.code), opensAt: localTime(a.telehealth.opensAt, zone: a.timeZone))
    }

    static func sentence(codes: [String], opensAt: String?) -> String {
        // Reasons that no waiting will fix come first; "too early" only when it is the sole one.
        for code in codes where code != "too-early" {
            switch code {
            case "too-late": return "The time for this visit has passed. Please ask the front desk."
            case "cancelled": return "This visit was cancelled. Please ask the front desk."
            case "missed": return "This visit is marked as missed. Please ask the front desk."
            case "type-not-eligible": return "This kind of appointment is not held by video. Please ask the front desk."
            case "no-portal-account": return "Your patient portal account must be set up first. Please ask the front desk."
            case "not-the-clinician": return "This visit belongs to another clinician. Please ask the front desk."
            default: return "This visit cannot start here. Please ask the front desk."
            }
        }
        if codes.contains("too-early"), let opens = opensAt {
            return "Your session opens at \(opens)"
        }
        return "This visit cannot start here. Please ask the front desk."
    }

    func remoteNotice(_ s: SignalingMediaState) -> String? {
        switch (s.camera, s.microphone) {
        case (.on, .unmuted): return nil
        case (.off, .unmuted): return "\(clinician) turned their camera off"
        case (.on, .muted): return "\(clinician) muted their microphone"
        case (.off, .muted): return "\(clinician) turned their camera off and muted"
        case (.unavailable, .unmuted): return "\(clinician)'s camera is not working"
        case (.unavailable, .muted): return "\(clinician)'s camera is not working; they muted"
        }
    }

    /// The in-call banner: the kiosk's own camera gone comes first (the patient must know
    /// the clinician cannot see them), then what the other side did.
    func inCallNotice(remote: SignalingMediaState, cameraAvailable: Bool) -> String? {
        guard cameraAvailable else { return Self.cameraUnavailable }
        return remoteNotice(remote)
    }

    static let cameraUnavailable = "Your camera is not working. The clinician can still hear you."

    /// "12:00 PM" in the appointment's own time zone.
    static func localTime(_ rfc3339: String, zone: String) -> String? {
        let parser = ISO8601DateFormatter()
        parser.formatOptions = [.withInternetDateTime]
        var date = parser.date(from: rfc3339)
        if date == nil {
            parser.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            date = parser.date(from: rfc3339)
        }
        guard let date else { return nil }
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: zone) ?? TimeZone(identifier: "UTC")
        f.dateFormat = "h:mm a"
        return f.string(from: date)
    }
}
