/// RTX (RFC 4588 §4): a retransmission travels on its own SSRC and payload type, the original
/// sequence number (OSN) in its payload's first two bytes, the original payload after it.
/// Chromium also probes with RTX packets: padding only, or an old packet sent again.
public enum RTPRetransmission {
    /// The original sequence number; nil for a packet too short to carry one (padding).
    public static func originalSequence(_ packet: RTPPacketView, in bytes: UnsafeRawBufferPointer) -> UInt16? {
        let payload = packet.payload(in: bytes)
        guard payload.count >= 2 else { return nil }
        return UInt16(payload[0]) << 8 | UInt16(payload[1])
    }

    /// Writes the original packet into `out`, replacing its contents: a plain header (no
    /// extensions: what they said was used on the RTX packet itself) with the media SSRC, the
    /// media payload type and the OSN, then the payload after the OSN. False, leaving `out`
    /// alone, when there is no OSN or nothing after it.
    public static func restore(_ packet: RTPPacketView, in bytes: UnsafeRawBufferPointer, mediaSSRC: UInt32,
                               payloadType: UInt8, into out: inout [UInt8]) -> Bool {
        let payload = packet.payload(in: bytes)
        guard payload.count > 2, let osn = originalSequence(packet, in: bytes) else { return false }
        out.removeAll(keepingCapacity: true)
        RTPHeader(marker: packet.marker, payloadType: payloadType, sequenceNumber: osn,
                  timestamp: packet.timestamp, ssrc: mediaSSRC).write(to: &out)
        out.rtpAppend(UnsafeRawBufferPointer(rebasing: payload[2...]))
        return true
    }
}
