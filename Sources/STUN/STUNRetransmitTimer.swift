import SessionCore

/// How a STUN client transaction retransmits over UDP (RFC 8489 §6.2.1): first after
/// `initialRTO`, doubling up to `maxRTO`, `maxTransmissions` sends in all, then `finalWait`
/// (RFC: Rm × RTO) before the transaction times out.
public struct STUNRetransmitPolicy: Sendable, Equatable {
    public var initialRTO: Duration
    public var maxRTO: Duration
    public var maxTransmissions: Int
    public var finalWait: Duration

    public init(initialRTO: Duration, maxRTO: Duration, maxTransmissions: Int, finalWait: Duration? = nil) {
        self.initialRTO = initialRTO
        self.maxRTO = maxRTO
        self.maxTransmissions = max(1, maxTransmissions)
        self.finalWait = finalWait ?? maxRTO
    }

    /// RFC 8489 exactly: RTO 500 ms, Rc 7, Rm 16 → sends at 0, 0.5, 1.5, … 31.5 s; fails at 39.5 s.
    public static let rfc8489 = STUNRetransmitPolicy(initialRTO: .milliseconds(500), maxRTO: .seconds(3600),
                                                     maxTransmissions: 7, finalWait: .seconds(8))
    /// RFC 8489's shape with the interval capped at 3 s (TURN): gives up after about 20 s.
    public static let standard = STUNRetransmitPolicy(initialRTO: .milliseconds(500), maxRTO: .seconds(3),
                                                      maxTransmissions: 7, finalWait: .seconds(8))
    /// Over TCP or TLS the transport retransmits, so a transaction is sent once and fails if
    /// no answer comes within `timeout` (RFC 8489 §6.2.2: Ti, 39.5 s by default).
    public static func reliable(timeout: Duration = .milliseconds(39_500)) -> STUNRetransmitPolicy {
        STUNRetransmitPolicy(initialRTO: timeout, maxRTO: timeout, maxTransmissions: 1, finalWait: timeout)
    }
    /// Connectivity checks: 7 sends, 500 ms doubling to 1.6 s; failed after 9.5 s.
    public static let checks = STUNRetransmitPolicy(initialRTO: .milliseconds(500), maxRTO: .milliseconds(1600),
                                                    maxTransmissions: 7)
}

/// One transaction's retransmission clock.
public struct STUNRetransmitTimer: Sendable, Equatable {
    public enum Step: Equatable, Sendable { case wait, retransmit, timedOut }

    public let policy: STUNRetransmitPolicy
    /// Sends made so far, the first included.
    public private(set) var transmissions: Int
    public private(set) var deadline: Instant
    private var interval: Duration

    /// Call when the first transmission goes out.
    public init(policy: STUNRetransmitPolicy, sentAt now: Instant) {
        self.policy = policy
        transmissions = 1
        interval = policy.initialRTO
        deadline = now + (policy.maxTransmissions == 1 ? policy.finalWait : policy.initialRTO)
    }

    /// What to do at `now`: nothing yet, send again, or give up.
    public mutating func step(at now: Instant) -> Step {
        guard now >= deadline else { return .wait }
        guard transmissions < policy.maxTransmissions else { return .timedOut }
        transmissions += 1
        interval = min(interval * 2, policy.maxRTO)
        deadline = now + (transmissions == policy.maxTransmissions ? policy.finalWait : interval)
        return .retransmit
    }
}
