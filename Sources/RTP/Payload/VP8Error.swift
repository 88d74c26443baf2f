/// Why a VP8 RTP payload cannot be used, or a frame cannot be packetized (RFC 7741).
public enum VP8Error: Error, Equatable, Sendable {
    /// No bytes at all, or a descriptor with no VP8 data after it.
    case emptyPayload
    /// An optional descriptor field announced by X/I/M/L/T/K runs past the end (§4.2).
    case truncatedDescriptor
    /// The payload size budget leaves no room for data after the 4-byte descriptor.
    case payloadBudgetTooSmall(Int)
    /// A frame of zero bytes.
    case emptyFrame
    /// A packet's VP8 data is larger than the reassembly slot.
    case payloadTooLarge(Int)
}
