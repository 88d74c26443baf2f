/// Picture Loss Indication (RFC 4585 §6.3.1): "send me a keyframe", no FCI.
public struct RTCPPictureLossIndication: Sendable, Equatable {
    public var senderSSRC: UInt32
    public var mediaSSRC: UInt32

    public init(senderSSRC: UInt32, mediaSSRC: UInt32) {
        self.senderSSRC = senderSSRC
        self.mediaSSRC = mediaSSRC
    }

    public func write(to out: inout [UInt8]) {
        let start = RTCPHeaderWriter.begin(count: RTCPFeedbackFormat.pictureLossIndication, packetType: RTCPPacketType.payloadFeedback, out: &out)
        out.appendU32(senderSSRC)
        out.appendU32(mediaSSRC)
        RTCPHeaderWriter.end(start: start, out: &out)
    }
}
