import SessionCore

/// A NAT in front of one side (RFC 4787 terms): endpoint-independent mapping (one public
/// port per private address and port, whoever it talks to), with endpoint-independent or
/// address-dependent filtering of what comes back.
public struct NATConfig: Sendable, Equatable {
    public enum Filtering: Sendable, Equatable {
        /// Anything sent to a mapped port gets in ("full cone").
        case endpointIndependent
        /// Only from addresses the inside has sent to ("restricted cone").
        case addressDependent
        /// Only from the exact addresses and ports the inside has sent to ("port restricted").
        case addressAndPortDependent
    }

    public var publicIP: TransportAddress.IP
    public var firstPort: UInt16 = 40_000
    public var filtering: Filtering = .addressDependent

    public init(publicIP: TransportAddress.IP, filtering: Filtering = .addressDependent) {
        self.publicIP = publicIP
        self.filtering = filtering
    }
}
