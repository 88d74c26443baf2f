import RTP
import SessionCore

/// The receive half of transport-wide congestion control
/// (draft-holmer-rmcat-transport-wide-cc-extensions-01): every packet carrying the
/// transport-wide sequence number is recorded with its arrival time, and about every 100 ms
/// one feedback packet says which arrived and when. With it Chromium runs its full send-side
/// estimator toward the kiosk (delay trend, loss, probing) instead of guessing from receiver
/// reports. Sans-IO; recording allocates nothing once the buffer has grown.
public struct TransportFeedbackRecorder: Sendable {
    public static let interval = Duration.milliseconds(100)
    /// Arrivals kept between two feedbacks; more (over 5000 packets/s) are dropped, and then
    /// reported as lost, which is what they look like to the sender anyway.
    static let capacity = 512

    public let senderSSRC: UInt32
    /// The RTP header extension id the sequence number comes in (as negotiated).
    public let extensionID: UInt8
    private var arrivals: [(sequence: Int64, at: Instant)] = []
    /// The next sequence number to report (everything before it was reported).
    private var nextBase: Int64?
    private var lastSequence: Int64?
    private var feedbackCount: UInt8 = 0
    public private(set) var nextFeedbackAt: Instant?
    public private(set) var feedbacksSent = 0

    public init(senderSSRC: UInt32, extensionID: UInt8) {
        self.senderSSRC = senderSSRC
        self.extensionID = extensionID
        arrivals.reserveCapacity(Self.capacity)
    }

    /// A packet with transport-wide sequence number `sequence` arrived `at`.
    public mutating func record(_ sequence: UInt16, at now: Instant) {
        let extended = Self.extend(sequence, after: lastSequence)
        if lastSequence.map({ extended > $0 }) ?? true { lastSequence = extended }
        // Already reported (a late duplicate, or before the window): nothing to add.
        if let base = nextBase, extended < base { return }
        guard arrivals.count < Self.capacity else { return }
        arrivals.append((extended, now))
        if nextFeedbackAt == nil { nextFeedbackAt = now + Self.interval }
    }

    /// The feedback due at `now`, if any: packets from the first unreported sequence number to
    /// the highest arrived, each received one with its arrival delta (250 µs units).
    public mutating func feedback(mediaSSRC: UInt32, at now: Instant) -> RTCPTransportFeedback? {
        guard let due = nextFeedbackAt, now >= due, !arrivals.isEmpty else { return nil }
        arrivals.sort { $0.sequence < $1.sequence }
        let first = arrivals[0]
        var base = nextBase ?? first.sequence
        // A gap wider than one feedback can say: start again at what arrived.
        if first.sequence - base > 0x7FFF { base = first.sequence }
        let end = min(arrivals[arrivals.count - 1].sequence, base + 0xFFFE)
        // 24 bits of 64 ms; the first delta is counted from it.
        let firstNanos = arrivals.first { $0.sequence >= base }?.at.nanoseconds ?? first.at.nanoseconds
        let reference = firstNanos / 64_000_000
        var previous = reference * 64_000_000
        var packets: [RTCPTransportFeedback.Packet] = []
        packets.reserveCapacity(Int(end - base + 1))
        var i = 0
        var seq = base
        var last = base - 1
        while seq <= end {
            while i < arrivals.count, arrivals[i].sequence < seq { i += 1 }
            if i < arrivals.count, arrivals[i].sequence == seq {
                let delta = (arrivals[i].at.nanoseconds - previous) / 250_000
                // A delta a feedback cannot carry ends this one; the rest goes in the next.
                guard delta >= Int64(Int16.min), delta <= Int64(Int16.max) else { break }
                packets.append(.init(sequenceNumber: UInt16(truncatingIfNeeded: seq), receiveDelta: Int16(delta)))
                previous += delta * 250_000
                last = seq
            } else {
                packets.append(.init(sequenceNumber: UInt16(truncatingIfNeeded: seq), receiveDelta: nil))
            }
            seq += 1
        }
        // Trailing losses are not reported: they may still come.
        while let p = packets.last, p.receiveDelta == nil { packets.removeLast() }
        guard !packets.isEmpty else {
            nextFeedbackAt = now + Self.interval
            return nil
        }
        nextBase = last + 1
        arrivals.removeAll { $0.sequence <= last }
        nextFeedbackAt = arrivals.isEmpty ? nil : now + Self.interval
        let fb = RTCPTransportFeedback(senderSSRC: senderSSRC, mediaSSRC: mediaSSRC,
                                       baseSequenceNumber: UInt16(truncatingIfNeeded: base),
                                       referenceTime: UInt32(truncatingIfNeeded: reference & 0xFF_FFFF),
                                       feedbackPacketCount: feedbackCount, packets: packets)
        feedbackCount &+= 1
        feedbacksSent += 1
        return fb
    }

    /// The 16-bit number extended to the unwrapped value nearest `last`.
    static func extend(_ s: UInt16, after last: Int64?) -> Int64 {
        guard let last else { return Int64(s) }
        let candidate = (last & ~0xFFFF) | Int64(s)
        if candidate - last > 0x8000 { return candidate - 0x1_0000 }
        if last - candidate > 0x8000 { return candidate + 0x1_0000 }
        return candidate
    }
}
