import SessionCore

/// Spreads packets at a rate instead of handing a keyframe's thirty packets to the network
/// at once (a 100 ms bottleneck queue drops the tail of such a burst; libwebrtc's
/// `PacingController`, str0m's leaky pacer). A leaky bucket: every packet sent adds its size
/// to a debt that drains at the pacing rate; the next packet may go once the debt is paid.
/// Audio is never held (it pays its debt but jumps the queue); a queue that would take
/// longer than `maxQueueTime` to drain at the pacing rate drains faster, so pacing never
/// delays media by more than that.
public struct Pacer: Sendable {
    /// libwebrtc's pacing factor: media may go 2.5 × faster than the target, so a frame's
    /// burst clears quickly while the average stays the encoder's.
    public static let pacingFactor = 2.5
    public static let maxQueueTime = Duration.seconds(2)

    public private(set) var rateBitsPerSecond: Double
    private var debtBytes: Double = 0
    private var updatedAt: Instant?

    public init(targetBitsPerSecond: Int) {
        rateBitsPerSecond = Double(targetBitsPerSecond) * Self.pacingFactor
    }

    /// A pacer that sends at exactly `bitsPerSecond` (a probe cluster's rate).
    public static func probing(bitsPerSecond: Int) -> Pacer {
        var p = Pacer(targetBitsPerSecond: 1)
        p.rateBitsPerSecond = Double(max(bitsPerSecond, 1))
        return p
    }

    public mutating func setTarget(bitsPerSecond: Int) {
        rateBitsPerSecond = Double(max(bitsPerSecond, 1)) * Self.pacingFactor
    }

    /// The rate the queue drains at: the pacing rate, or faster when `queuedBytes` would
    /// otherwise wait longer than `maxQueueTime`.
    func drainRate(queuedBytes: Int) -> Double {
        let needed = Double(queuedBytes) * 8 / Self.seconds(Self.maxQueueTime)
        return max(rateBitsPerSecond, needed)
    }

    private mutating func payDown(at now: Instant, queuedBytes: Int) {
        if let last = updatedAt, now > last {
            debtBytes = max(0, debtBytes - drainRate(queuedBytes: queuedBytes) * Self.seconds(now - last) / 8)
        }
        if updatedAt.map({ now > $0 }) ?? true { updatedAt = now }
    }

    /// May a paced packet go now, with `queuedBytes` waiting (it included)?
    public mutating func maySend(at now: Instant, queuedBytes: Int) -> Bool {
        payDown(at: now, queuedBytes: queuedBytes)
        return debtBytes <= 0
    }

    /// A packet of `bytes` went (paced or not).
    public mutating func sent(bytes: Int, at now: Instant, queuedBytes: Int = 0) {
        payDown(at: now, queuedBytes: queuedBytes)
        debtBytes += Double(bytes)
    }

    static func seconds(_ d: Duration) -> Double { Double(d.nanosecondsClamped) / 1e9 }

    /// When the debt is paid, if packets are waiting; nil when one may go now.
    public func nextSendTime(queuedBytes: Int) -> Instant? {
        guard debtBytes > 0, let last = updatedAt else { return nil }
        let wait = debtBytes * 8 / drainRate(queuedBytes: queuedBytes)
        return last + .nanoseconds(Int64((wait * 1e9).rounded(.up)))
    }
}
