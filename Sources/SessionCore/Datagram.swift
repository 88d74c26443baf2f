/// A UDP datagram between two transport addresses: what a sans-IO machine asks its driver to
/// send, and what a simulated network carries.
public struct Datagram: Equatable, Sendable {
    public var from: TransportAddress
    public var to: TransportAddress
    public var bytes: [UInt8]

    public init(from: TransportAddress, to: TransportAddress, bytes: [UInt8]) {
        self.from = from
        self.to = to
        self.bytes = bytes
    }
}

extension Datagram: CustomStringConvertible {
    /// No bytes and no addresses beyond their redacted form (TransportAddress's own).
    public var description: String { "Datagram(\(from) → \(to), \(bytes.count) bytes)" }
}
