// What the kiosk is told about its appointment: no patient data (docs/signaling.md).

/// Why an appointment can or cannot have a telehealth session (code is machine-readable).
public struct SignalingReason: Sendable, Equatable {
    public var code: String
    public var message: String

    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }
}

/// Whether, and when, a telehealth session may run for an appointment.
public struct SignalingTelehealth: Sendable, Equatable {
    public var eligible: Bool
    /// Empty when eligible now; otherwise every rule that failed.
    public var reasons: [SignalingReason]
    /// RFC 3339 date-times bounding the window in which the session may start.
    public var opensAt: String
    public var closesAt: String

    public init(eligible: Bool, reasons: [SignalingReason] = [], opensAt: String, closesAt: String) {
        self.eligible = eligible
        self.reasons = reasons
        self.opensAt = opensAt
        self.closesAt = closesAt
    }
}

/// What a kiosk learns about the appointment it is assigned to. No patient data.
public struct SignalingAppointment: Sendable, Equatable {
    public var id: String
    public var clinicianDisplayName: String
    /// RFC 3339 date-time.
    public var scheduledAt: String
    /// IANA time zone name in which to show times, e.g. `America/Chicago`.
    public var timeZone: String
    public var telehealth: SignalingTelehealth

    public init(id: String, clinicianDisplayName: String, scheduledAt: String, timeZone: String,
                telehealth: SignalingTelehealth) {
        self.id = id
        self.clinicianDisplayName = clinicianDisplayName
        self.scheduledAt = scheduledAt
        self.timeZone = timeZone
        self.telehealth = telehealth
    }
}
