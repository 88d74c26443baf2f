import Foundation

/// The statuses an appointment may have (docs/practice-api.md); spelled exactly so.
enum AppointmentStatus: String, Sendable, CaseIterable {
    case scheduled = "Scheduled"
    case missed = "Missed"
    case cancelled = "Cancelled"
}

/// Who may start a telehealth session: the clinician on the appointment, in either role.
enum ClinicianRole: String, Sendable, CaseIterable {
    case clinician = "Clinician"
    case intern = "Intern"
}

/// One saved appointment. `patient.name` is personal data: shown on the clinician's page only,
/// never logged and never sent to a kiosk.
public struct Appointment: Sendable, Equatable {
    struct Patient: Sendable, Equatable {
        var name: String
        /// The patient has a client portal account (required for telehealth).
        var portalAccount: Bool
    }

    public struct Clinician: Sendable, Equatable {
        public var id: String
        var name: String
        var role: ClinicianRole
    }

    var id: String
    /// e.g. "Individual", "Group Therapy", "Scheduled Event", "Vacation or Blackout Period".
    var type: String
    public var scheduledAt: Date
    /// IANA zone in which the practice shows this appointment's times.
    var timeZone: String
    var status: AppointmentStatus
    var patient: Patient
    public var clinician: Clinician
}
