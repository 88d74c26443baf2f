import Foundation

/// A partial appointment: the body of POST (complete), PATCH (saved at once) and PUT draft (an
/// unsaved edit kept beside the saved appointment). Every field present has been validated.
public struct AppointmentChange: Sendable, Equatable {
    var id: String?
    var type: String?
    var scheduledAt: Date?
    var timeZone: String?
    var status: AppointmentStatus?
    var patientName: String?
    var patientPortalAccount: Bool?
    var clinicianId: String?
    var clinicianName: String?
    var clinicianRole: ClinicianRole?

    /// The saved appointment with this change applied (the id never changes).
    public func applied(to a: Appointment) -> Appointment {
        var b = a
        if let type { b.type = type }
        if let scheduledAt { b.scheduledAt = scheduledAt }
        if let timeZone { b.timeZone = timeZone }
        if let status { b.status = status }
        if let patientName { b.patient.name = patientName }
        if let patientPortalAccount { b.patient.portalAccount = patientPortalAccount }
        if let clinicianId { b.clinician.id = clinicianId }
        if let clinicianName { b.clinician.name = clinicianName }
        if let clinicianRole { b.clinician.role = clinicianRole }
        return b
    }

    /// A new appointment (POST): every field but `id` and `clinician.id` is required; the
    /// first one missing (in document order) is named.
    public func newAppointment(generatedId: String) throws(APIError) -> Appointment {
        guard let type else { throw .missingField("type") }
        guard let scheduledAt else { throw .missingField("scheduledAt") }
        guard let timeZone else { throw .missingField("timeZone") }
        guard let status else { throw .missingField("status") }
        guard let patientName else { throw .missingField("patient.name") }
        guard let patientPortalAccount else { throw .missingField("patient.portalAccount") }
        guard let clinicianName else { throw .missingField("clinician.name") }
        guard let clinicianRole else { throw .missingField("clinician.role") }
        guard let clinician = clinicianId ?? Self.slug(clinicianName) else {
            throw APIError(status: 400, code: "missing-field", field: "clinician.id",
                           message: "clinician.id is required when clinician.name has no letters or digits")
        }
        return Appointment(
            id: id ?? generatedId, type: type, scheduledAt: scheduledAt, timeZone: timeZone, status: status,
            patient: .init(name: patientName, portalAccount: patientPortalAccount),
            clinician: .init(id: clinician, name: clinicianName, role: clinicianRole))
    }

    /// "Dr. Demo" → "dr-demo": ASCII letters and digits, other runs become one "-".
    static func slug(_ name: String) -> String? {
        var out = ""
        var dash = false
        for b in name.lowercased().utf8 {
            if (b >= 0x61 && b <= 0x7a) || (b >= 0x30 && b <= 0x39) {
                if dash && !out.isEmpty { out.append("-") }
                out.unicodeScalars.append(Unicode.Scalar(b))
                dash = false
            } else {
                dash = true
            }
        }
        return out.isEmpty ? nil : String(out.prefix(128))
    }

    /// Only the fields present, in the API's shape (the `draft` of an appointment's output).
    var json: PracticeJSON {
        var o = PracticeJSONObject()
        o.setIfPresent("id", id.map(PracticeJSON.string))
        o.setIfPresent("type", type.map(PracticeJSON.string))
        o.setIfPresent("scheduledAt", scheduledAt.map { .string(PracticeTime.format($0)) })
        o.setIfPresent("timeZone", timeZone.map(PracticeJSON.string))
        o.setIfPresent("status", status.map { .string($0.rawValue) })
        if patientName != nil || patientPortalAccount != nil {
            var p = PracticeJSONObject()
            p.setIfPresent("name", patientName.map(PracticeJSON.string))
            p.setIfPresent("portalAccount", patientPortalAccount.map(PracticeJSON.bool))
            o.set("patient", p.json)
        }
        if clinicianId != nil || clinicianName != nil || clinicianRole != nil {
            var c = PracticeJSONObject()
            c.setIfPresent("id", clinicianId.map(PracticeJSON.string))
            c.setIfPresent("name", clinicianName.map(PracticeJSON.string))
            c.setIfPresent("role", clinicianRole.map { .string($0.rawValue) })
            o.set("clinician", c.json)
        }
        return o.json
    }
}
