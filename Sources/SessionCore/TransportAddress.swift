/// An IP address and UDP port as a plain value: what ICE candidates, STUN attributes and the
/// socket driver exchange. Never logged as text (an IP address is personal data): use
/// `redactedDescription` in logs.
public struct TransportAddress: Hashable, Sendable {
    public enum IP: Hashable, Sendable {
        case v4(UInt32)
        case v6(UInt64, UInt64)
    }

    public var ip: IP
    public var port: UInt16

    public init(ip: IP, port: UInt16) {
        self.ip = ip
        self.port = port
    }

    /// Parses dotted IPv4 or RFC 4291 text IPv6 (with `::`); nil for anything else (hostnames).
    public init?(host: String, port: UInt16) {
        if let v4 = TransportAddress.parseIPv4(host) {
            self.init(ip: .v4(v4), port: port)
        } else if let v6 = TransportAddress.parseIPv6(host) {
            self.init(ip: .v6(v6.0, v6.1), port: port)
        } else {
            return nil
        }
    }

    public var isIPv4: Bool { if case .v4 = ip { return true } else { return false } }

    public var isLoopback: Bool {
        switch ip {
        case .v4(let a): return a >> 24 == 127
        case .v6(let hi, let lo): return hi == 0 && lo == 1
        }
    }

    /// The address as text, for SDP candidates and sockets only; never for logs.
    public var hostString: String {
        switch ip {
        case .v4(let a):
            return "\(a >> 24).\((a >> 16) & 0xff).\((a >> 8) & 0xff).\(a & 0xff)"
        case .v6(let hi, let lo):
            var groups: [UInt16] = []
            for i in stride(from: 48, through: 0, by: -16) { groups.append(UInt16(truncatingIfNeeded: hi >> UInt64(i))) }
            for i in stride(from: 48, through: 0, by: -16) { groups.append(UInt16(truncatingIfNeeded: lo >> UInt64(i))) }
            return groups.map { String($0, radix: 16) }.joined(separator: ":")
        }
    }

    /// What logs may show: the family and port only.
    public var redactedDescription: String { "\(isIPv4 ? "ipv4" : "ipv6"):<redacted>:\(port)" }

    static func parseIPv4(_ s: String) -> UInt32? {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for p in parts {
            guard !p.isEmpty, p.count <= 3, p.allSatisfy({ $0.isASCII && $0.isNumber }),
                  let n = UInt32(p), n <= 255 else { return nil }
            value = value << 8 | n
        }
        return value
    }

    static func parseIPv6(_ s: String) -> (UInt64, UInt64)? {
        guard s.contains(":"), s.count <= 45 else { return nil }
        // Split on the one allowed "::" without Foundation.
        let chars = Array(s)
        var halves: [String] = []
        var i = 0
        var start = 0
        while i + 1 < chars.count {
            if chars[i] == ":" && chars[i + 1] == ":" {
                halves.append(String(chars[start..<i]))
                start = i + 2
                i += 2
            } else {
                i += 1
            }
        }
        halves.append(String(chars[start...]))
        guard halves.count <= 2 else { return nil }
        func groups(_ part: String) -> [UInt16]? {
            if part.isEmpty { return [] }
            var out: [UInt16] = []
            for g in part.split(separator: ":", omittingEmptySubsequences: false) {
                guard !g.isEmpty, g.count <= 4, let v = UInt16(g, radix: 16) else { return nil }
                out.append(v)
            }
            return out
        }
        guard let head = groups(halves[0]) else { return nil }
        var all: [UInt16]
        if halves.count == 2 {
            guard let tail = groups(halves[1]), head.count + tail.count < 8 else { return nil }
            all = head + [UInt16](repeating: 0, count: 8 - head.count - tail.count) + tail
        } else {
            guard head.count == 8 else { return nil }
            all = head
        }
        var hi: UInt64 = 0, lo: UInt64 = 0
        for i in 0..<4 { hi = hi << 16 | UInt64(all[i]) }
        for i in 4..<8 { lo = lo << 16 | UInt64(all[i]) }
        return (hi, lo)
    }
}

extension TransportAddress: CustomStringConvertible {
    /// Redacted on purpose, so string interpolation into a log line cannot leak an address.
    public var description: String { redactedDescription }
}
