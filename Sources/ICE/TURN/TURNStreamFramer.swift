import STUN

/// TURN messages over a byte stream (TCP or TLS, RFC 8656 §3.1): no datagram boundaries, so
/// each message is found by its own header. A STUN message is its 20-byte header plus the
/// header's length (RFC 8489 §6, a multiple of 4); ChannelData is its 4-byte header plus the
/// length, padded to a multiple of 4 over a stream (RFC 8656 §12.5).
///
/// Receive side: `append` whatever the socket (or TLS) gave, of any size, then take
/// `nextMessage()` until it returns nil. The buffer is bounded by `capacity`: the driver reads
/// at most `capacity - maxFrameLength` bytes between drains, so a well-formed stream never
/// overflows it. A stream that is not TURN (a first byte that starts neither STUN nor
/// ChannelData, a STUN length that is not a multiple of 4, an unassigned channel) cannot be
/// resynchronised — any byte of a payload could look like a header — so the framer fails with
/// a typed error, stays failed, and the caller closes the connection.
///
/// Send side: `frame(_:into:)` appends a message and, for ChannelData, its padding.
public struct TURNStreamFramer: Sendable {
    /// The longest frame: ChannelData with a 65,535-byte payload and 1 byte of padding
    /// (a STUN message is at most 20 + 65,532).
    public static let maxFrameLength = TURNChannelData.headerLength + 65_535 + 1
    /// Room for one whole frame plus one read of the driver's chunk size.
    public static let defaultCapacity = maxFrameLength + 16_384

    public let capacity: Int
    /// Buffered bytes; `buffer[start...]` not yet returned.
    private var buffer: [UInt8] = []
    private var start = 0
    /// Set once the stream is known not to be TURN; every later call throws it.
    public private(set) var failure: TURNStreamError?

    public init(capacity: Int = defaultCapacity) {
        self.capacity = max(capacity, Self.maxFrameLength)
        // One allocation per connection, none per message.
        buffer.reserveCapacity(self.capacity)
    }

    /// Bytes received but not yet returned as a message.
    public var bufferedCount: Int { buffer.count - start }

    /// Takes the next `chunk` of the stream. Throws `.overflow` (and fails) if it does not fit:
    /// the caller read more than it drained.
    public mutating func append(_ chunk: UnsafeRawBufferPointer) throws(TURNStreamError) {
        try makeRoom(chunk.count)
        buffer.append(contentsOf: chunk)
    }

    public mutating func append(_ chunk: ArraySlice<UInt8>) throws(TURNStreamError) {
        try makeRoom(chunk.count)
        buffer.append(contentsOf: chunk)
    }

    public mutating func append(_ chunk: [UInt8]) throws(TURNStreamError) {
        try append(chunk[...])
    }

    private mutating func makeRoom(_ count: Int) throws(TURNStreamError) {
        if let failure { throw failure }
        compact()
        guard buffer.count + count <= capacity else {
            throw fail(.overflow(buffered: buffer.count, incoming: count))
        }
    }

    /// The next whole message without its padding (a STUN message or ChannelData, as a
    /// datagram would carry it), or nil until more bytes arrive.
    public mutating func nextMessage() throws(TURNStreamError) -> [UInt8]? {
        guard let r = try nextRange() else { return nil }
        return Array(buffer[r])
    }

    /// Like `nextMessage`, as a range of `bufferedBytes`, valid until the next call that
    /// mutates the framer: for a caller that copies into a buffer of its own.
    public mutating func nextRange() throws(TURNStreamError) -> Range<Int>? {
        if let failure { throw failure }
        let available = buffer.count - start
        guard available > 0 else { return nil }
        let b = start
        let first = buffer[b]
        let messageLength: Int
        let frameLength: Int
        switch first >> 6 {
        case 0b00:
            // STUN: the magic cookie tells a desynchronised stream early (RFC 8489 §6).
            if available >= 8 {
                let cookie = UInt32(buffer[b + 4]) << 24 | UInt32(buffer[b + 5]) << 16 | UInt32(buffer[b + 6]) << 8
                    | UInt32(buffer[b + 7])
                guard cookie == STUNMessage.magicCookie else { throw fail(.notSTUN) }
            }
            guard available >= 4 else { return nil }
            let length = Int(UInt16(buffer[b + 2]) << 8 | UInt16(buffer[b + 3]))
            guard length % 4 == 0 else { throw fail(.notSTUN) }
            messageLength = STUNMessage.headerLength + length
            frameLength = messageLength
        case 0b01:
            guard available >= 2 else { return nil }
            let channel = UInt16(first) << 8 | UInt16(buffer[b + 1])
            guard TURNChannelData.channelNumbers.contains(channel) else { throw fail(.invalidChannel(channel)) }
            guard available >= 4 else { return nil }
            let length = Int(UInt16(buffer[b + 2]) << 8 | UInt16(buffer[b + 3]))
            messageLength = TURNChannelData.headerLength + length
            frameLength = (messageLength + 3) & ~3
        default:
            throw fail(.notTURN(firstByte: first))
        }
        guard available >= frameLength else { return nil }
        start += frameLength
        return b..<(b + messageLength)
    }

    /// The buffer `nextRange` indexes.
    public var bufferedBytes: [UInt8] { buffer }

    /// Appends `message` to `out` as it goes on a stream: ChannelData padded with zeros to a
    /// multiple of 4 (RFC 8656 §12.5), STUN as is (its length is one already). Appending to a
    /// reused buffer allocates nothing once the buffer has grown.
    public static func frame(_ message: [UInt8], range: Range<Int>? = nil, into out: inout [UInt8]) {
        let r = range ?? 0..<message.count
        out.append(contentsOf: message[r])
        if TURNChannelData.isChannelData(message, range: r) {
            let pad = (4 - r.count % 4) % 4
            for _ in 0..<pad { out.append(0) }
        }
    }

    /// Moves the unread bytes to the front (a memmove; the capacity stays).
    private mutating func compact() {
        guard start > 0 else { return }
        buffer.removeSubrange(0..<start)
        start = 0
    }

    private mutating func fail(_ error: TURNStreamError) -> TURNStreamError {
        failure = error
        buffer.removeAll(keepingCapacity: false)
        start = 0
        return error
    }
}

/// Why a TURN byte stream cannot be read further. Each one ends the connection.
public enum TURNStreamError: Error, Equatable, Sendable {
    /// The first byte of a frame starts neither STUN (0b00) nor ChannelData (0b01).
    case notTURN(firstByte: UInt8)
    /// A STUN header without the magic cookie, or with a length not a multiple of 4.
    case notSTUN
    /// ChannelData on a number outside 0x4000–0x4FFF (RFC 8656 §12).
    case invalidChannel(UInt16)
    /// More bytes than the bounded buffer holds.
    case overflow(buffered: Int, incoming: Int)
}

extension TURNStreamError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .notTURN(let b): "stream is not TURN (frame starts with byte \(b))"
        case .notSTUN: "stream is not TURN (bad STUN header)"
        case .invalidChannel(let c): "stream is not TURN (channel \(c) out of range)"
        case .overflow(let buffered, let incoming): "stream buffer full (\(buffered) buffered, \(incoming) more)"
        }
    }
}
