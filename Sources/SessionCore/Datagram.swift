/// A UDP datagram between two transport addresses: what a sans-IO machine asks its driver to
/// send, and what a simulated network carries.
///
/// `transport` is `.udp` for everything but the client↔server leg of TURN over TCP or TLS
/// (RFC 8656 §3.1): then `bytes` is one whole STUN or ChannelData message for the driver's
/// stream connection to `to`, and `from` names the UDP base the relay belongs to.
public struct Datagram: Equatable, Sendable {
    public var from: TransportAddress
    public var to: TransportAddress
    public var bytes: [UInt8]
    public var transport: TransportProtocol

    public init(from: TransportAddress, to: TransportAddress, bytes: [UInt8], transport: TransportProtocol = .udp) {
        self.from = from
        self.to = to
        self.bytes = bytes
        self.transport = transport
    }
}

/// How a message travels between the kiosk and a server: UDP, or a TCP connection, or TLS
/// over TCP (RFC 8656 §3.1; the relayed leg is UDP whatever this is).
public enum TransportProtocol: String, Sendable, Hashable, CaseIterable {
    case udp, tcp, tls

    public var isStream: Bool { self != .udp }
}

extension Datagram: CustomStringConvertible {
    /// No bytes and no addresses beyond their redacted form (TransportAddress's own).
    public var description: String { "Datagram(\(from) → \(to)\(transport == .udp ? "" : " over \(transport.rawValue)"), \(bytes.count) bytes)" }
}
