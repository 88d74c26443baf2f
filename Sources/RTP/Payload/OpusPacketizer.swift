/// RTP timing for Opus (RFC 7587): one encoded frame per packet, the timestamp on the 48 kHz
/// clock whatever the coded bandwidth (§4.1), so +960 per 20 ms frame. The marker is set only
/// on the first packet after frames that were not sent (DTX silence, §4.1/§4.2 and RFC 3551
/// §4.1 "first packet of a talkspurt").
public struct OpusPacketizer: Sendable {
    public static let clockRate = 48_000

    public let samplesPerFrame: UInt32
    /// The timestamp the next frame (sent or skipped) will have.
    public private(set) var nextTimestamp: UInt32
    private var resumingAfterSilence = false

    public init(initialTimestamp: UInt32, samplesPerFrame: UInt32 = 960) {
        self.nextTimestamp = initialTimestamp
        self.samplesPerFrame = samplesPerFrame
    }

    /// The timestamp and marker for the frame about to be sent; advances one frame.
    public mutating func nextPacket() -> (timestamp: UInt32, marker: Bool) {
        let result = (nextTimestamp, resumingAfterSilence)
        resumingAfterSilence = false
        nextTimestamp &+= samplesPerFrame
        return result
    }

    /// A frame interval that is not transmitted (DTX): time moves on, the next packet is marked.
    public mutating func skipFrame() {
        nextTimestamp &+= samplesPerFrame
        resumingAfterSilence = true
    }
}
