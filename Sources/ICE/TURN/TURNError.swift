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
}
