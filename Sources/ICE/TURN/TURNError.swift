import SessionCore

/// Why a TURN datagram or allocation failed.
public enum TURNError: Error, Equatable, Sendable {
    /// ChannelData shorter than its header or its length field.
    case truncated
    /// The first byte is not 0x40–0x4F, or the number is outside 0x4000–0x4FFF (RFC 8656 §12).
    case invalidChannel(UInt16)
    /// The server did not answer within the retransmission schedule.
    case timedOut
    /// An error response the client cannot recover from (RFC 8656 §7.4, §7.3).
    case rejected(code: Int)
    /// 401 after the client had already sent credentials for that realm and nonce.
    case unauthorized
    /// A success response without the attributes the method requires.
    case malformedResponse
    /// TURN over TCP or TLS: the connection to the server failed or closed (the driver logs
    /// why); the allocation is gone with it (RFC 8656 §3.1).
    case transportClosed
    /// 300 Try Alternate to Allocate (RFC 8656 §7.4): allocate at `to` instead (the agent
    /// follows it); a 300 without ALTERNATE-SERVER is `rejected(code: 300)`.
    case redirected(to: TransportAddress)
}

extension TURNError: CustomStringConvertible {
    /// For logs: what went wrong, never an address or a credential.
    public var description: String {
        switch self {
        case .truncated: "truncated ChannelData"
        case .invalidChannel(let c): "invalid channel \(c)"
        case .timedOut: "the TURN server did not answer"
        case .rejected(let code): "the TURN server refused the request (error \(code))"
        case .unauthorized:
            "the TURN server refused the credentials (401 Unauthorized): wrong user name or password, or expired (the practice's time-limited credentials expire)"
        case .malformedResponse: "the TURN server's answer lacked required attributes"
        case .transportClosed: "the connection to the TURN server closed"
        case .redirected: "the TURN server sent the allocation to another server (300 Try Alternate)"
        }
    }
}
