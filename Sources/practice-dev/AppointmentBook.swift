import Foundation
import Session

/// One saved appointment in the in-memory book. `patientName` is personal data: it is shown
/// on the clinician's page only, never logged and never sent to a kiosk.
struct AppointmentRecord: Sendable, Equatable {
    var id: String
    /// e.g. "Individual", "Group Therapy", "Scheduled Event", "Vacation or Blackout Period".
    var type: String
    /// e.g. "Scheduled", "Confirmed", "Arrived", "Missed", "Cancelled".
    var status: String
    /// False for an appointment with unsaved edits (only the saved appointment counts).
    var saved: Bool
    var patientHasPortalAccount: Bool
    var patientName: String?
    var scheduledAt: Date
    /// IANA zone in which the practice shows this appointment's times.
    var timeZone: String
    var clinicianId: String
    var clinicianDisplayName: String
}

/// The appointments and which kiosk shows which appointment. A value: the hub owns one.
struct AppointmentBook: Sendable {
    private(set) var appointments: [String: AppointmentRecord] = [:]
    /// kioskId → appointmentId.
    private(set) var assignments: [String: String] = [:]

    /// Inserts or replaces; returns true when it was new.
    @discardableResult
    mutating func upsert(_ a: AppointmentRecord) -> Bool {
        appointments.updateValue(a, forKey: a.id) == nil
    }

    subscript(id: String) -> AppointmentRecord? { appointments[id] }

    var all: [AppointmentRecord] {
        appointments.values.sorted { ($0.scheduledAt, $0.id) < ($1.scheduledAt, $1.id) }
    }

    mutating func assign(kioskId: String, appointmentId: String?) {
        assignments[kioskId] = appointmentId
    }

    func assignment(kioskId: String) -> AppointmentRecord? {
        assignments[kioskId].flatMap { appointments[$0] }
    }

    /// The demo data of `--dev`: kiosk-1 shows one eligible appointment scheduled `now` with
    /// the demo clinician `dr-demo`.
    static func demo(now: Date) -> AppointmentBook {
        var book = AppointmentBook()
        book.upsert(AppointmentRecord(
            id: "demo-1", type: "Individual", status: "Confirmed", saved: true,
            patientHasPortalAccount: true, patientName: "Demo Patient",
            scheduledAt: now, timeZone: "UTC",
            clinicianId: "dr-demo", clinicianDisplayName: "Dr. Demo"))
        book.assign(kioskId: "kiosk-1", appointmentId: "demo-1")
        return book
    }
}

extension AppointmentRecord {
    /// What a kiosk is told in `assignment` (no patient data).
    func signaling(at now: Date) -> SignalingAppointment {
        let d = TelehealthRules.evaluate(self, at: now)
        return SignalingAppointment(
            id: id, clinicianDisplayName: clinicianDisplayName,
            scheduledAt: PracticeTime.format(scheduledAt), timeZone: timeZone,
            telehealth: d.signaling)
    }
}

extension TelehealthRules.Decision {
    var signaling: SignalingTelehealth {
        SignalingTelehealth(eligible: eligible, reasons: reasons.map { SignalingReason(code: $0.code, message: $0.message) },
                            opensAt: PracticeTime.format(opensAt), closesAt: PracticeTime.format(closesAt))
    }
}

/// RFC 3339 text for the API and the protocol.
enum PracticeTime {
    static func format(_ d: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f.string(from: d)
    }

    /// Accepts `2025-03-04T17:00:00Z`, an offset instead of Z, and fractional seconds.
    static func parse(_ s: String) -> Date? {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        if let d = f.date(from: s) { return d }
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.date(from: s)
    }
}
