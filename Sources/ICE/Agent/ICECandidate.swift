import SessionCore

/// An ICE candidate as signalled in SDP (RFC 8839 §5.1) and used by the agent.
///
/// `connectionAddress` keeps the text as received: an IP literal, or an mDNS `.local` name
/// that this agent does not resolve (`address` is then nil and the agent ignores it).
public struct ICECandidate: Hashable, Sendable {
    public enum Kind: String, Sendable, CaseIterable {
        case host, srflx, prflx, relay
    }

    public enum Transport: String, Sendable {
        case udp = "UDP"
        case tcp = "TCP"
    }

    public enum TCPType: String, Sendable {
        case active, passive, so
    }

    /// An extension attribute the agent does not interpret (`network-id 1`), kept for
    /// round-tripping.
    public struct Extension: Hashable, Sendable {
        public var name: String
        public var value: String
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    public var foundation: String
    public var component: UInt16
    public var transport: Transport
    public var priority: UInt32
    public var connectionAddress: String
    public var port: UInt16
    public var kind: Kind
    public var relatedAddress: TransportAddress?
    public var tcpType: TCPType?
    public var generation: UInt32?
    public var ufrag: String?
    public var extensions: [Extension]

    public init(foundation: String, component: UInt16 = 1, transport: Transport = .udp, priority: UInt32,
                address: TransportAddress, kind: Kind, relatedAddress: TransportAddress? = nil,
                tcpType: TCPType? = nil, generation: UInt32? = nil, ufrag: String? = nil,
                extensions: [Extension] = []) {
        self.init(foundation: foundation, component: component, transport: transport, priority: priority,
                  connectionAddress: address.hostString, port: address.port, kind: kind,
                  relatedAddress: relatedAddress, tcpType: tcpType, generation: generation, ufrag: ufrag,
                  extensions: extensions)
    }

    public init(foundation: String, component: UInt16, transport: Transport, priority: UInt32,
                connectionAddress: String, port: UInt16, kind: Kind, relatedAddress: TransportAddress?,
                tcpType: TCPType?, generation: UInt32?, ufrag: String?, extensions: [Extension]) {
        self.foundation = foundation
        self.component = component
        self.transport = transport
        self.priority = priority
        self.connectionAddress = connectionAddress
        self.port = port
        self.kind = kind
        self.relatedAddress = relatedAddress
        self.tcpType = tcpType
        self.generation = generation
        self.ufrag = ufrag
        self.extensions = extensions
    }

    /// The IP and port, or nil for an mDNS hostname.
    public var address: TransportAddress? { TransportAddress(host: connectionAddress, port: port) }

    /// True for an mDNS name (`<uuid>.local`, RFC 8839 §5.1 / draft-ietf-mmusic-mdns-ice-candidates).
    public var isMDNS: Bool { address == nil && connectionAddress.lowercased().hasSuffix(".local") }
}

extension ICECandidate: CustomStringConvertible {
    /// Redacted: kind, transport, priority and port only; never the address.
    public var description: String {
        let family = address.map { $0.isIPv4 ? "ipv4" : "ipv6" } ?? (isMDNS ? "mdns" : "name")
        return "candidate(\(kind.rawValue) \(transport.rawValue.lowercased()) \(priority) \(family):<redacted>:\(port))"
    }
}

/// Why an `a=candidate` value could not be read.
public enum ICECandidateError: Error, Equatable, Sendable {
    case missingField(String)
    case invalid(String)
}
