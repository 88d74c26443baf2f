import Foundation

/// The practice's telehealth workflow rules (/work/shared/DESIGN.md "Workflow rules";
/// docs/practice-api.md) as one pure function of the *saved* appointment, the instant, and
/// optionally who asks. Unsaved edits (drafts) never reach it.
public enum TelehealthRules {
    /// A session can start from this long before to this long after the scheduled time, both
    /// ends included (17:00 → 12:00–22:00). Elapsed time between instants: a DST change inside
    /// the window neither stretches nor shrinks it.
    static let window: TimeInterval = 5 * 3600

    /// Appointment types that never have a telehealth session (compared case-insensitively,
    /// ignoring surrounding spaces).
    static let excludedTypes = ["Group Therapy", "Scheduled Event", "Vacation or Blackout Period"]

    struct Reason: Equatable, Sendable {
        /// type-not-eligible, no-portal-account, missed, cancelled, not-the-clinician, too-early, too-late.
        var code: String
        /// A sentence for people (no patient data).
        var message: String
    }

    public struct Decision: Equatable, Sendable {
        /// Every failed rule, in this order: type, portal account, status, clinician, window.
        var reasons: [Reason]
        public var opensAt: Date
        public var closesAt: Date
        /// "12:00 PM" in `timeZone`.
        var opensAtLocal: String
        var closesAtLocal: String
        var timeZone: String

        var eligible: Bool { reasons.isEmpty }
        /// True when only the time window fails (the kiosk can say "opens at …").
        var onlyOutsideWindow: Bool { !reasons.isEmpty && reasons.allSatisfy { $0.code == "too-early" || $0.code == "too-late" } }
    }

    /// `clinicianId`: who wants to start the session (nil: not asked for anyone, e.g. a kiosk).
    public static func evaluate(_ a: Appointment, at now: Date, clinicianId: String? = nil) -> Decision {
        let opensAt = a.scheduledAt.addingTimeInterval(-window)
        let closesAt = a.scheduledAt.addingTimeInterval(window)
        let opensLocal = PracticeTime.clockTime(opensAt, zone: a.timeZone)
        let closesLocal = PracticeTime.clockTime(closesAt, zone: a.timeZone)
        var reasons: [Reason] = []
        if isExcluded(type: a.type) {
            reasons.append(Reason(code: "type-not-eligible", message: "\(a.type) appointments have no telehealth session."))
        }
        if !a.patient.portalAccount {
            reasons.append(Reason(code: "no-portal-account", message: "The patient has no client portal account."))
        }
        switch a.status {
        case .scheduled: break
        case .missed: reasons.append(Reason(code: "missed", message: "The appointment is marked Missed."))
        case .cancelled: reasons.append(Reason(code: "cancelled", message: "The appointment is marked Cancelled."))
        }
        // The role needs no check here: input validation admits only Clinician and Intern.
        if let clinicianId, clinicianId != a.clinician.id {
            reasons.append(Reason(code: "not-the-clinician", message: "Only the clinician on this appointment can start its session."))
        }
        if now < opensAt {
            reasons.append(Reason(code: "too-early", message: "Telehealth opens at \(opensLocal) (\(a.timeZone))."))
        } else if now > closesAt {
            reasons.append(Reason(code: "too-late", message: "Telehealth closed at \(closesLocal) (\(a.timeZone))."))
        }
        return Decision(reasons: reasons, opensAt: opensAt, closesAt: closesAt,
                        opensAtLocal: opensLocal, closesAtLocal: closesLocal, timeZone: a.timeZone)
    }

    static func isExcluded(type: String) -> Bool {
        let t = type.trimmingCharacters(in: .whitespaces).lowercased()
        return excludedTypes.contains { $0.lowercased() == t }
    }
}
