/// Why bytes are not a usable RTCP compound packet. Parsing never traps; every malformed
/// input ends here.
public enum RTCPError: Error, Equatable, Sendable {
    /// Fewer than 4 bytes where a packet header should start.
    case truncatedHeader
    /// The version field is not 2.
    case badVersion(UInt8)
    /// The length field announces more bytes than remain (RFC 3550 §6.4.1 "length").
    case lengthMismatch(declared: Int, available: Int)
    /// The padding count is zero or larger than the packet body.
    case badPadding
    /// A known packet type whose body is shorter than its counts require.
    case truncatedPacket(packetType: UInt8)
    /// An SDES chunk or item runs past the packet (RFC 3550 §6.5).
    case malformedSDES
    /// A transport-wide feedback packet whose chunks or deltas do not fit.
    case malformedTransportFeedback
}
