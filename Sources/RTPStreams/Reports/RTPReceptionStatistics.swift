import RTP
import SessionCore

/// What a receive stream has seen, for RTCP reports and for `getStats`-like monitoring.
public struct RTPReceiveStatistics: Sendable, Equatable, Codable {
    public var packetsReceived: Int64 = 0
    /// Of those, packets with no payload (the sender's bandwidth probes and padding), and
    /// RTX packets that repaired nothing (probes resending what had arrived).
    public var paddingPacketsReceived: Int64 = 0
    /// Missing packets that came back on the sender's RTX stream.
    public var packetsRepairedByRTX: Int64 = 0
    /// Video: for every frame delivered (`framesDelivered`), from its first packet's arrival
    /// to its leaving the jitter buffer, summed (webrtc-stats' `jitterBufferDelay`).
    public var jitterBufferDelayNanoseconds: Int64 = 0
    /// RTP payload bytes (headers and padding excluded).
    public var payloadBytesReceived: Int64 = 0
    /// Cumulative loss as RFC 3550 §A.3 defines it: expected minus received (negative when
    /// duplicates outnumber losses).
    public var packetsLost: Int64 = 0
    /// The fraction lost in the last report interval, out of 256.
    public var fractionLost: UInt8 = 0
    /// Interarrival jitter (RFC 3550 §A.8) in RTP timestamp units.
    public var jitter: UInt32 = 0
    public var highestSequence: Int64?
    public var duplicatePackets: Int64 = 0
    /// Arrived after their frame was emitted or dropped.
    public var latePackets: Int64 = 0
    /// Payloads that did not parse (bad VP8 descriptor, oversized).
    public var malformedPackets: Int64 = 0
    /// Dropped for a wrong SSRC or payload type.
    public var ignoredPackets: Int64 = 0
    public var nackPacketsSent: Int64 = 0
    /// Sequence numbers asked for, counting each repetition.
    public var nackedSequenceNumbers: Int64 = 0
    /// Missing packets that arrived after being NACKed.
    public var packetsRecoveredByNack: Int64 = 0
    /// Missing packets the NACK logic stopped asking for.
    public var nackGiveUps: Int64 = 0
    public var keyframeRequestsSent: Int64 = 0
    public var framesDelivered: Int64 = 0
    public var keyframesDelivered: Int64 = 0
    public var framesDropped: Int64 = 0
    /// Why: given up incomplete, a delta frame with its reference lost, the buffer overflowed.
    public var framesDroppedIncomplete: Int64 = 0
    public var framesDroppedNoReference: Int64 = 0
    public var framesDroppedOverflow: Int64 = 0
    /// Audio packets reported missing to the decoder (for concealment or FEC).
    public var audioPacketsConcealed: Int64 = 0
    /// Audio packets that came as RED (RFC 2198), and the missing ones whose frame came in a
    /// later packet's redundant block.
    public var redPacketsReceived: Int64 = 0
    public var packetsRecoveredByRED: Int64 = 0
    /// Video: ULPFEC parity packets received (webrtc-stats' fecPacketsReceived), those dropped
    /// unused (fecPacketsDiscarded: everything they cover came), and the missing packets
    /// rebuilt from them.
    public var fecPacketsReceived: Int64 = 0
    public var fecPacketsDiscarded: Int64 = 0
    public var packetsRecoveredByFEC: Int64 = 0
    public var receiverReportsSent: Int64 = 0
    /// From the last SR: the sender's packet and octet counts.
    public var remotePacketsSent: UInt32?
    public var remoteOctetsSent: UInt32?
    public var byeReceived = false

    public init() {}
}

/// The RFC 3550 appendix A.3 (loss) and A.8 (jitter) bookkeeping for one source.
struct RTPReceptionCounter {
    let clockRate: Int
    private(set) var baseSequence: Int64?
    private(set) var highest: Int64 = 0
    private(set) var received: Int64 = 0
    private var expectedPrior: Int64 = 0
    private var receivedPrior: Int64 = 0
    /// Jitter × 16, the integer form of §A.8.
    private var jitterQ4: Int64 = 0
    private var lastTransit: UInt32?
    private var lastTimestamp: UInt32?

    init(clockRate: Int) { self.clockRate = clockRate }

    mutating func onPacket(_ seq: Int64, timestamp: UInt32, arrival: Instant) {
        received += 1
        guard let _ = baseSequence else {
            baseSequence = seq
            highest = seq
            lastTransit = UInt32(truncatingIfNeeded: RTPTimestamp.ticks(at: arrival, clockRate: clockRate)) &- timestamp
            lastTimestamp = timestamp
            return
        }
        if let base = baseSequence, seq < base { baseSequence = seq }
        guard seq > highest else { return }
        highest = seq
        // Like libwebrtc, only in-order packets that start a new timestamp feed the jitter
        // estimate: packets of one video frame share a timestamp but not an arrival time.
        guard timestamp != lastTimestamp else { return }
        lastTimestamp = timestamp
        let transit = UInt32(truncatingIfNeeded: RTPTimestamp.ticks(at: arrival, clockRate: clockRate)) &- timestamp
        if let last = lastTransit {
            let d = Int64(Int32(bitPattern: transit &- last)).magnitude
            jitterQ4 += Int64(d) - ((jitterQ4 + 8) >> 4)
        }
        lastTransit = transit
    }

    var expected: Int64 {
        guard let base = baseSequence else { return 0 }
        return highest - base + 1
    }

    var cumulativeLost: Int64 { expected - received }

    var jitter: UInt32 { UInt32(truncatingIfNeeded: max(0, jitterQ4 >> 4)) }

    /// A report block for this source; advances the interval used for the fraction lost.
    mutating func makeReportBlock(ssrc: UInt32, lastSenderReport: UInt32, delaySinceLastSenderReport: UInt32) -> RTCPReportBlock {
        let expectedInterval = expected - expectedPrior
        let receivedInterval = received - receivedPrior
        expectedPrior = expected
        receivedPrior = received
        let lostInterval = expectedInterval - receivedInterval
        var fraction: UInt8 = 0
        if expectedInterval > 0, lostInterval > 0 {
            fraction = UInt8(min(255, (lostInterval << 8) / expectedInterval))
        }
        let lost = min(max(cumulativeLost, RTCPReportBlock.cumulativeLostRange.lowerBound),
                       RTCPReportBlock.cumulativeLostRange.upperBound)
        return RTCPReportBlock(ssrc: ssrc, fractionLost: fraction, cumulativeLost: Int32(lost),
                               extendedHighestSequence: UInt32(truncatingIfNeeded: highest), jitter: jitter,
                               lastSenderReport: lastSenderReport, delaySinceLastSenderReport: delaySinceLastSenderReport)
    }
}
