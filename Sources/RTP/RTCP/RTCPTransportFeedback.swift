import SessionCore

/// Transport-wide congestion control feedback (RTPFB FMT 15,
/// draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1): for a run of transport-wide
/// sequence numbers, whether each arrived and the arrival delta from the previous one.
public struct RTCPTransportFeedback: Sendable, Equatable {
    public struct Packet: Sendable, Equatable {
        public var sequenceNumber: UInt16
        /// Arrival time minus the previous received packet's (or the reference time), in
        /// 250 µs units; nil when not received.
        public var receiveDelta: Int16?

        public init(sequenceNumber: UInt16, receiveDelta: Int16?) {
            self.sequenceNumber = sequenceNumber
            self.receiveDelta = receiveDelta
        }
    }

    public var senderSSRC: UInt32
    public var mediaSSRC: UInt32
    public var baseSequenceNumber: UInt16
    /// 24 bits, in multiples of 64 ms, in the feedback sender's own time base.
    public var referenceTime: UInt32
    public var feedbackPacketCount: UInt8
    /// One per sequence number from the base, in order.
    public var packets: [Packet]

    public init(senderSSRC: UInt32, mediaSSRC: UInt32, baseSequenceNumber: UInt16, referenceTime: UInt32,
                feedbackPacketCount: UInt8, packets: [Packet]) {
        self.senderSSRC = senderSSRC
        self.mediaSSRC = mediaSSRC
        self.baseSequenceNumber = baseSequenceNumber
        self.referenceTime = referenceTime & 0xFF_FFFF
        self.feedbackPacketCount = feedbackPacketCount
        self.packets = packets
    }

    /// Status symbols (§3.1.1): 0 not received, 1 small delta (1 byte), 2 large or negative (2 bytes).
    private static func symbol(_ delta: Int16?) -> UInt16 {
        guard let d = delta else { return 0 }
        return (0...255).contains(d) ? 1 : 2
    }

    static func parse(body: UnsafeRawBufferPointer) throws(RTCPError) -> RTCPTransportFeedback {
        var r = ByteReader(body)
        guard let sender = r.u32(), let media = r.u32(), let base = r.u16(), let count = r.u16(),
              let reference = r.u24(), let fbCount = r.u8() else { throw .malformedTransportFeedback }
        let total = Int(count)
        var symbols: [UInt8] = []
        symbols.reserveCapacity(total)
        while symbols.count < total {
            guard let chunk = r.u16() else { throw .malformedTransportFeedback }
            let left = total - symbols.count
            if chunk & 0x8000 == 0 {
                // Run-length chunk (§3.1.3): a 2-bit symbol repeated 13-bit times.
                let s = UInt8((chunk >> 13) & 0x3)
                guard s != 3 else { throw .malformedTransportFeedback }
                let run = min(Int(chunk & 0x1FFF), left)
                for _ in 0..<run { symbols.append(s) }
            } else if chunk & 0x4000 == 0 {
                // Status vector chunk (§3.1.4) with fourteen 1-bit symbols.
                for i in 0..<min(14, left) { symbols.append(UInt8((chunk >> UInt16(13 - i)) & 1)) }
            } else {
                // Status vector chunk with seven 2-bit symbols.
                for i in 0..<min(7, left) {
                    let s = UInt8((chunk >> UInt16(12 - 2 * i)) & 0x3)
                    guard s != 3 else { throw .malformedTransportFeedback }
                    symbols.append(s)
                }
            }
        }
        var packets: [Packet] = []
        packets.reserveCapacity(total)
        for (i, s) in symbols.enumerated() {
            let seq = base &+ UInt16(truncatingIfNeeded: i)
            switch s {
            case 1:
                guard let d = r.u8() else { throw .malformedTransportFeedback }
                packets.append(Packet(sequenceNumber: seq, receiveDelta: Int16(d)))
            case 2:
                guard let d = r.u16() else { throw .malformedTransportFeedback }
                packets.append(Packet(sequenceNumber: seq, receiveDelta: Int16(bitPattern: d)))
            default:
                packets.append(Packet(sequenceNumber: seq, receiveDelta: nil))
            }
        }
        return RTCPTransportFeedback(senderSSRC: sender, mediaSSRC: media, baseSequenceNumber: base,
                                     referenceTime: reference, feedbackPacketCount: fbCount, packets: packets)
    }

    /// Writes run-length chunks for runs of 7 or more, otherwise status vectors (1-bit when the
    /// next 14 symbols allow it). The last vector may describe symbols past the end; readers
    /// stop at the packet status count. At most 65535 packets are written.
    public func write(to out: inout [UInt8]) {
        let start = RTCPHeaderWriter.begin(count: RTCPFeedbackFormat.transportWideCC, packetType: RTCPPacketType.transportFeedback, out: &out)
        let n = min(packets.count, 65_535)
        out.appendU32(senderSSRC)
        out.appendU32(mediaSSRC)
        out.appendU16(baseSequenceNumber)
        out.appendU16(UInt16(n))
        out.appendU24(referenceTime & 0xFF_FFFF)
        out.append(feedbackPacketCount)
        var i = 0
        while i < n {
            let s = Self.symbol(packets[i].receiveDelta)
            var run = 1
            while i + run < n, run < 0x1FFF, Self.symbol(packets[i + run].receiveDelta) == s { run += 1 }
            if run >= 7 {
                out.appendU16(s << 13 | UInt16(run))
                i += run
                continue
            }
            let window = min(14, n - i)
            var fitsOneBit = true
            for k in 0..<window where Self.symbol(packets[i + k].receiveDelta) == 2 { fitsOneBit = false; break }
            if fitsOneBit {
                var chunk: UInt16 = 0x8000
                for k in 0..<window { chunk |= Self.symbol(packets[i + k].receiveDelta) << UInt16(13 - k) }
                out.appendU16(chunk)
                i += window
            } else {
                var chunk: UInt16 = 0xC000
                for k in 0..<min(7, n - i) { chunk |= Self.symbol(packets[i + k].receiveDelta) << UInt16(12 - 2 * k) }
                out.appendU16(chunk)
                i += min(7, n - i)
            }
        }
        for p in packets.prefix(n) {
            switch Self.symbol(p.receiveDelta) {
            case 1: out.append(UInt8(truncatingIfNeeded: p.receiveDelta ?? 0))
            case 2: out.appendU16(UInt16(bitPattern: p.receiveDelta ?? 0))
            default: break
            }
        }
        RTCPHeaderWriter.end(start: start, out: &out)
    }
}
