/// Groups outgoing media packets and says when to send parity for them, and how much: about
/// `protection` parity packets per media packet (0 turns it off), each covering every
/// `m`-th packet of its group (interleaved, so a burst of `m` losses is still repaired). A
/// group closes at the end of a frame once it is big enough for one parity packet at that
/// rate, or after three frames, or at 48 packets (the long mask's reach): small delta frames
/// share parity instead of each paying a whole packet for it (libwebrtc's UlpfecGenerator
/// also spans frames). Packets are kept as protected, without RED, in fixed slots.
///
///     generator.add(header:payloadType:payload:sequenceNumber:endsFrame:)  // each media packet
///     while generator.nextParity(into: &bytes) { ... }                     // after a frame's last
public struct ULPFECGenerator: Sendable {
    /// Parity packets per media packet, 0…0.5.
    public var protection = 0.0 {
        didSet { protection = min(max(protection, 0), 0.5) }
    }
    public let maxPacketSize: Int
    private var storage: [UInt8]
    private var lengths = [Int](repeating: 0, count: ULPFECPacket.maxProtected)
    private var count = 0
    private var frames = 0
    private var base: UInt16 = 0
    /// Parity packets still to write for the closed group, and the next one's index.
    private var parityCount = 0
    private var parityIndex = 0
    public static let maxFramesPerGroup = 3

    public init(maxPacketSize: Int = 1500) {
        self.maxPacketSize = maxPacketSize
        storage = [UInt8](repeating: 0, count: ULPFECPacket.maxProtected * maxPacketSize)
    }

    /// The packets in the group so far.
    public var groupSize: Int { count }

    /// One media packet as the receiver will protect it: `header` its RTP header, written
    /// with the media `payloadType` (not RED's), then `payload` (what follows RED's header).
    /// Packets come in sequence order. Returns how many parity packets are now ready.
    @discardableResult
    public mutating func add(header: UnsafeRawBufferPointer, payloadType: UInt8, payload: UnsafeRawBufferPointer,
                             sequenceNumber: UInt16, endsFrame: Bool) -> Int {
        // Parity not taken is dropped: a group is written at once or not at all.
        parityCount = 0
        guard protection > 0 else {
            count = 0
            frames = 0
            return 0
        }
        let length = header.count + payload.count
        guard header.count >= 12, length <= maxPacketSize else {
            // Not protectable: the group ends here, unprotected, and the next starts after it.
            count = 0
            frames = 0
            return 0
        }
        if count > 0, sequenceNumber != base &+ UInt16(count) { count = 0; frames = 0 }
        if count == 0 { base = sequenceNumber }
        let start = count * maxPacketSize
        storage.withUnsafeMutableBytes { dst in
            UnsafeMutableRawBufferPointer(rebasing: dst[start..<(start + header.count)]).copyMemory(from: header)
            UnsafeMutableRawBufferPointer(rebasing: dst[(start + header.count)..<(start + length)]).copyMemory(from: payload)
            dst[start + 1] = dst[start + 1] & 0x80 | payloadType & 0x7F
        }
        lengths[count] = length
        count += 1
        if endsFrame { frames += 1 }
        let share = Double(count) * protection
        guard count == ULPFECPacket.maxProtected || endsFrame && (share >= 0.75 || frames >= Self.maxFramesPerGroup) else { return 0 }
        parityCount = min(count, max(1, Int(share.rounded())))
        parityIndex = 0
        return parityCount
    }

    /// The next parity payload of the closed group (to go inside RED): replaces `out`'s
    /// contents. False when none is left; the group is then over.
    public mutating func nextParity(into out: inout [UInt8]) -> Bool {
        guard parityIndex < parityCount else { return false }
        var mask: UInt64 = 0
        var i = parityIndex
        while i < count {
            mask |= 1 << UInt64(i)
            i += parityCount
        }
        out.removeAll(keepingCapacity: true)
        let size = maxPacketSize
        storage.withUnsafeBytes { raw in
            let lengths = self.lengths
            ULPFECEncoder.write(base: base, mask: mask, packet: { k in
                UnsafeRawBufferPointer(rebasing: raw[(k * size)..<(k * size + lengths[k])])
            }, into: &out)
        }
        parityIndex += 1
        if parityIndex == parityCount {
            count = 0
            frames = 0
            parityCount = 0
        }
        return true
    }
}
