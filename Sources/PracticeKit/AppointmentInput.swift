import Foundation

/// Reads API request bodies into validated values. Every error names the field by its dotted
/// path (`patient.portalAccount`); the first problem found, in document order, is reported.
public enum AppointmentInput {
    static let maxTypeLength = 100
    static let maxNameBytes = 256

    /// The top-level object of a body.
    static func object(_ body: [UInt8]) throws(APIError) -> APIFieldReader {
        guard let json = PracticeJSON.parse(body) else { throw .invalidJSON("the body is not JSON") }
        guard case .object(let members) = json else {
            throw .invalidJSON("the body must be a JSON object, not \(json.typeNameWithArticle)")
        }
        return APIFieldReader(members: members, prefix: "")
    }

    /// An appointment body (POST, PATCH or PUT draft): any subset of the fields.
    public static func change(_ body: [UInt8]) throws(APIError) -> AppointmentChange {
        let f = try object(body)
        try f.rejectUnknown(["id", "type", "scheduledAt", "timeZone", "status", "patient", "clinician"])
        var c = AppointmentChange()
        c.id = try f.identifier("id")
        if let type = try f.string("type") {
            let trimmed = type.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !trimmed.isEmpty, type.count <= maxTypeLength else {
                throw .invalidField("type", "type must be a non-empty string of at most \(maxTypeLength) characters")
            }
            c.type = type
        }
        if let text = try f.string("scheduledAt") {
            do {
                c.scheduledAt = try PracticeTime.parseChecked(text)
            } catch {
                throw .invalidField("scheduledAt", dateMessage("scheduledAt", error))
            }
        }
        if let zone = try f.string("timeZone") {
            guard PracticeTime.isIANAZone(zone) else {
                throw .invalidField("timeZone", "timeZone must be an IANA time zone name such as America/Chicago")
            }
            c.timeZone = zone
        }
        c.status = try f.enumValue("status", AppointmentStatus.self)
        if let p = try f.object("patient") {
            try p.rejectUnknown(["name", "portalAccount"])
            c.patientName = try p.name("name")
            c.patientPortalAccount = try p.bool("portalAccount")
        }
        if let d = try f.object("clinician") {
            try d.rejectUnknown(["id", "name", "role"])
            c.clinicianId = try d.identifier("id")
            c.clinicianName = try d.name("name")
            c.clinicianRole = try d.enumValue("role", ClinicianRole.self)
        }
        return c
    }

    static func dateMessage(_ field: String, _ error: PracticeTime.ParseError) -> String {
        switch error {
        case .noOffset: return "\(field) needs a UTC offset or Z, e.g. 2025-03-04T17:00:00-06:00"
        case .outOfRange: return "\(field) is not a real date and time"
        case .malformed: return "\(field) must be an ISO 8601 date-time with an offset, e.g. 2025-03-04T17:00:00-06:00"
        }
    }

    /// `{"appointmentId": ID | null}` (the key is required; null clears the assignment).
    public static func assignment(_ body: [UInt8]) throws(APIError) -> String? {
        let f = try object(body)
        try f.rejectUnknown(["appointmentId"])
        guard let value = f.fields["appointmentId"] else { throw .missingField("appointmentId") }
        if value == .null { return nil }
        guard let id = try f.identifier("appointmentId") else { throw .missingField("appointmentId") }
        return id
    }

    static func isIdentifier(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.count <= 128 && s.utf8.allSatisfy { b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a)
                || b == 0x2e || b == 0x5f || b == 0x3a || b == 0x2d
        }
    }
}

/// Typed access to one JSON object's fields. Absent fields read as nil; present ones must
/// have the right type (null included: it is not a value for any appointment field).
struct APIFieldReader {
    let fields: [String: PracticeJSON]
    let keys: [String]
    /// "" at the top level, else e.g. "patient.".
    let prefix: String

    init(members: [PracticeJSONMember], prefix: String) {
        var fields: [String: PracticeJSON] = [:]
        for m in members { fields[m.key] = m.value }
        self.fields = fields
        self.keys = members.map(\.key)
        self.prefix = prefix
    }

    func path(_ key: String) -> String { prefix + key }

    /// Fields the request does not define are refused rather than ignored.
    func rejectUnknown(_ allowed: Set<String>) throws(APIError) {
        if let unknown = keys.sorted().first(where: { !allowed.contains($0) }) { throw .unknownField(path(unknown)) }
    }

    func string(_ key: String) throws(APIError) -> String? {
        guard let v = fields[key] else { return nil }
        guard case .string(let s) = v else { throw .invalidField(path(key), "\(path(key)) must be a string, not \(v.typeNameWithArticle)") }
        return s
    }

    /// A display name: non-empty, at most `AppointmentInput.maxNameBytes` UTF-8 bytes.
    func name(_ key: String) throws(APIError) -> String? {
        guard let s = try string(key) else { return nil }
        guard !s.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, s.utf8.count <= AppointmentInput.maxNameBytes else {
            throw .invalidField(path(key), "\(path(key)) must be a non-empty string of at most \(AppointmentInput.maxNameBytes) bytes")
        }
        return s
    }

    func identifier(_ key: String) throws(APIError) -> String? {
        guard let s = try string(key) else { return nil }
        guard AppointmentInput.isIdentifier(s) else {
            throw .invalidField(path(key), "\(path(key)) must be 1-128 characters of A-Z a-z 0-9 . _ : -")
        }
        return s
    }

    func bool(_ key: String) throws(APIError) -> Bool? {
        guard let v = fields[key] else { return nil }
        guard case .bool(let b) = v else { throw .invalidField(path(key), "\(path(key)) must be true or false, not \(v.typeNameWithArticle)") }
        return b
    }

    func enumValue<E: RawRepresentable & CaseIterable>(_ key: String, _: E.Type) throws(APIError) -> E? where E.RawValue == String {
        guard let s = try string(key) else { return nil }
        guard let e = E(rawValue: s) else {
            let allowed = E.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
            throw .invalidField(path(key), "\(path(key)) must be one of \(allowed)")
        }
        return e
    }

    func object(_ key: String) throws(APIError) -> APIFieldReader? {
        guard let v = fields[key] else { return nil }
        guard case .object(let members) = v else { throw .invalidField(path(key), "\(path(key)) must be an object, not \(v.typeNameWithArticle)") }
        return APIFieldReader(members: members, prefix: path(key) + ".")
    }
}
