/// The fixed RTP header as a value, for writing (RFC 3550 §5.1).
public struct RTPHeader: Sendable, Equatable {
    public var marker: Bool
    public var payloadType: UInt8
    public var sequenceNumber: UInt16
    public var timestamp: UInt32
    public var ssrc: UInt32
    /// At most 15 are written; more are ignored.
    public var csrcs: [UInt32]

    public init(marker: Bool = false, payloadType: UInt8, sequenceNumber: UInt16, timestamp: UInt32,
                ssrc: UInt32, csrcs: [UInt32] = []) {
        self.marker = marker
        self.payloadType = payloadType
        self.sequenceNumber = sequenceNumber
        self.timestamp = timestamp
        self.ssrc = ssrc
        self.csrcs = csrcs
    }

    /// Appends the 12-byte header and the CSRC list to `out`. The packet starts at the
    /// current end of `out`; an extension writer or padding may set X or P afterwards.
    public func write(to out: inout [UInt8]) {
        let cc = min(csrcs.count, 15)
        out.rtpAppend(count: 12 + 4 * cc) { b in
            b[0] = 0x80 | UInt8(cc)
            b[1] = (marker ? 0x80 : 0) | (payloadType & 0x7F)
            b[2] = UInt8(truncatingIfNeeded: sequenceNumber >> 8)
            b[3] = UInt8(truncatingIfNeeded: sequenceNumber)
            b.rtpStore(timestamp, at: 4)
            b.rtpStore(ssrc, at: 8)
            for i in 0..<cc { b.rtpStore(csrcs[i], at: 12 + 4 * i) }
        }
    }
}

/// RTP padding (RFC 3550 §5.1): zeros, then a final byte counting them all, itself included.
public enum RTPPadding {
    /// Appends `count` bytes of padding and sets P in the packet that starts at `packetStart`.
    public static func append(count: Int, to out: inout [UInt8], packetStart: Int = 0) throws(RTPError) {
        guard (1...255).contains(count), packetStart >= 0, packetStart < out.count else {
            throw .paddingOutOfRange(count)
        }
        for _ in 0..<(count - 1) { out.append(0) }
        out.append(UInt8(count))
        out[packetStart] |= 0x20
    }
}
