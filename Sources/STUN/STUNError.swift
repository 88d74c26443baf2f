/// Why a datagram is not a usable STUN message. Parsing never traps: every malformed input
/// ends here, so the ICE agent can drop it and count it.
public enum STUNError: Error, Equatable, Sendable {
    /// Fewer than the 20 header bytes.
    case tooShort
    /// The first two bits are not zero or the magic cookie is wrong (RFC 8489 §6).
    case notSTUN
    /// The header length is not a multiple of 4 or does not match the datagram.
    case badLength
    /// An attribute header or value runs past the end of the message.
    case truncatedAttribute(type: UInt16)
    /// A known attribute whose value cannot be decoded (wrong size, family, range).
    case malformedAttribute(type: UInt16)
    /// Text that is not UTF-8, or longer than the attribute allows.
    case invalidText(type: UInt16)
    /// FINGERPRINT must be the last attribute (RFC 8489 §14.7).
    case attributeAfterFingerprint
    /// The CRC in FINGERPRINT does not match the message.
    case badFingerprint
    /// The method/class bits do not name a class this code handles.
    case badMessageType
}
