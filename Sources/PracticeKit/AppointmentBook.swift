import Foundation
import Signaling

/// The saved appointments, their unsaved edits, and which kiosk shows which appointment.
/// A value: the relay owns one.
public struct AppointmentBook: Sendable {
    private(set) var appointments: [String: Appointment] = [:]
    /// appointmentId → an edit not yet saved. Shown to the clinician, ignored by the rules.
    private(set) var drafts: [String: AppointmentChange] = [:]
    /// kioskId → appointmentId.
    private(set) var assignments: [String: String] = [:]

    /// An empty book.
    public init() {}

    /// Inserts or replaces the saved appointment; returns true when it was new.
    @discardableResult
    mutating func upsert(_ a: Appointment) -> Bool {
        appointments.updateValue(a, forKey: a.id) == nil
    }

    subscript(id: String) -> Appointment? { appointments[id] }

    var all: [Appointment] {
        appointments.values.sorted { ($0.scheduledAt, $0.id) < ($1.scheduledAt, $1.id) }
    }

    /// Stores (replaces) the unsaved edit of a saved appointment; false when there is none.
    @discardableResult
    mutating func setDraft(_ change: AppointmentChange?, for id: String) -> Bool {
        guard appointments[id] != nil else { return false }
        drafts[id] = change
        return true
    }

    func draft(for id: String) -> AppointmentChange? { drafts[id] }

    mutating func assign(kioskId: String, appointmentId: String?) {
        assignments[kioskId] = appointmentId
    }

    func assignment(kioskId: String) -> Appointment? {
        assignments[kioskId].flatMap { appointments[$0] }
    }

    /// The demo data of `--dev`: kiosk-1 shows one eligible appointment scheduled `now` with
    /// the demo clinician `dr-demo`.
    public static func demo(now: Date) -> AppointmentBook {
        var book = AppointmentBook()
        book.upsert(Appointment(
            id: "demo-1", type: "Individual", scheduledAt: now, timeZone: "UTC", status: .scheduled,
            patient: .init(name: "Demo Patient", portalAccount: true),
            clinician: .init(id: "dr-demo", name: "Dr. Demo", role: .clinician)))
        book.assign(kioskId: "kiosk-1", appointmentId: "demo-1")
        return book
    }
}

extension Appointment {
    /// What a kiosk is told in `assignment` (no patient data).
    func signaling(at now: Date) -> SignalingAppointment {
        SignalingAppointment(
            id: id, clinicianDisplayName: clinician.name,
            scheduledAt: PracticeTime.format(scheduledAt), timeZone: timeZone,
            telehealth: TelehealthRules.evaluate(self, at: now).signaling)
    }
}

extension TelehealthRules.Decision {
    var signaling: SignalingTelehealth {
        SignalingTelehealth(eligible: eligible, reasons: reasons.map { SignalingReason(code: $0.code, message: $0.message) },
                            opensAt: PracticeTime.format(opensAt), closesAt: PracticeTime.format(closesAt))
    }
}
