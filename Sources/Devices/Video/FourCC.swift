/// V4L2 pixel format codes as text ("YUYV") and back.
public enum FourCC {
    public static func string(_ code: UInt32) -> String {
        let bytes = (0..<4).map { UInt8(truncatingIfNeeded: code >> (8 * $0)) }
        let printable = bytes.map { (32...126).contains($0) ? $0 : UInt8(ascii: "?") }
        return String(decoding: printable, as: UTF8.self).trimmingTrailingSpaces()
    }

    /// The code for a 1-4 character string (padded with spaces, as V4L2 does); nil otherwise.
    public static func code(_ text: String) -> UInt32? {
        let bytes = Array(text.utf8)
        guard (1...4).contains(bytes.count) else { return nil }
        var code: UInt32 = 0
        for i in 0..<4 { code |= UInt32(i < bytes.count ? bytes[i] : 0x20) << (8 * UInt32(i)) }
        return code
    }
}

extension String {
    fileprivate func trimmingTrailingSpaces() -> String {
        var s = Substring(self)
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}
