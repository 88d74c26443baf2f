/// The sign-in and user bodies (docs/practice-api.md#sessions), read like the appointment
/// bodies: unknown fields refused, every error naming its field.
enum AuthInput {
    /// Passwords longer than this are refused before the KDF sees them (a cheap DoS guard).
    static let maximumPasswordBytes = 1024
    /// NIST SP 800-63B's floor for a chosen password.
    static let minimumPasswordCharacters = 8

    /// `{"id": ID, "password": STRING}`.
    static func signIn(_ body: [UInt8]) throws(APIError) -> (id: String, password: String) {
        let f = try AppointmentInput.object(body)
        try f.rejectUnknown(["id", "password"])
        guard let id = try f.identifier("id") else { throw .missingField("id") }
        guard let password = try f.string("password") else { throw .missingField("password") }
        guard password.utf8.count <= maximumPasswordBytes else {
            throw .invalidField("password", "password must be at most \(maximumPasswordBytes) bytes")
        }
        return (id, password)
    }

    /// `{"id": ID, "role": "clinician" | "frontdesk" | "admin", "password": STRING}`.
    static func newUser(_ body: [UInt8]) throws(APIError) -> (id: String, role: PracticeRole, password: String) {
        let f = try AppointmentInput.object(body)
        try f.rejectUnknown(["id", "role", "password"])
        guard let id = try f.identifier("id") else { throw .missingField("id") }
        guard let role = try f.enumValue("role", PracticeRole.self) else { throw .missingField("role") }
        guard let password = try f.string("password") else { throw .missingField("password") }
        guard password.count >= minimumPasswordCharacters, password.utf8.count <= maximumPasswordBytes else {
            throw .invalidField("password", "password must be \(minimumPasswordCharacters) characters to \(maximumPasswordBytes) bytes")
        }
        return (id, role, password)
    }
}
