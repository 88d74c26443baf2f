import SessionCore

/// When a complete frame may leave for the decoder (libwebrtc's `VCMTiming` and the NACK
/// part of its jitter estimate): each frame is due at its RTP time mapped onto the local
/// clock by the least transit seen, plus a playout delay. While packets are being repaired
/// (3 or more in the last 30 s) the delay is one round trip and a little, so a frame whose
/// packet came back by retransmission is still shown on time instead of after a freeze;
/// otherwise none (a frame goes as soon as it is complete, as before). The delay moves by at
/// most 100 ms per second of media, so a change never shows as a gap. Frames that complete
/// after they were due go at once.
public struct RTPPlayoutDelay: Sendable {
    static let repairsForDelay = 3
    static let repairMemory = Duration.seconds(30)
    static let margin = Duration.milliseconds(5)
    static let maxDelay = Duration.milliseconds(400)
    /// The least transit rises this much per second when not renewed (a path that got longer).
    static let transitRelaxPerSecond = Duration.milliseconds(1)
    static let maxChangePerSecond = 0.1

    public let clockRate: Int
    /// The delay frames are held now, and the one it moves toward.
    public private(set) var current = Duration.zero
    public private(set) var target = Duration.zero
    private var roundTripTime = Duration.zero
    private var repairs: [Instant] = []
    /// Local time minus RTP time (extended, in nanoseconds) of the fastest frame seen.
    private var transit: Int64?
    private var transitAt = Instant.zero
    private var lastTimestamp: UInt32?
    private var extendedTimestamp: Int64 = 0
    private var lastDueRTP: Int64?

    public init(clockRate: Int) {
        self.clockRate = clockRate
        repairs.reserveCapacity(Self.repairsForDelay)
    }

    public mutating func setRoundTripTime(_ rtt: Duration) {
        roundTripTime = rtt
        updateTarget(at: nil)
    }

    /// A packet came back by retransmission.
    public mutating func repaired(at now: Instant) {
        if repairs.count == Self.repairsForDelay { repairs.removeFirst() }
        repairs.append(now)
        updateTarget(at: now)
    }

    /// Repairing: the last three repairs all within 30 s of now.
    private mutating func updateTarget(at now: Instant?) {
        var repairing = repairs.count == Self.repairsForDelay
        if repairing, let now, let oldest = repairs.first, now - oldest > Self.repairMemory { repairing = false }
        target = repairing ? min(roundTripTime + Self.margin, Self.maxDelay) : .zero
    }

    /// When a frame complete now, whose first packet arrived at `firstArrival`, is due.
    public mutating func due(rtpTimestamp: UInt32, firstArrival: Instant, at now: Instant) -> Instant {
        updateTarget(at: now)
        if let last = lastTimestamp {
            extendedTimestamp += Int64(Int32(bitPattern: rtpTimestamp &- last))
        }
        lastTimestamp = rtpTimestamp
        let rtpNanos = extendedTimestamp * 1_000_000_000 / Int64(clockRate)
        let sample = firstArrival.nanoseconds - rtpNanos
        let relaxed = transit.map { $0 + Self.relax(now - transitAt) }
        if relaxed.map({ sample <= $0 }) ?? true {
            transit = sample
            transitAt = now
        }
        // The delay steps toward its target by at most 100 ms per second of media time.
        if let previous = lastDueRTP, current != target {
            let media = Double(extendedTimestamp - previous) / Double(clockRate)
            let step = Duration.nanoseconds(Int64(max(0, media) * Self.maxChangePerSecond * 1e9))
            current = current < target ? min(target, current + step) : max(target, current - step)
        } else if lastDueRTP == nil {
            current = target
        }
        lastDueRTP = extendedTimestamp
        let due = Instant(nanoseconds: (transit ?? sample) + rtpNanos) + current
        // RTP time that ran ahead of the clock (a sender's restart, a jump): map afresh rather
        // than hold frames for it.
        guard due <= now + Self.maxDelay else {
            transit = sample
            transitAt = now
            return firstArrival + current
        }
        return due
    }

    static func relax(_ elapsed: Duration) -> Int64 {
        Int64(Double(elapsed.nanosecondsClamped) / 1e9 * Double(transitRelaxPerSecond.nanosecondsClamped))
    }
}
