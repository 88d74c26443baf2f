import RTP
import SessionCore

public struct RTPAudioPacket: Sendable, Equatable {
    public var sequence: Int64
    public var rtpTimestamp: UInt32
    public var marker: Bool
    public var arrival: Instant
    public var byteCount: Int
}

public enum RTPAudioJitterEvent: Sendable, Equatable {
    /// The next packet in order; its payload is in the buffer passed to `pop`.
    case packet(RTPAudioPacket)
    /// Packets that will not come: the decoder should conceal them (or use the next packet's
    /// in-band FEC, RFC 7587 §3.2 / RFC 6716 §2.1.7) before decoding the next packet.
    case gap(lostPackets: Int)
}

/// Audio reordering: packets come out in sequence order as soon as they are next; after a gap,
/// what follows is held at most `delay` (counted from the oldest held packet's arrival) for
/// the missing ones, then the gap is reported and delivery goes on.
public struct RTPAudioJitterBuffer: Sendable {
    private struct Slot {
        var sequence: Int64 = .min
        var timestamp: UInt32 = 0
        var marker = false
        var arrival = Instant.zero
        var length = 0
    }

    public let delay: Duration
    public let capacity: Int
    public let maxPayloadSize: Int
    private var slots: [Slot]
    private var storage: [UInt8]
    private let mask: Int
    public private(set) var nextSequence: Int64?
    private var highest: Int64 = .min
    private var held = 0
    private var pendingGap = 0

    public init(delay: Duration = .milliseconds(40), capacity: Int = 128, maxPayloadSize: Int = 1500) {
        self.delay = delay
        var c = 16
        while c < capacity { c <<= 1 }
        self.capacity = c
        self.maxPayloadSize = max(1, maxPayloadSize)
        mask = c - 1
        slots = [Slot](repeating: Slot(), count: c)
        storage = [UInt8](repeating: 0, count: c * self.maxPayloadSize)
    }

    public enum InsertResult: Sendable, Equatable { case inserted, duplicate, late, tooLarge }

    public mutating func insert(extendedSequence seq: Int64, timestamp: UInt32, marker: Bool,
                                payload: UnsafeRawBufferPointer, at now: Instant) -> InsertResult {
        guard payload.count <= maxPayloadSize else { return .tooLarge }
        // Differences between sequence numbers below stay far from overflow.
        guard abs(seq) < VP8FrameAssembler.sequenceLimit else { return .late }
        if let next = nextSequence {
            if seq < next { return .late }
            if seq - next >= Int64(capacity) {
                // A jump larger than the buffer: report what is skipped as one gap, start over.
                for i in slots.indices { slots[i].sequence = .min }
                pendingGap += Int(min(seq - next, Int64(Int32.max)))
                held = 0
                nextSequence = seq
            }
        } else {
            nextSequence = seq
        }
        let index = Int(seq & Int64(mask))
        if slots[index].sequence == seq { return .duplicate }
        slots[index] = Slot(sequence: seq, timestamp: timestamp, marker: marker, arrival: now, length: payload.count)
        let base = index * maxPayloadSize
        storage.withUnsafeMutableBytes { dst in
            // `payload.count <= maxPayloadSize`, checked above.
            UnsafeMutableRawBufferPointer(rebasing: dst[base..<(base + payload.count)]).copyMemory(from: payload)
        }
        held += 1
        if seq > highest { highest = seq }
        return .inserted
    }

    public mutating func pop(at now: Instant, into out: inout [UInt8]) -> RTPAudioJitterEvent? {
        if pendingGap > 0 {
            defer { pendingGap = 0 }
            return .gap(lostPackets: pendingGap)
        }
        guard var next = nextSequence, held > 0 else { return nil }
        var index = Int(next & Int64(mask))
        // Padding-only packets (no payload) hold a sequence number but no audio: skip them.
        while slots[index].sequence == next, slots[index].length == 0 {
            slots[index].sequence = .min
            held -= 1
            next += 1
            nextSequence = next
            index = Int(next & Int64(mask))
        }
        guard held > 0 else { return nil }
        if slots[index].sequence == next {
            let s = slots[index]
            out.removeAll(keepingCapacity: true)
            let base = index * maxPayloadSize
            storage.withUnsafeBytes { src in
                out.rtpAppend(UnsafeRawBufferPointer(rebasing: src[base..<(base + s.length)]))
            }
            slots[index].sequence = .min
            held -= 1
            nextSequence = next + 1
            return .packet(RTPAudioPacket(sequence: next, rtpTimestamp: s.timestamp, marker: s.marker,
                                          arrival: s.arrival, byteCount: s.length))
        }
        guard let d = deadline, now >= d else { return nil }
        var s = next + 1
        while s <= highest, slots[Int(s & Int64(mask))].sequence != s { s += 1 }
        nextSequence = s
        return .gap(lostPackets: Int(s - next))
    }

    /// When the packets held behind a gap stop waiting for it.
    public var deadline: Instant? {
        guard held > 0, let next = nextSequence else { return nil }
        var oldest: Instant?
        var s = next
        var seen = 0
        while s <= highest, seen < held {
            let slot = slots[Int(s & Int64(mask))]
            if slot.sequence == s {
                seen += 1
                if let o = oldest, o <= slot.arrival { } else { oldest = slot.arrival }
            }
            s += 1
        }
        return oldest.map { $0 + delay }
    }
}
