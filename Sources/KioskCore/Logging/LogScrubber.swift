/// A last line of defence for log text: replaces anything shaped like an IPv4 address or an
/// IPv6 address with a placeholder, so a careless interpolation cannot put one in the journal.
enum LogScrubber {
    static func scrub(_ text: String) -> String {
        let bytes = Array(text.utf8)
        guard bytes.contains(where: { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: ":") }) else { return text }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            if let end = ipv4End(bytes, from: i) ?? ipv6End(bytes, from: i) {
                out.append(contentsOf: Array("<ip>".utf8))
                i = end
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
    static func isHex(_ c: UInt8) -> Bool { isDigit(c) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46) }

    /// End index of a dotted quad starting at `start` (not preceded by a digit or dot).
    static func ipv4End(_ b: [UInt8], from start: Int) -> Int? {
        if start > 0, isDigit(b[start - 1]) || b[start - 1] == UInt8(ascii: ".") { return nil }
        var i = start
        for part in 0..<4 {
            let digitsStart = i
            while i < b.count, isDigit(b[i]), i - digitsStart < 3 { i += 1 }
            if i == digitsStart { return nil }
            if part < 3 {
                guard i < b.count, b[i] == UInt8(ascii: ".") else { return nil }
                i += 1
            }
        }
        if i < b.count, isDigit(b[i]) { return nil }
        return i
    }

    /// End index of something with at least two colons and hex groups (e.g. fe80::1, ::1).
    static func ipv6End(_ b: [UInt8], from start: Int) -> Int? {
        if start > 0, isHex(b[start - 1]) || b[start - 1] == UInt8(ascii: ":") { return nil }
        var i = start
        var colons = 0
        var hexRun = 0
        var sawDoubleColon = false
        while i < b.count {
            if b[i] == UInt8(ascii: ":") {
                if i + 1 < b.count, b[i + 1] == UInt8(ascii: ":") { sawDoubleColon = true }
                colons += 1
                hexRun = 0
            } else if isHex(b[i]) {
                hexRun += 1
                if hexRun > 4 { return nil }
            } else {
                break
            }
            i += 1
        }
        let enough = colons >= 7 || (sawDoubleColon && colons >= 2)
        return enough ? i : nil
    }
}
