/// Who may do what outside dev mode (docs/practice-api.md#roles). A person has exactly one role.
public enum PracticeRole: String, Sendable, CaseIterable, Equatable {
    /// Sees and starts only the appointments where they are the clinician.
    case clinician
    /// Books and reschedules appointments and assigns kiosks; sees every appointment.
    case frontdesk
    /// Manages users; sees no appointment (no patient data).
    case admin
}

/// A user of the practice's page and API, as the users file or the admin API defines them.
public struct PracticeUser: Sendable, Equatable {
    public var id: String
    public var role: PracticeRole
    public var password: PasswordHash

    public init(id: String, role: PracticeRole, password: PasswordHash) {
        self.id = id
        self.role = role
        self.password = password
    }
}

/// The signed-in user behind a request.
struct Principal: Sendable, Equatable {
    var userId: String
    var role: PracticeRole
}
