import SessionCore

/// What went out with each transport-wide sequence number, until the receiver's feedback
/// says when it arrived: the send side of transport-cc (libwebrtc's `TransportFeedbackAdapter`
/// history). A fixed ring, so recording a packet never allocates; an entry older than the
/// ring (feedback that never came) is simply overwritten.
public struct TransportSendHistory: Sendable {
    struct Entry: Sendable {
        var sequence: Int64 = -1
        var sentAt: Instant = .zero
        var size: Int = 0
        /// The probe cluster it belonged to, 0 for none.
        var cluster: Int = 0
    }

    /// The number the next packet gets.
    public var nextSequence: UInt16 { UInt16(truncatingIfNeeded: sent) }
    private var sent: Int64
    private var ring: [Entry]
    private let mask: Int

    /// `capacity` rounded up to a power of two: 4096 is 2 s of 2000 packets a second.
    public init(capacity: Int = 4096, firstSequence: UInt16 = 0) {
        var n = 1
        while n < capacity { n <<= 1 }
        ring = Array(repeating: Entry(), count: n)
        mask = n - 1
        sent = Int64(firstSequence)
    }

    /// Numbers a packet of `size` bytes sent at `now`; returns its sequence number.
    public mutating func record(size: Int, at now: Instant, cluster: Int = 0) -> UInt16 {
        let seq = sent
        ring[Int(seq) & mask] = Entry(sequence: seq, sentAt: now, size: size, cluster: cluster)
        sent += 1
        return UInt16(truncatingIfNeeded: seq)
    }

    /// The packet sent with `sequence` (the latest one with those 16 bits), once: a second
    /// report of the same packet is not counted twice.
    public mutating func take(_ sequence: UInt16) -> (sentAt: Instant, size: Int, cluster: Int)? {
        let back = Int64(UInt16(truncatingIfNeeded: sent) &- 1 &- sequence)
        let full = sent - 1 - back
        guard full >= 0, back <= Int64(mask) else { return nil }
        let i = Int(full) & mask
        guard ring[i].sequence == full else { return nil }
        ring[i].sequence = -1
        return (ring[i].sentAt, ring[i].size, ring[i].cluster)
    }
}
