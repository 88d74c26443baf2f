/// FINGERPRINT: CRC-32 (ISO HDLC / IEEE 802.3, reflected 0xEDB88320) of the message up to the
/// attribute, XORed with 0x5354554e (RFC 8489 §14.7).
public enum STUNFingerprint {
    public static let xorValue: UInt32 = 0x5354_554E

    static let table: [UInt32] = (0..<256).map { n -> UInt32 in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    /// Plain CRC-32 of `bytes[range]`.
    public static func crc32(_ bytes: [UInt8], _ range: Range<Int>) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        table.withUnsafeBufferPointer { t in
            for i in range { crc = t[Int((crc ^ UInt32(bytes[i])) & 0xFF)] ^ (crc >> 8) }
        }
        return crc ^ 0xFFFF_FFFF
    }

    public static func value(_ bytes: [UInt8], _ range: Range<Int>) -> UInt32 {
        crc32(bytes, range) ^ xorValue
    }
}
