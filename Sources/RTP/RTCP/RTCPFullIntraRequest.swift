import SessionCore

/// Full Intra Request (RFC 5104 §4.3.1). The media SSRC field is unused (0); each FCI entry
/// names the target SSRC and a command sequence number that repeats only for retransmissions.
public struct RTCPFullIntraRequest: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var ssrc: UInt32
        public var sequenceNumber: UInt8

        public init(ssrc: UInt32, sequenceNumber: UInt8) {
            self.ssrc = ssrc
            self.sequenceNumber = sequenceNumber
        }
    }

    public var senderSSRC: UInt32
    public var mediaSSRC: UInt32
    public var entries: [Entry]

    public init(senderSSRC: UInt32, mediaSSRC: UInt32 = 0, entries: [Entry]) {
        self.senderSSRC = senderSSRC
        self.mediaSSRC = mediaSSRC
        self.entries = entries
    }

    static func parse(body: UnsafeRawBufferPointer) throws(RTCPError) -> RTCPFullIntraRequest {
        var r = ByteReader(body)
        guard let sender = r.u32(), let media = r.u32() else { throw .truncatedPacket(packetType: RTCPPacketType.payloadFeedback) }
        var entries: [Entry] = []
        while r.remaining >= 8, let ssrc = r.u32(), let seq = r.u8(), r.skip(3) {
            entries.append(Entry(ssrc: ssrc, sequenceNumber: seq))
        }
        return RTCPFullIntraRequest(senderSSRC: sender, mediaSSRC: media, entries: entries)
    }

    public func write(to out: inout [UInt8]) {
        let start = RTCPHeaderWriter.begin(count: RTCPFeedbackFormat.fullIntraRequest, packetType: RTCPPacketType.payloadFeedback, out: &out)
        out.appendU32(senderSSRC)
        out.appendU32(mediaSSRC)
        for e in entries {
            out.appendU32(e.ssrc)
            out.append(e.sequenceNumber)
            out.append(0); out.append(0); out.append(0)
        }
        RTCPHeaderWriter.end(start: start, out: &out)
    }
}
