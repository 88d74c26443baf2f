/// Why a TURN datagram or allocation failed.
public enum TURNError: Error, Equatable, Sendable, CustomStringConvertible {
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

    /// In words for IT's log; no server address (the caller names the server by index at most).
    public var description: String {
        switch self {
        case .truncated: "a relayed packet was cut short"
        case .invalidChannel(let n): "a relayed packet named channel \(n), outside 0x4000-0x4FFF"
        case .timedOut: "the TURN server did not answer"
        case .rejected(let code): "the TURN server refused the request (error \(code))"
        case .unauthorized:
            "the TURN server refused the credentials: wrong user name or password, or expired (time-limited credentials from the practice expire)"
        case .malformedResponse: "the TURN server's answer lacked required attributes"
        }
    }
}
