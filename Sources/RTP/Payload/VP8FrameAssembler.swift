import SessionCore

/// A complete VP8 frame produced by `VP8FrameAssembler`; its bytes went to the caller's buffer.
public struct VP8AssembledFrame: Sendable, Equatable {
    public var rtpTimestamp: UInt32
    /// From the P bit of the frame's first byte (RFC 7741 §4.3).
    public var isKeyframe: Bool
    public var pictureID: UInt16?
    /// Extended sequence numbers of the first and last packet.
    public var firstSequence: Int64
    public var lastSequence: Int64
    public var byteCount: Int
    /// When the last of its packets arrived, and the first (webrtc-stats' jitter-buffer delay
    /// counts from it).
    public var completedAt: Instant
    public var firstArrivalAt: Instant

    public var packetCount: Int { Int(lastSequence - firstSequence + 1) }
}

/// Packets given up on by `VP8FrameAssembler.dropHead()`.
public struct VP8DroppedPackets: Sendable, Equatable {
    /// The skipped sequence range (extended), held or not.
    public var sequences: Range<Int64>
    /// How many packets of that range were actually held.
    public var heldPackets: Int
    /// The timestamp of the frame at the head, when its first packet was held.
    public var rtpTimestamp: UInt32?
}

public enum VP8InsertResult: Sendable, Equatable {
    case inserted
    case duplicate
    /// Older than what was already emitted or dropped.
    case late
    /// Inserted, but only after giving up packets that no longer fit the buffer.
    case overflowed(droppedPackets: Int)
}

/// Reassembles VP8 frames from RTP packets that may arrive out of order or twice: a frame is
/// the packets from a start (S=1, PID=0) up to the marker, with contiguous sequence numbers
/// and one timestamp (RFC 7741 §4.4, §4.5). Frames come out in sequence order, each only once
/// every packet before it has come out or been dropped. Payload bytes are copied once into
/// preallocated slots; frames are copied into a buffer the caller reuses.
public struct VP8FrameAssembler: Sendable {
    private struct Slot {
        var sequence: Int64 = .min
        var timestamp: UInt32 = 0
        var arrival = Instant.zero
        var marker = false
        /// An RTP packet with no payload (padding sent for bandwidth probing): it carries a
        /// sequence number, so it fills the gap between two frames.
        var padding = false
        /// A placeholder for a parity (FEC) packet: also empty, but it may sit inside the next
        /// frame's numbers (a sender whose pacer numbers packets as it sends them can slip
        /// parity between them), so it neither starts nor ends a frame.
        var parity = false
        var frameStart = false
        var keyframe = false
        var pictureID: UInt16?
        var length = 0
    }

    public let capacity: Int
    public let maxPayloadSize: Int
    /// Extended sequence numbers at or beyond ±2^60 are refused (never reached by unwrapping).
    package static let sequenceLimit: Int64 = 1 << 60
    private var slots: [Slot]
    private var storage: [UInt8]
    private let mask: Int
    private var unwrapper = RTPSequenceUnwrapper()
    /// Extended sequence number of the packet that must start the next frame.
    public private(set) var nextSequence: Int64?
    private var highest: Int64 = .min
    private var emittedAny = false
    public private(set) var heldPackets = 0
    /// Whether the packet last inserted began a keyframe (a keyframe is on its way).
    public private(set) var lastInsertStartedKeyframe = false
    /// The PictureID of the last frame emitted, while frames have come out without a break.
    private var lastPictureID: UInt16?
    /// Whether any frame has come out (or been dropped): until then an earlier packet can
    /// still move the start back.
    public var hasStarted: Bool { emittedAny }

    /// - Parameter capacity: packets held at most (rounded up to a power of two).
    public init(capacity: Int = 512, maxPayloadSize: Int = 1500) {
        var c = 16
        while c < capacity { c <<= 1 }
        self.capacity = c
        self.maxPayloadSize = max(1, maxPayloadSize)
        mask = c - 1
        slots = [Slot](repeating: Slot(), count: c)
        storage = [UInt8](repeating: 0, count: c * self.maxPayloadSize)
    }

    /// Inserts one packet's RTP payload (VP8 descriptor included), unwrapping `sequenceNumber`
    /// itself. Use the extended form when the caller already unwraps. An empty payload is a
    /// padding-only packet: kept as a placeholder so its sequence number is not a hole.
    public mutating func insert(sequenceNumber: UInt16, timestamp: UInt32, marker: Bool,
                                payload: UnsafeRawBufferPointer, at now: Instant) throws(VP8Error) -> VP8InsertResult {
        let ext = unwrapper.peek(sequenceNumber)
        let result = try insert(extendedSequence: ext, timestamp: timestamp, marker: marker, payload: payload, at: now)
        _ = unwrapper.unwrap(sequenceNumber)
        return result
    }

    public mutating func insert(_ packet: RTPPacketView, in bytes: UnsafeRawBufferPointer, at now: Instant) throws(VP8Error) -> VP8InsertResult {
        try insert(sequenceNumber: packet.sequenceNumber, timestamp: packet.timestamp, marker: packet.marker,
                   payload: packet.payload(in: bytes), at: now)
    }

    public mutating func insert(extendedSequence ext: Int64, timestamp: UInt32, marker: Bool,
                                payload: UnsafeRawBufferPointer, parity: Bool = false, at now: Instant) throws(VP8Error) -> VP8InsertResult {
        lastInsertStartedKeyframe = false
        // Differences between sequence numbers below stay far from overflow.
        guard abs(ext) < Self.sequenceLimit else { return .late }
        let padding = payload.isEmpty || parity
        let descriptor = padding ? VP8PayloadDescriptor(startOfPartition: false) : try VP8PayloadDescriptor.parse(payload)
        let data = padding ? payload : UnsafeRawBufferPointer(rebasing: payload[descriptor.length...])
        guard data.count <= maxPayloadSize else { throw .payloadTooLarge(data.count) }

        var result = VP8InsertResult.inserted
        if let head = nextSequence {
            if ext < head {
                // Before anything came out, an earlier packet can still move the start back.
                guard !emittedAny, highest - ext < Int64(capacity) else { return .late }
                nextSequence = ext
            } else if ext - head >= Int64(capacity) {
                result = .overflowed(droppedPackets: discard(below: ext - Int64(capacity) + 1))
                // Nothing older survived: this packet is where the stream goes on.
                if heldPackets == 0 { nextSequence = ext }
            }
        } else {
            nextSequence = ext
        }

        let index = Int(ext & Int64(mask))
        if slots[index].sequence == ext { return .duplicate }
        if slots[index].sequence != .min { heldPackets -= 1 }  // a stale packet from long ago
        let isStart = !padding && descriptor.isFrameStart
        lastInsertStartedKeyframe = isStart && VP8FrameHeader.isKeyframe(data)
        slots[index] = Slot(sequence: ext, timestamp: timestamp, arrival: now, marker: marker && !parity, padding: padding,
                            parity: parity, frameStart: isStart,
                            keyframe: lastInsertStartedKeyframe,
                            pictureID: descriptor.pictureID, length: data.count)
        let base = index * maxPayloadSize
        storage.withUnsafeMutableBytes { dst in
            // `data.count <= maxPayloadSize` was checked above, so this stays inside the slot.
            UnsafeMutableRawBufferPointer(rebasing: dst[base..<(base + data.count)]).copyMemory(from: data)
        }
        heldPackets += 1
        if ext > highest { highest = ext }
        return result
    }

    private func present(_ seq: Int64) -> Bool { slots[Int(seq & Int64(mask))].sequence == seq }
    private func slot(_ seq: Int64) -> Slot { slots[Int(seq & Int64(mask))] }

    private mutating func clear(_ seq: Int64) {
        let i = Int(seq & Int64(mask))
        if slots[i].sequence == seq {
            slots[i].sequence = .min
            heldPackets -= 1
        }
    }

    /// Moves the head to the first frame start at or after `bound` (or to `bound`), dropping
    /// every held packet before it. Returns how many were held.
    private mutating func discard(below bound: Int64) -> Int {
        guard let head = nextSequence, bound > head else { return 0 }
        let before = heldPackets
        var target = bound
        var s = bound
        while s <= highest {
            if present(s), slot(s).frameStart { target = s; break }
            s += 1
        }
        if s > highest { target = max(bound, highest + 1) }
        var k = head
        while k < target, heldPackets > 0 { clear(k); k += 1 }
        nextSequence = target
        emittedAny = true
        lastPictureID = nil
        return before - heldPackets
    }

    /// The next frame when all its packets are here: its bytes replace `out`'s contents.
    public mutating func popFrame(into out: inout [UInt8]) -> VP8AssembledFrame? {
        // Padding between frames is consumed silently; so is a gap that can only have been
        // padding.
        repeat {
            while let h = nextSequence, present(h), slot(h).padding {
                clear(h)
                nextSequence = h + 1
            }
        } while skipGapBeforeNextPicture()
        guard let head = nextSequence, heldPackets > 0, present(head) else { return nil }
        let first = slot(head)
        guard first.frameStart else { return nil }
        var end = head
        var completedAt = first.arrival
        var firstArrivalAt = first.arrival
        while true {
            guard present(end) else { return nil }
            let s = slot(end)
            if s.parity, end != head {
                end += 1  // no bytes: the frame goes on after it
                continue
            }
            if end != head && (s.frameStart || s.padding || s.timestamp != first.timestamp) {
                // The sender left the marker off; the next frame's start closes this one.
                end -= 1
                break
            }
            if s.arrival > completedAt { completedAt = s.arrival }
            if s.arrival < firstArrivalAt { firstArrivalAt = s.arrival }
            if s.marker { break }
            end += 1
        }
        out.removeAll(keepingCapacity: true)
        storage.withUnsafeBytes { src in
            for seq in head...end {
                let i = Int(seq & Int64(mask))
                let base = i * maxPayloadSize
                out.rtpAppend(UnsafeRawBufferPointer(rebasing: src[base..<(base + slots[i].length)]))
            }
        }
        for seq in head...end { clear(seq) }
        nextSequence = end + 1
        emittedAny = true
        lastPictureID = first.pictureID
        return VP8AssembledFrame(rtpTimestamp: first.timestamp, isKeyframe: first.keyframe, pictureID: first.pictureID,
                                 firstSequence: head, lastSequence: end, byteCount: out.count, completedAt: completedAt,
                                 firstArrivalAt: firstArrivalAt)
    }

    /// Packets missing between the last frame emitted and a held frame start whose PictureID
    /// is the very next one: nothing of a picture is missing, so they were padding (a sender's
    /// bandwidth probes, never resent when NACKed). Skips them, and the padding that arrived
    /// among them (a probe is a run of padding packets, some of which a lossy link drops),
    /// instead of waiting for them, giving the frame up and asking for a keyframe: continuity
    /// by PictureID, as libwebrtc's VP8 reference finder judges it.
    private mutating func skipGapBeforeNextPicture() -> Bool {
        guard let head = nextSequence, !present(head), let last = lastPictureID else { return false }
        var s = head + 1
        while s <= highest, !present(s) || slot(s).padding { s += 1 }
        guard s <= highest, slot(s).frameStart, let id = slot(s).pictureID else { return false }
        let next15 = (id &- last) & 0x7FFF == 1
        let next7 = last <= 0x7F && id <= 0x7F && (id &- last) & 0x7F == 1
        guard next15 || next7 else { return false }
        var k = head
        while k < s { clear(k); k += 1 }
        nextSequence = s
        return true
    }

    /// Arrival time of the earliest packet still held (what a jitter-buffer deadline counts from).
    public var oldestHeldArrival: Instant? { heldArrivals?.oldest }

    /// When a packet the head is waiting for first showed as missing: the earliest arrival
    /// among the held media packets (padding does not count) that came after a missing
    /// sequence number. Nil when nothing is missing below the highest media packet held: the
    /// frame at the head is still arriving.
    public var earliestArrivalAfterGap: Instant? { heldArrivals?.afterGap }

    /// Both of the above in one pass over what is held (a deadline needs both, per packet).
    public var heldArrivals: (oldest: Instant, afterGap: Instant?)? {
        guard heldPackets > 0, let head = nextSequence, head <= highest else { return nil }
        var oldest: Instant?, afterGap: Instant?
        var gap = false
        var seen = 0
        var s = head
        while s <= highest, seen < heldPackets {
            if present(s) {
                seen += 1
                let a = slot(s).arrival
                if oldest.map({ a < $0 }) ?? true { oldest = a }
                // Padding after a gap waits for nothing: the wait starts at the media after it.
                if gap, !slot(s).padding, afterGap.map({ a < $0 }) ?? true { afterGap = a }
            } else {
                gap = true
            }
            s += 1
        }
        return oldest.map { ($0, afterGap) }
    }

    /// Gives up on the frame at the head (it is incomplete): skips to the next frame start that
    /// is held, or past everything held. Nil when nothing is held.
    public mutating func dropHead() -> VP8DroppedPackets? {
        guard heldPackets > 0, let head = nextSequence else { return nil }
        let timestamp = present(head) ? slot(head).timestamp : nil
        var target = highest + 1
        var s = head + 1
        while s <= highest {
            if present(s), slot(s).frameStart { target = s; break }
            s += 1
        }
        let before = heldPackets
        var k = head
        while k < target { clear(k); k += 1 }
        nextSequence = target
        emittedAny = true
        lastPictureID = nil
        return VP8DroppedPackets(sequences: head..<target, heldPackets: before - heldPackets, rtpTimestamp: timestamp)
    }
}
