/// Why bytes are not a usable RTP packet, or why one cannot be written. Parsing never traps:
/// every malformed input ends here so the receive path can drop and count it.
public enum RTPError: Error, Equatable, Sendable {
    /// Fewer than the 12 bytes of the fixed header (RFC 3550 §5.1).
    case truncatedHeader
    /// The version field is not 2.
    case badVersion(UInt8)
    /// The CSRC list announced by CC runs past the end.
    case truncatedCSRCs
    /// The X bit is set but the 4-byte extension header, or the extension data its length
    /// announces, runs past the end (RFC 3550 §5.3.1).
    case extensionPastEnd
    /// One header-extension element runs past the extension block (RFC 8285 §4.2, §4.3).
    case extensionElementPastEnd
    /// The padding count is zero: it counts itself, so it is at least 1 (RFC 3550 §5.1).
    case zeroPadding
    /// The padding count is larger than what follows the header.
    case paddingLargerThanPayload(padding: Int, available: Int)
    /// An extension ID outside what the chosen form allows (one-byte: 1–14; two-byte: 1–255).
    case extensionIDOutOfRange(UInt8)
    /// An extension value longer than the form allows (one-byte: 1–16; two-byte: 0–255).
    case extensionValueLength(Int)
    /// A padding count outside 1–255.
    case paddingOutOfRange(Int)
}
