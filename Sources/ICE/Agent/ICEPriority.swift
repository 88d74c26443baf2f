import SessionCore

/// Candidate and pair priorities and foundations (RFC 8445 §5.1.2, §5.1.1.3, §6.1.2.3).
enum ICEPriority {
    /// §5.1.2.2 recommended type preferences.
    static func typePreference(_ kind: ICECandidate.Kind) -> UInt32 {
        switch kind {
        case .host: return 126
        case .prflx: return 110
        case .srflx: return 100
        case .relay: return 0
        }
    }

    /// §5.1.2.1: 2^24·type + 2^8·local + (256 − component).
    static func candidate(_ kind: ICECandidate.Kind, localPreference: UInt16, component: UInt16 = 1) -> UInt32 {
        typePreference(kind) << 24 | UInt32(localPreference) << 8 | (256 - UInt32(min(component, 256)))
    }

    /// A relayed candidate's local preference: UDP to the server above TCP above TLS (RFC 8445
    /// §5.1.2.1 ranks relays over TCP lower; TLS adds a handshake and framing). The host's own
    /// preference (65535 minus its index) keeps relays on different interfaces apart.
    static func relayLocalPreference(host: UInt16, transport: TransportProtocol) -> UInt16 {
        let penalty: UInt16 = switch transport {
        case .udp: 0
        case .tcp: 8192
        case .tls: 16384
        }
        return host >= penalty ? host - penalty : 0
    }

    /// §6.1.2.3: 2^32·MIN(G,D) + 2·MAX(G,D) + (G>D ? 1 : 0), G being the controlling side's.
    static func pair(controlling g: UInt32, controlled d: UInt32) -> UInt64 {
        UInt64(min(g, d)) << 32 | UInt64(max(g, d)) << 1 | (g > d ? 1 : 0)
    }

    /// §5.1.1.3: same type, base IP, server and transport give the same foundation. A stable
    /// hash (FNV-1a) so the text is short and reveals no address.
    /// The transport is the one to the server (§5.1.1.3), so a UDP and a TCP relay on the same
    /// server differ.
    static func foundation(_ kind: ICECandidate.Kind, base: TransportAddress, server: TransportAddress? = nil,
                           transport: TransportProtocol = .udp) -> String {
        var hash: UInt32 = 0x811C_9DC5
        let text = "\(kind.rawValue)|\(base.hostString)|\(server?.hostString ?? "")|\(transport.rawValue)"
        for byte in text.utf8 { hash = (hash ^ UInt32(byte)) &* 0x0100_0193 }
        return String(hash)
    }
}
