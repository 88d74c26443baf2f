import SessionCore

/// One reception report block, shared by SR and RR (RFC 3550 §6.4.1).
public struct RTCPReportBlock: Sendable, Equatable {
    public var ssrc: UInt32
    /// Packets lost since the previous report, as a fixed-point fraction of 256.
    public var fractionLost: UInt8
    /// Cumulative packets lost: 24-bit signed (duplicates can make it negative).
    public var cumulativeLost: Int32
    public var extendedHighestSequence: UInt32
    /// Interarrival jitter in RTP timestamp units.
    public var jitter: UInt32
    /// Middle 32 bits of the NTP time of the last SR received from this source; 0 if none.
    public var lastSenderReport: UInt32
    /// Delay since that SR, in 1/65536 s.
    public var delaySinceLastSenderReport: UInt32

    public static let byteCount = 24
    public static let cumulativeLostRange: ClosedRange<Int64> = -0x80_0000...0x7F_FFFF

    public init(ssrc: UInt32, fractionLost: UInt8 = 0, cumulativeLost: Int32 = 0, extendedHighestSequence: UInt32 = 0,
                jitter: UInt32 = 0, lastSenderReport: UInt32 = 0, delaySinceLastSenderReport: UInt32 = 0) {
        self.ssrc = ssrc
        self.fractionLost = fractionLost
        self.cumulativeLost = cumulativeLost
        self.extendedHighestSequence = extendedHighestSequence
        self.jitter = jitter
        self.lastSenderReport = lastSenderReport
        self.delaySinceLastSenderReport = delaySinceLastSenderReport
    }

    /// Round-trip time seen by the sender when this block arrives at `arrival`:
    /// A - LSR - DLSR (RFC 3550 §6.4.1, Figure 2). Nil when the receiver had no SR yet.
    public func roundTripTime(arrival: NTPTimestamp) -> Duration? {
        guard lastSenderReport != 0 else { return nil }
        let rtt = arrival.compact &- lastSenderReport &- delaySinceLastSenderReport
        // A negative result (clock noise, a bogus block) is reported as zero.
        if Int32(bitPattern: rtt) < 0 { return .zero }
        return NTPCompact.duration(rtt)
    }

    static func parse(_ r: inout ByteReader) -> RTCPReportBlock? {
        guard let ssrc = r.u32(), let lossWord = r.u32(), let ehsn = r.u32(), let jitter = r.u32(),
              let lsr = r.u32(), let dlsr = r.u32() else { return nil }
        // Sign-extend the 24-bit cumulative loss.
        let lost = Int32(bitPattern: (lossWord & 0x00FF_FFFF) << 8) >> 8
        return RTCPReportBlock(ssrc: ssrc, fractionLost: UInt8(truncatingIfNeeded: lossWord >> 24),
                               cumulativeLost: lost, extendedHighestSequence: ehsn, jitter: jitter,
                               lastSenderReport: lsr, delaySinceLastSenderReport: dlsr)
    }

    func write(to out: inout [UInt8]) {
        let lost = Int64(cumulativeLost).clamped(to: Self.cumulativeLostRange)
        out.appendU32(ssrc)
        out.appendU32(UInt32(fractionLost) << 24 | (UInt32(truncatingIfNeeded: lost) & 0x00FF_FFFF))
        out.appendU32(extendedHighestSequence)
        out.appendU32(jitter)
        out.appendU32(lastSenderReport)
        out.appendU32(delaySinceLastSenderReport)
    }
}

extension Comparable {
    fileprivate func clamped(to range: ClosedRange<Self>) -> Self {
        min(max(self, range.lowerBound), range.upperBound)
    }
}
