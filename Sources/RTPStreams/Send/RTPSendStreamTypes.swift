import RTP
import SessionCore

/// Why a frame could not be sent.
public enum RTPSendError: Error, Equatable, Sendable {
    case emptyFrame
    /// More packets than the retransmission ring holds: they could not all be queued.
    case frameTooLarge(packets: Int, capacity: Int)
    /// Header + payload exceeds `maxPacketSize`.
    case packetTooLarge(Int)
    case payloadBudgetTooSmall(Int)
    /// The mid extension could not be written (ID or length out of range).
    case headerExtension(RTPError)
}

/// What one sent stream has done, for SR and monitoring.
public struct RTPSendStatistics: Sendable, Equatable, Codable {
    /// Original packets (retransmissions excluded), as the SR counts them.
    public var packetsSent: Int64 = 0
    /// Payload bytes of original packets (RFC 3550 §6.4.1 sender's octet count).
    public var payloadBytesSent: Int64 = 0
    /// Everything handed to the caller, headers and retransmissions included.
    public var bytesSent: Int64 = 0
    public var framesSent: Int64 = 0
    public var retransmittedPackets: Int64 = 0
    /// Bytes of those resends as sent (on the RTX stream: with its OSN).
    public var retransmittedBytes: Int64 = 0
    /// Packets sent again as bandwidth probes (not counted as retransmissions).
    public var probePacketsSent: Int64 = 0
    /// ULPFEC parity packets sent (inside RED; counted in `packetsSent` too, as the SR counts
    /// every packet of the SSRC), and their bytes as sent.
    public var fecPacketsSent: Int64 = 0
    public var fecBytesSent: Int64 = 0
    public var nacksReceived: Int64 = 0
    /// Sequence numbers NACKed that were no longer in the ring.
    public var retransmissionMisses: Int64 = 0
    /// NACKed packets not resent because the send queue was full (`retransmissionQueueLimit`).
    public var retransmissionsSkipped: Int64 = 0
    public var plisReceived: Int64 = 0
    public var firsReceived: Int64 = 0
    public var senderReportsSent: Int64 = 0
    /// From the last report block about this stream (RFC 3550 §6.4.1).
    public var roundTripTime: Duration?
    public var remoteFractionLost: UInt8?
    public var remoteCumulativeLost: Int32?
    public var remoteJitter: UInt32?

    public init() {}
}

public enum RTPSendStreamOutput: TimedOutput, Equatable {
    /// An RTP packet is in the stream's `packet`: protect it with SRTP and send it.
    case sendRTP(sequenceNumber: UInt16, retransmission: Bool)
    /// An RTCP compound (SR + SDES) is in the stream's `packet`.
    case sendRTCP
    /// The receiver asked for a keyframe (PLI or FIR): make the next frame one.
    case keyframeRequested
    case timeout(Instant)

    public var timeoutInstant: Instant? { if case .timeout(let t) = self { t } else { nil } }
}
