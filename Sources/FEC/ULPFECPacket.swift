/// An ULPFEC packet's headers (RFC 5109 §7.3, §7.4), as libwebrtc sends it inside RED for
/// VP8: one protection level (level 0) covering whole packets. After the 10-byte FEC header
/// (recovery fields: the XOR of the protected packets' first two bytes, timestamps and
/// lengths, and the sequence number base) comes the level-0 header: the protection length
/// and a mask of 16 packets, or 48 with the L bit, each bit one sequence number from the base.
public struct ULPFECPacket: Sendable, Equatable {
    /// Sequence numbers `base + i` for each set bit `i` of `mask` (bit 0 is the base).
    public var sequenceBase: UInt16
    public var mask: UInt64
    /// Bytes of each protected packet after its 12-byte fixed header that the parity covers.
    public var protectionLength: Int
    /// Where the parity bytes start in the FEC payload.
    public var headerLength: Int

    public static let fecHeaderLength = 10
    public static let shortMaskPackets = 16
    public static let maxProtected = 48

    /// Reads the headers of an FEC payload (the bytes after the RED header) and checks that
    /// the parity it announces is there.
    public static func parse(_ payload: UnsafeRawBufferPointer) throws(ULPFECError) -> ULPFECPacket {
        guard payload.count >= fecHeaderLength + 4 else { throw .truncated(payload.count) }
        let longMask = payload[0] & 0x40 != 0
        let headerLength = fecHeaderLength + (longMask ? 8 : 4)
        guard payload.count >= headerLength else { throw .truncated(payload.count) }
        let base = UInt16(payload[2]) << 8 | UInt16(payload[3])
        let protection = Int(payload[10]) << 8 | Int(payload[11])
        var wire: UInt64 = 0
        for i in 12..<headerLength { wire = wire << 8 | UInt64(payload[i]) }
        let width = longMask ? maxProtected : shortMaskPackets
        // On the wire the first bit is the base; here bit 0 is.
        var mask: UInt64 = 0
        for i in 0..<width where wire & (1 << UInt64(width - 1 - i)) != 0 { mask |= 1 << UInt64(i) }
        guard mask != 0 else { throw .emptyMask }
        guard payload.count - headerLength >= protection else {
            throw .parityPastEnd(protectionLength: protection, available: payload.count - headerLength)
        }
        return ULPFECPacket(sequenceBase: base, mask: mask, protectionLength: protection, headerLength: headerLength)
    }
}

/// Why an FEC payload was refused.
public enum ULPFECError: Error, Equatable, Sendable {
    /// Shorter than its headers.
    case truncated(Int)
    /// It protects no packet.
    case emptyMask
    /// The protection length is longer than the parity bytes that follow.
    case parityPastEnd(protectionLength: Int, available: Int)
    /// Its sequence number base is further back than the packets kept for recovery.
    case baseOutOfRange(back: Int)
}
