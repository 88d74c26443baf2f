import SessionCore

extension ICECandidate {
    /// Parses the value of `a=candidate:` (RFC 8839 §5.1), with or without the `candidate:`
    /// prefix that trickle messages carry:
    /// `foundation component transport priority address port typ type [raddr a] [rport p] *(name value)`.
    /// TCP candidates parse (the agent ignores them); unknown extensions are kept.
    public init(sdpAttribute: String) throws(ICECandidateError) {
        var text = Substring(sdpAttribute)
        if text.hasPrefix("a=") { text = text.dropFirst(2) }
        if text.lowercased().hasPrefix("candidate:") { text = text.dropFirst("candidate:".count) }
        let fields = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" })
        guard fields.count <= 64 else { throw .invalid("too many fields") }
        guard fields.count >= 8 else { throw .missingField(Self.fieldNames[min(fields.count, 7)]) }

        let foundation = String(fields[0])
        guard (1...32).contains(foundation.utf8.count), foundation.utf8.allSatisfy(Self.isICEChar) else {
            throw .invalid("foundation")
        }
        guard fields[1].count <= 3, let component = UInt16(fields[1]), (1...256).contains(component) else {
            throw .invalid("component")
        }
        guard let transport = Transport(rawValue: fields[2].uppercased()) else { throw .invalid("transport") }
        guard fields[3].count <= 10, let priority = UInt32(fields[3]) else { throw .invalid("priority") }
        let connectionAddress = String(fields[4])
        guard !connectionAddress.isEmpty, connectionAddress.utf8.count <= 255 else { throw .invalid("address") }
        guard let port = UInt16(fields[5]) else { throw .invalid("port") }
        guard fields[6] == "typ" else { throw .missingField("typ") }
        guard let kind = Kind(rawValue: String(fields[7])) else { throw .invalid("type") }

        var relatedHost: Substring?
        var relatedPort: UInt16?
        var tcpType: TCPType?
        var generation: UInt32?
        var ufrag: String?
        var extensions: [Extension] = []
        var i = 8
        while i < fields.count {
            guard i + 1 < fields.count else { throw .missingField("value of \(fields[i])") }
            let name = fields[i]
            let value = fields[i + 1]
            switch name {
            case "raddr": relatedHost = value
            case "rport":
                guard let p = UInt16(value) else { throw .invalid("rport") }
                relatedPort = p
            case "tcptype":
                guard let t = TCPType(rawValue: String(value)) else { throw .invalid("tcptype") }
                tcpType = t
            case "generation":
                guard let g = UInt32(value) else { throw .invalid("generation") }
                generation = g
            case "ufrag": ufrag = String(value)
            default: extensions.append(Extension(name: String(name), value: String(value)))
            }
            i += 2
        }
        // A related address that is not an IP (an mDNS name) is informational only: dropped.
        let related = relatedHost.flatMap { TransportAddress(host: String($0), port: relatedPort ?? 0) }
        self.init(foundation: foundation, component: component, transport: transport, priority: priority,
                  connectionAddress: connectionAddress, port: port, kind: kind, relatedAddress: related,
                  tcpType: tcpType, generation: generation, ufrag: ufrag, extensions: extensions)
    }

    /// The value for `a=candidate:` (no prefix).
    public var sdpAttribute: String {
        var s = "\(foundation) \(component) \(transport.rawValue.lowercased()) \(priority) \(connectionAddress) \(port) typ \(kind.rawValue)"
        if let r = relatedAddress { s += " raddr \(r.hostString) rport \(r.port)" }
        if let t = tcpType { s += " tcptype \(t.rawValue)" }
        if let g = generation { s += " generation \(g)" }
        if let u = ufrag { s += " ufrag \(u)" }
        for e in extensions { s += " \(e.name) \(e.value)" }
        return s
    }

    /// The string a trickle message carries (`candidate:` + `sdpAttribute`).
    public var trickleString: String { "candidate:" + sdpAttribute }

    private static let fieldNames = ["foundation", "component", "transport", "priority", "address", "port", "typ", "type"]

    /// ice-char = ALPHA / DIGIT / "+" / "/" (RFC 8839 §5.1).
    static func isICEChar(_ c: UInt8) -> Bool {
        (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x2B || c == 0x2F
    }
}
