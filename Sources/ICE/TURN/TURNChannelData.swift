/// ChannelData framing (RFC 8656 §12.4): channel number, length, payload; 4 bytes of
/// overhead instead of a Send/Data indication's 36.
public struct TURNChannelData: Equatable, Sendable {
    public static let channelNumbers: ClosedRange<UInt16> = 0x4000...0x4FFF
    public static let headerLength = 4

    public var channel: UInt16
    /// Where the application data lies in the parsed buffer.
    public var payload: Range<Int>

    /// RFC 7983: a first byte of 64–79 is TURN ChannelData.
    public static func isChannelData(_ bytes: [UInt8], range: Range<Int>? = nil) -> Bool {
        let r = range ?? 0..<bytes.count
        guard r.count >= headerLength, r.lowerBound >= 0, r.upperBound <= bytes.count else { return false }
        return (0x40...0x4F).contains(bytes[r.lowerBound])
    }

    /// Parses one ChannelData message. Trailing padding is allowed (§12.5: over UDP it may or
    /// may not be present); a length past the end is not.
    public static func parse(_ bytes: [UInt8], range: Range<Int>? = nil) throws(TURNError) -> TURNChannelData {
        let r = range ?? 0..<bytes.count
        guard r.lowerBound >= 0, r.upperBound <= bytes.count, r.count >= headerLength else { throw .truncated }
        let b = r.lowerBound
        let channel = UInt16(bytes[b]) << 8 | UInt16(bytes[b + 1])
        guard channelNumbers.contains(channel) else { throw .invalidChannel(channel) }
        let length = Int(UInt16(bytes[b + 2]) << 8 | UInt16(bytes[b + 3]))
        guard headerLength + length <= r.count else { throw .truncated }
        return TURNChannelData(channel: channel, payload: (b + 4)..<(b + 4 + length))
    }

    /// Frames `payload[range]` for `channel` into `out` (replacing its contents). No padding:
    /// this is for UDP.
    public static func encode(channel: UInt16, payload: [UInt8], range: Range<Int>? = nil, into out: inout [UInt8]) {
        let r = range ?? 0..<payload.count
        out.removeAll(keepingCapacity: true)
        out.reserveCapacity(headerLength + r.count)
        out.appendU16(channel)
        out.appendU16(UInt16(truncatingIfNeeded: r.count))
        out.append(contentsOf: payload[r])
    }
}
