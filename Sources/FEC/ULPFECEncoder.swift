/// Writes ULPFEC parity (RFC 5109 level 0, libwebrtc's layout): the XOR of the protected
/// packets' first two bytes, timestamps, lengths after the fixed header, and every byte
/// after the fixed header (zero-padded to the longest). One lost packet among those a parity
/// packet covers is rebuilt from it and the others (`ULPFECDecoder`).
public enum ULPFECEncoder {
    /// Appends one FEC payload (to go inside RED) to `out`. `mask` bit `i` protects the packet
    /// with sequence number `base + i` (`i` < 48), whose bytes, as sent without RED, `packet(i)` gives.
    public static func write(base: UInt16, mask: UInt64, packet: (Int) -> UnsafeRawBufferPointer,
                             into out: inout [UInt8]) {
        precondition(mask != 0 && mask >> UInt64(ULPFECPacket.maxProtected) == 0, "an FEC mask covers 1 to 48 packets")
        let fixed = 12
        let longMask = mask >> UInt64(ULPFECPacket.shortMaskPackets) != 0
        let width = longMask ? ULPFECPacket.maxProtected : ULPFECPacket.shortMaskPackets
        var protection = 0
        var b0: UInt8 = 0, b1: UInt8 = 0, length: UInt16 = 0
        var timestamp: (UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0)
        forEach(mask) { i in
            let p = packet(i)
            precondition(p.count >= fixed, "a protected packet has an RTP header")
            protection = max(protection, p.count - fixed)
            b0 ^= p[0]; b1 ^= p[1]
            length ^= UInt16(truncatingIfNeeded: p.count - fixed)
            timestamp.0 ^= p[4]; timestamp.1 ^= p[5]; timestamp.2 ^= p[6]; timestamp.3 ^= p[7]
        }
        // E = 0; L says which mask follows; P, X, CC, M and PT are recovery bits.
        out.append(b0 & 0x3F | (longMask ? 0x40 : 0))
        out.append(b1)
        out.append(UInt8(base >> 8)); out.append(UInt8(truncatingIfNeeded: base))
        out.append(timestamp.0); out.append(timestamp.1); out.append(timestamp.2); out.append(timestamp.3)
        out.append(UInt8(length >> 8)); out.append(UInt8(truncatingIfNeeded: length))
        out.append(UInt8(protection >> 8)); out.append(UInt8(truncatingIfNeeded: protection))
        var wire: UInt64 = 0
        forEach(mask) { i in wire |= 1 << UInt64(width - 1 - i) }
        for k in stride(from: width / 8 - 1, through: 0, by: -1) { out.append(UInt8(truncatingIfNeeded: wire >> UInt64(8 * k))) }
        let start = out.count
        // A loop: appending `repeatElement` allocated per byte in the debug build.
        for _ in 0..<protection { out.append(0) }
        out.withUnsafeMutableBytes { dst in
            forEach(mask) { i in
                let p = packet(i)
                for k in fixed..<p.count { dst[start + k - fixed] ^= p[k] }
            }
        }
    }

    /// Calls `body` with each set bit's index, lowest first.
    @inline(__always)
    static func forEach(_ mask: UInt64, _ body: (Int) -> Void) {
        var m = mask
        while m != 0 {
            body(m.trailingZeroBitCount)
            m &= m - 1
        }
    }
}
