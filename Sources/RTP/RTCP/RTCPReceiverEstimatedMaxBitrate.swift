import SessionCore

/// Receiver Estimated Maximum Bitrate (draft-alvestrand-rmcat-remb-03 §2.2), an application
/// layer PSFB whose FCI starts with "REMB".
public struct RTCPReceiverEstimatedMaxBitrate: Sendable, Equatable {
    public var senderSSRC: UInt32
    /// Bits per second (mantissa × 2^exponent as sent; large values lose precision on write).
    public var bitrate: UInt64
    public var ssrcs: [UInt32]

    static let identifier: UInt32 = 0x5245_4D42  // "REMB"

    public init(senderSSRC: UInt32, bitrate: UInt64, ssrcs: [UInt32]) {
        self.senderSSRC = senderSSRC
        self.bitrate = bitrate
        self.ssrcs = ssrcs
    }

    /// Nil when the FCI does not start with "REMB" (another application-layer message).
    static func parse(body: UnsafeRawBufferPointer) throws(RTCPError) -> RTCPReceiverEstimatedMaxBitrate? {
        var r = ByteReader(body)
        guard let sender = r.u32(), r.u32() != nil, let id = r.u32() else { return nil }
        guard id == identifier else { return nil }
        guard let count = r.u8(), let rate = r.u24() else { throw .truncatedPacket(packetType: RTCPPacketType.payloadFeedback) }
        let exponent = rate >> 18
        let mantissa = UInt64(rate & 0x3_FFFF)
        // 18 + 63 bits would overflow; saturate, a real estimate is never near that.
        let bitrate = exponent > 46 ? UInt64.max : mantissa << UInt64(exponent)
        var ssrcs: [UInt32] = []
        for _ in 0..<count {
            guard let s = r.u32() else { throw .truncatedPacket(packetType: RTCPPacketType.payloadFeedback) }
            ssrcs.append(s)
        }
        return RTCPReceiverEstimatedMaxBitrate(senderSSRC: sender, bitrate: bitrate, ssrcs: ssrcs)
    }

    public func write(to out: inout [UInt8]) {
        let start = RTCPHeaderWriter.begin(count: RTCPFeedbackFormat.applicationLayer, packetType: RTCPPacketType.payloadFeedback, out: &out)
        out.appendU32(senderSSRC)
        out.appendU32(0)
        out.appendU32(Self.identifier)
        let n = min(ssrcs.count, 255)
        out.append(UInt8(n))
        var mantissa = bitrate
        var exponent: UInt32 = 0
        while mantissa > 0x3_FFFF { mantissa >>= 1; exponent += 1 }
        out.appendU24(exponent << 18 | UInt32(mantissa))
        for s in ssrcs.prefix(n) { out.appendU32(s) }
        RTCPHeaderWriter.end(start: start, out: &out)
    }
}
