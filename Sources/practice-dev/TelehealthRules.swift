import Foundation

/// The practice's telehealth workflow rules (docs: /work/shared/DESIGN.md "Workflow rules"),
/// as one pure function of a saved appointment and the current time. Extend here.
enum TelehealthRules {
    /// A session can start from this long before to this long after the scheduled time
    /// (17:00 → 12:00–22:00, both ends included).
    static let window: TimeInterval = 5 * 3600

    /// Appointment types that never have a telehealth session (compared case-insensitively).
    /// The practice product spells the last one "Vacation or Blackout Period"; older exports use a slash.
    static let excludedTypes: Set<String> = ["group therapy", "scheduled event", "vacation or blackout period", "vacation/blackout period"]
    /// Appointment statuses that never have a telehealth session.
    static let excludedStatuses: Set<String> = ["missed", "cancelled", "canceled"]

    struct Reason: Equatable, Sendable, Codable {
        var code: String
        var message: String
    }

    struct Decision: Equatable, Sendable {
        var eligible: Bool { reasons.isEmpty }
        /// Every failed rule, in a stable order: type, portal account, status, saved, window.
        var reasons: [Reason]
        var opensAt: Date
        var closesAt: Date
        /// True when only the time window fails (the kiosk can say "opens at …").
        var onlyOutsideWindow: Bool { !reasons.isEmpty && reasons.allSatisfy { $0.code == "too-early" || $0.code == "too-late" } }
    }

    static func evaluate(_ a: AppointmentRecord, at now: Date) -> Decision {
        let opensAt = a.scheduledAt.addingTimeInterval(-window)
        let closesAt = a.scheduledAt.addingTimeInterval(window)
        var reasons: [Reason] = []
        if excludedTypes.contains(a.type.lowercased()) {
            reasons.append(Reason(code: "type-not-eligible", message: "\(a.type) appointments have no telehealth session."))
        }
        if !a.patientHasPortalAccount {
            reasons.append(Reason(code: "no-portal-account", message: "The patient has no portal account."))
        }
        if excludedStatuses.contains(a.status.lowercased()) {
            let code = a.status.lowercased() == "missed" ? "missed" : "cancelled"
            reasons.append(Reason(code: code, message: "The appointment is marked \(a.status)."))
        }
        if !a.saved {
            reasons.append(Reason(code: "not-saved", message: "The appointment has unsaved changes; only the saved appointment counts."))
        }
        if now < opensAt {
            reasons.append(Reason(code: "too-early", message: "Telehealth opens at \(localTime(opensAt, a.timeZone))."))
        } else if now > closesAt {
            reasons.append(Reason(code: "too-late", message: "Telehealth closed at \(localTime(closesAt, a.timeZone))."))
        }
        return Decision(reasons: reasons, opensAt: opensAt, closesAt: closesAt)
    }

    /// "12:00 (America/Chicago)": a clock time in the appointment's own zone.
    static func localTime(_ date: Date, _ zone: String) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        let known = TimeZone(identifier: zone)
        f.timeZone = known ?? TimeZone(identifier: "UTC")
        f.dateFormat = "HH:mm"
        return "\(f.string(from: date)) (\(known == nil ? "UTC" : zone))"
    }
}
