import SessionCore

/// A STUN or TURN server URL (RFC 7064 `stun:`/`stuns:`, RFC 7065 `turn:`/`turns:` with
/// `?transport=udp|tcp`), as configured or as the practice's `welcome` lists it. Parsing only:
/// the host is resolved by the driver (`isUsableByAgent` says what the kiosk can use).
public struct ICEServerURL: Sendable, Hashable {
    public enum Scheme: String, Sendable {
        case stun, stuns, turn, turns

        var defaultPort: UInt16 { self == .stuns || self == .turns ? 5349 : 3478 }
        var isTURN: Bool { self == .turn || self == .turns }
    }

    public enum Transport: String, Sendable {
        case udp, tcp
    }

    public var scheme: Scheme
    /// A DNS name or an IP literal (IPv6 without its brackets).
    public var host: String
    public var port: UInt16
    /// TURN only; RFC 7065 §3: UDP unless `?transport=tcp`, always TCP for `turns:`.
    public var transport: Transport

    public static let maxLength = 512

    public init(parsing text: String) throws(ICEServerURLError) {
        guard text.utf8.count <= Self.maxLength else { throw .tooLong }
        guard let colon = text.firstIndex(of: ":") else { throw .unknownScheme(String(text.prefix(16))) }
        let schemeText = text[..<colon].lowercased()
        guard let scheme = Scheme(rawValue: schemeText) else { throw .unknownScheme(String(schemeText.prefix(16))) }
        var rest = Substring(text[text.index(after: colon)...])
        var query: Substring?
        if let q = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: q)...]
            rest = rest[..<q]
        }
        // RFC 7064/7065 forbid userinfo and paths: credentials travel beside the URL.
        if rest.contains("@") || rest.contains("/") { throw .notAServerAddress }
        let hostText: Substring
        var portText: Substring?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { throw .invalidHost }
            hostText = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw .invalidHost }
                portText = after.dropFirst()
            }
            guard hostText.contains(":"), hostText.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else { throw .invalidHost }
        } else {
            let parts = rest.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count <= 2 else { throw .invalidHost }
            hostText = parts[0]
            if parts.count == 2 { portText = parts[1] }
            guard Self.isHostName(hostText) else { throw .invalidHost }
        }
        guard !hostText.isEmpty else { throw .invalidHost }
        var port = scheme.defaultPort
        if let portText {
            guard let p = UInt16(portText), p > 0 else { throw .invalidPort(String(portText.prefix(8))) }
            port = p
        }
        var transport: Transport = scheme == .turns || scheme == .stuns ? .tcp : .udp
        if let query {
            guard scheme.isTURN, query.hasPrefix("transport=") else { throw .invalidQuery }
            guard let t = Transport(rawValue: query.dropFirst("transport=".count).lowercased()) else { throw .invalidQuery }
            transport = t
        }
        self.scheme = scheme
        self.host = String(hostText)
        self.port = port
        self.transport = transport
    }

    public var isTURN: Bool { scheme.isTURN }

    /// What the kiosk can use: STUN over UDP, and TURN over UDP, TCP or TLS (`turns:` with
    /// TCP; `turns:…?transport=udp` would be DTLS, RFC 7065 §3, which it does not speak).
    /// `stuns:` is not used: a STUN server over TLS adds nothing to a kiosk's candidates.
    public var isUsableByAgent: Bool { turnTransport != nil || (scheme == .stun && transport == .udp) }

    /// How the kiosk reaches this TURN server; nil for STUN and for `turns:` over UDP.
    public var turnTransport: TransportProtocol? {
        switch (scheme, transport) {
        case (.turn, .udp): .udp
        case (.turn, .tcp): .tcp
        case (.turns, .tcp): .tls
        default: nil
        }
    }

    /// RFC 1123 labels, or an IPv4 literal (which is a valid name by these rules too).
    private static func isHostName(_ s: Substring) -> Bool {
        guard !s.isEmpty, s.utf8.count <= 253 else { return false }
        return s.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            !label.isEmpty && label.count <= 63 && !label.hasPrefix("-") && !label.hasSuffix("-")
                && label.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7a) || $0 == 0x2d }
        }
    }
}

extension ICEServerURL: CustomStringConvertible {
    /// The scheme and transport only: a server's name says which practice this is.
    public var description: String { "\(scheme.rawValue)(\(transport.rawValue))" }
}

public enum ICEServerURLError: Error, Equatable, Sendable {
    case tooLong
    case unknownScheme(String)
    /// Userinfo or a path: not `scheme:host[:port]`.
    case notAServerAddress
    case invalidHost
    case invalidPort(String)
    /// A query other than TURN's `transport=udp|tcp`.
    case invalidQuery
}

extension ICEServerURLError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .tooLong: "longer than \(ICEServerURL.maxLength) bytes"
        case .unknownScheme(let s): "unknown scheme '\(s)' (allowed: stun, stuns, turn, turns)"
        case .notAServerAddress: "not scheme:host[:port] (no user, password or path in the URL)"
        case .invalidHost: "not a host name or IP address"
        case .invalidPort(let p): "invalid port '\(p)'"
        case .invalidQuery: "invalid query (allowed: ?transport=udp or ?transport=tcp, TURN only)"
        }
    }
}
