import SessionCore

/// A frame ready for the decoder: for video a whole VP8 frame, for audio one Opus packet.
public struct RTPReceivedFrame: Sendable, Equatable {
    public var data: [UInt8]
    public var rtpTimestamp: UInt32
    public var isKeyframe: Bool
    /// Audio: the first packet of a talkspurt. Video: always true.
    public var marker: Bool
    /// Extended sequence numbers the frame was carried in.
    public var sequences: Range<Int64>
    /// Arrival of the packet that completed it.
    public var receivedAt: Instant
}

public enum RTPReceiveStreamOutput: TimedOutput, Equatable {
    /// A compound (or reduced-size) RTCP packet to protect with SRTCP and send.
    case sendRTCP([UInt8])
    case frame(RTPReceivedFrame)
    /// Video: a frame that will not be delivered (a keyframe has been or will be requested).
    case frameDropped(RTPDroppedFrame)
    /// Audio: packets missing before the next `.frame`; conceal them.
    case audioGap(lostPackets: Int)
    case timeout(Instant)

    public var timeoutInstant: Instant? { if case .timeout(let t) = self { t } else { nil } }
}
