import FEC
import RTP
import SessionCore

/// One outgoing media stream (one local SSRC): packetizes frames, numbers and stamps the
/// packets, keeps the last N for NACK, answers PLI/FIR, and sends sender reports. Sans-IO,
/// and allocation-free per packet once warmed up: packets are built in a reused scratch
/// buffer, kept in a preallocated ring, and handed out in the stream's own `packet` buffer
/// (valid until the next `poll`, protected in place through `withPacket`).
///
///     try stream.sendFrame(encoded, rtpTimestamp: ts, at: now)
///     while let out = stream.poll() { ... stream.withPacket { srtp.protect(&$0) } ... }
public struct RTPSendStream: SansIOMachine, Sendable {
    public enum PayloadFormat: Sendable, Equatable {
        /// RFC 7741; `maxPayloadSize` bounds descriptor + data per packet.
        case vp8(maxPayloadSize: Int)
        /// RFC 7587: one frame per packet.
        case opus
        /// One frame per packet, sent as given.
        case opaque
    }

    public struct Config: Sendable {
        public var ssrc: UInt32
        public var payloadType: UInt8
        public var format: PayloadFormat
        public var clockRate: Int
        public var cname: String
        public var ntpClock: NTPClock
        /// `sdes:mid` (RFC 8843 §15.1) written into every packet when both are set.
        public var mid: String?
        public var midExtensionID: UInt8?
        public var initialSequenceNumber: UInt16 = 0
        public var initialPictureID: UInt16 = 0
        /// Packets kept for retransmission (rounded up to a power of two).
        public var retransmissionCapacity = 512
        public var maxPacketSize = 1500
        public var reportInterval: Duration = .seconds(1)
        /// Resends go on this RTX stream (RFC 4588 §4) instead of the media SSRC.
        public var rtx: RTX?
        /// Every packet carries a transport-wide sequence number with this id
        /// (draft-holmer-rmcat-transport-wide-cc-extensions §2), written at `transportSequenceOffset`
        /// by whoever sends it: the number is the transport's, given at the moment of sending.
        public var transportSequenceExtensionID: UInt8?
        /// Video inside RED with ULPFEC parity (RFC 2198, RFC 5109), as libwebrtc sends it
        /// once both are negotiated: every VP8 packet goes as RED, parity after each group
        /// while `fecProtection` > 0. Resends on RTX then use the rtx type for RED.
        public var fec: FEC?

        public init(ssrc: UInt32, payloadType: UInt8, format: PayloadFormat, cname: String, ntpClock: NTPClock) {
            self.ssrc = ssrc
            self.payloadType = payloadType
            self.format = format
            self.cname = cname
            self.ntpClock = ntpClock
            switch format {
            case .vp8: clockRate = 90_000
            case .opus, .opaque: clockRate = OpusPacketizer.clockRate
            }
            if case .opus = format { retransmissionCapacity = 64 }
        }
    }

    public struct FEC: Sendable, Equatable {
        public var redPayloadType: UInt8
        public var ulpfecPayloadType: UInt8
        public init(redPayloadType: UInt8, ulpfecPayloadType: UInt8) {
            self.redPayloadType = redPayloadType
            self.ulpfecPayloadType = ulpfecPayloadType
        }
    }

    /// An RTX stream paired with this one (`a=ssrc-group:FID`, `apt=`).
    public struct RTX: Sendable, Equatable {
        public var ssrc: UInt32
        public var payloadType: UInt8
        public var initialSequenceNumber: UInt16 = 0
        public init(ssrc: UInt32, payloadType: UInt8) { self.ssrc = ssrc; self.payloadType = payloadType }
    }

    public let config: Config
    public private(set) var statistics = RTPSendStatistics()
    public private(set) var nextSequenceNumber: UInt16
    /// The RTX stream's own sequence (RFC 4588 §4: independent of the media stream's).
    public private(set) var nextRTXSequenceNumber: UInt16

    private var vp8: VP8Packetizer?
    private var ring: RTPPacketRing
    /// Sequence numbers waiting for `poll`, with bit 16 set for retransmissions and the
    /// packet's length from bit 17 (a pacer needs the queue's size; packets are ≤ 32 KiB).
    private var pending: FIFOQueue<UInt32>
    /// The bytes of the RTP packets waiting for `poll` (what a pacer holds back).
    public private(set) var queuedBytes = 0
    /// Recent packets to send again as a bandwidth probe (`queueProbe`), sent by `pollProbe`.
    /// Sequence numbers of packets to repeat, or (bit 16 set) a padding packet's padding size.
    private var probes: FIFOQueue<UInt32>
    public var probeQueued: Bool { !probes.isEmpty }
    /// Whether there is anything to probe with (media has been sent).
    public var canProbe: Bool { lastSentSequence != nil }
    /// The newest original packet handed out: probes repeat what the receiver has seen.
    private var lastSentSequence: UInt16?
    /// A NACKed packet is resent only while the queue holds less than this: on a saturated
    /// link resending everything lost only feeds the loss (the caller sets it from the send
    /// rate).
    public var retransmissionQueueLimit = Int.max
    private var scratch: [UInt8] = []
    private var fecGenerator: ULPFECGenerator?
    private var parity: [UInt8] = []
    /// Parity packets per media packet while the receiver reports loss (0…0.5); 0: none.
    public var fecProtection: Double {
        get { fecGenerator?.protection ?? 0 }
        set { fecGenerator?.protection = newValue }
    }
    /// The bytes of the last `.sendRTP` or `.sendRTCP` from `poll()`, until the next `poll()`.
    public private(set) var packet: [UInt8] = []
    private var lastMedia: (rtpTimestamp: UInt32, at: Instant)?
    private var nextReportAt: Instant?
    private var reportDueAt: Instant?
    private var keyframeRequested = false
    private var lastFIRSequence: UInt8?
    /// Whether this drain already ended with `.timeout`; any input starts a new drain.
    private var timeoutReported = false

    public init(config: Config) {
        self.config = config
        nextSequenceNumber = config.initialSequenceNumber
        nextRTXSequenceNumber = config.rtx?.initialSequenceNumber ?? 0
        if case .vp8(let budget) = config.format {
            vp8 = VP8Packetizer(maxPayloadSize: budget, initialPictureID: config.initialPictureID)
        }
        precondition(config.maxPacketSize < 1 << 15, "queued lengths are kept in 15 bits")
        ring = RTPPacketRing(capacity: config.retransmissionCapacity, slotSize: config.maxPacketSize)
        pending = FIFOQueue(capacity: 2 * ring.capacity)
        probes = FIFOQueue(capacity: Self.maxProbePackets)
        scratch.reserveCapacity(config.maxPacketSize)
        if config.fec != nil, vp8 != nil {
            fecGenerator = ULPFECGenerator(maxPacketSize: config.maxPacketSize)
            parity.reserveCapacity(config.maxPacketSize)
        }
        // Room for what SRTP appends in place (auth tag, SRTCP index).
        packet.reserveCapacity(config.maxPacketSize + Self.protectionHeadroom)
    }

    /// The most SRTP/SRTCP adds to a packet (16-byte tag + 4-byte SRTCP index), and spare.
    public static let protectionHeadroom = 64

    /// Lends the last polled packet to `body`, which may rewrite it in place (SRTP protects it
    /// there: no copy, no allocation).
    public mutating func withPacket<R>(_ body: (inout [UInt8]) throws -> R) rethrows -> R {
        try body(&packet)
    }

    // MARK: Input

    /// Packetizes one encoded frame and queues its packets for `poll()`. `marker` is used
    /// for single-packet formats (Opus: the first packet after DTX); VP8 marks the last packet.
    /// `now` should be the capture time: it maps RTP time to wall time in sender reports.
    /// `payloadType` overrides the configured one for a single-packet frame (audio as RED).
    public mutating func sendFrame(_ frame: UnsafeRawBufferPointer, rtpTimestamp: UInt32, marker: Bool = false,
                                   payloadType: UInt8? = nil, at now: Instant) throws(RTPSendError) {
        timeoutReported = false
        guard !frame.isEmpty else { throw .emptyFrame }
        let headerSize = try headerLength()
        if var packetizer = vp8 {
            var plan: VP8FramePackets
            do throws(VP8Error) {
                plan = try packetizer.beginFrame(byteCount: frame.count)
            } catch {
                throw .payloadBudgetTooSmall(packetizer.maxPayloadSize)
            }
            guard plan.packetCount <= ring.capacity else {
                throw .frameTooLarge(packets: plan.packetCount, capacity: ring.capacity)
            }
            guard headerSize + packetizer.maxPayloadSize <= config.maxPacketSize else {
                throw .packetTooLarge(headerSize + packetizer.maxPayloadSize)
            }
            vp8 = packetizer
            let red = config.fec
            guard headerSize + packetizer.maxPayloadSize + (red == nil ? 0 : 1) <= config.maxPacketSize else {
                throw .packetTooLarge(headerSize + packetizer.maxPayloadSize + 1)
            }
            while true {
                scratch.removeAll(keepingCapacity: true)
                try writeHeader(marker: false, rtpTimestamp: rtpTimestamp, payloadType: red?.redPayloadType)
                let payloadStart = scratch.count
                if red != nil { scratch.append(config.payloadType) }
                guard let last = plan.writeNext(from: frame, to: &scratch) else { break }
                if last { scratch[1] |= 0x80 }
                if red != nil {
                    protect(headerLength: payloadStart, endsFrame: last)
                }
                queueScratch(payloadLength: scratch.count - payloadStart, at: now)
                if last { break }
            }
            if let red { try queueParity(red, rtpTimestamp: rtpTimestamp, at: now) }
        } else {
            guard headerSize + frame.count <= config.maxPacketSize else {
                throw .packetTooLarge(headerSize + frame.count)
            }
            scratch.removeAll(keepingCapacity: true)
            try writeHeader(marker: marker, rtpTimestamp: rtpTimestamp, payloadType: payloadType)
            scratch.rtpAppend(frame)
            queueScratch(payloadLength: frame.count, at: now)
        }
        statistics.framesSent += 1
        lastMedia = (rtpTimestamp, now)
        if nextReportAt == nil { nextReportAt = now }
    }

    /// The packet in `scratch` (RED, one block) to the parity generator, as the receiver
    /// will see it: its header with VP8's payload type, and what follows RED's header.
    private mutating func protect(headerLength: Int, endsFrame: Bool) {
        guard fecGenerator != nil else { return }
        let seq = nextSequenceNumber
        scratch.withUnsafeBytes { raw in
            _ = fecGenerator?.add(header: UnsafeRawBufferPointer(rebasing: raw[0..<headerLength]), payloadType: config.payloadType,
                                  payload: UnsafeRawBufferPointer(rebasing: raw[(headerLength + 1)...]),
                                  sequenceNumber: seq, endsFrame: endsFrame)
        }
    }

    /// The parity the last frame closed, each as a RED packet after it (same timestamp, no
    /// marker), queued like media but never resent.
    private mutating func queueParity(_ red: FEC, rtpTimestamp: UInt32, at now: Instant) throws(RTPSendError) {
        while fecGenerator?.nextParity(into: &parity) == true {
            scratch.removeAll(keepingCapacity: true)
            try writeHeader(marker: false, rtpTimestamp: rtpTimestamp, payloadType: red.redPayloadType)
            let payloadStart = scratch.count
            guard payloadStart + 1 + parity.count <= config.maxPacketSize else { continue }
            scratch.append(red.ulpfecPayloadType)
            parity.withUnsafeBytes { scratch.rtpAppend($0) }
            statistics.fecPacketsSent += 1
            statistics.fecBytesSent += Int64(scratch.count)
            queueScratch(payloadLength: scratch.count - payloadStart, at: now, resendable: false)
        }
    }

    public mutating func sendFrame(_ frame: [UInt8], rtpTimestamp: UInt32, marker: Bool = false,
                                   payloadType: UInt8? = nil, at now: Instant) throws(RTPSendError) {
        let result: Result<Void, RTPSendError> = frame.withUnsafeBytes { raw in
            do throws(RTPSendError) {
                try sendFrame(raw, rtpTimestamp: rtpTimestamp, marker: marker, payloadType: payloadType, at: now)
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        try result.get()
    }

    /// RTCP about this stream: NACK (resend from the ring), PLI/FIR (keyframe wanted), and
    /// report blocks in SR/RR (round-trip time and the receiver's loss figures).
    public mutating func handleRTCP(_ packet: RTCPPacket, at now: Instant) {
        timeoutReported = false
        switch packet {
        case .nack(let n) where n.mediaSSRC == config.ssrc:
            statistics.nacksReceived += 1
            // Do not resend a packet twice within about half an RTT: the second NACK is
            // probably for the copy already on its way.
            let spacing = max(Duration.milliseconds(5), (statistics.roundTripTime ?? .zero) / 2)
            // A loop, not `forEachLost`'s closure: capturing `self` there allocated per NACK.
            for e in n.entries {
                resend(e.packetID, spacing: spacing, at: now)
                for bit in 0..<16 where e.lostBitmask & (1 << UInt16(bit)) != 0 {
                    resend(e.packetID &+ UInt16(bit + 1), spacing: spacing, at: now)
                }
            }
        case .pictureLossIndication(let p) where p.mediaSSRC == config.ssrc:
            statistics.plisReceived += 1
            keyframeRequested = true
        case .fullIntraRequest(let f):
            // RFC 5104 §4.3.1.2: a repeated sequence number is a retransmission of the same request.
            for e in f.entries where e.ssrc == config.ssrc && e.sequenceNumber != lastFIRSequence {
                lastFIRSequence = e.sequenceNumber
                statistics.firsReceived += 1
                keyframeRequested = true
            }
        case .senderReport(let sr):
            absorb(sr.reports, at: now)
        case .receiverReport(let rr):
            absorb(rr.reports, at: now)
        default:
            break
        }
    }

    /// Queues a NACKed packet again, unless it is gone from the ring, was resent within
    /// `spacing`, or the queue is over its retransmission budget.
    private mutating func resend(_ seq: UInt16, spacing: Duration, at now: Instant) {
        guard ring.isResendable(seq) else {
            statistics.retransmissionMisses += 1
            return
        }
        if let last = ring.lastSent(seq), now - last < spacing { return }
        let length = ring.length(seq) ?? 0
        guard queuedBytes + length <= retransmissionQueueLimit else {
            statistics.retransmissionsSkipped += 1
            return
        }
        ring.markSent(seq, at: now)
        queuedBytes += length
        pending.append(UInt32(seq) | 0x1_0000 | UInt32(length) << 17)
    }

    public mutating func handleTimeout(at now: Instant) {
        timeoutReported = false
        if let due = nextReportAt, now >= due {
            reportDueAt = now
            nextReportAt = now + config.reportInterval
        }
    }

    // MARK: Output

    /// The next packet or event (the drain contract, `SansIOMachine`). RTP and RTCP bytes are
    /// in `packet` until the next call. After the queue comes `.timeout(t)` once (call
    /// `handleTimeout(at:)` at `t`; `Instant.never` before any media), then nil until the next
    /// input.
    public mutating func poll() -> RTPSendStreamOutput? {
        while let entry = pending.popFirst() {
            let seq = UInt16(truncatingIfNeeded: entry)
            let retransmission = entry & 0x1_0000 != 0
            queuedBytes -= Int(entry >> 17)
            // A packet overwritten before it was polled is skipped.
            guard ring.copy(seq, into: &packet) else { continue }
            if retransmission, let rtx = config.rtx { rewriteAsRTX(rtx) }
            if !retransmission, ring.isResendable(seq) { lastSentSequence = seq }
            statistics.bytesSent += Int64(packet.count)
            if retransmission {
                statistics.retransmittedPackets += 1
                statistics.retransmittedBytes += Int64(packet.count)
            }
            return .sendRTP(sequenceNumber: seq, retransmission: retransmission)
        }
        if let at = reportDueAt {
            reportDueAt = nil
            // Moved out and back (no copy, no allocation): writing the report mutates self.
            var out: [UInt8] = []
            swap(&out, &packet)
            out.removeAll(keepingCapacity: true)
            writeSenderReport(at: at, into: &out)
            swap(&out, &packet)
            return .sendRTCP
        }
        if keyframeRequested {
            keyframeRequested = false
            return .keyframeRequested
        }
        guard !timeoutReported else { return nil }
        timeoutReported = true
        return .timeout(nextDeadline ?? .never)
    }

    static let maxProbePackets = 64
    /// The most padding one RTP packet carries (its last byte counts it, RFC 3550 §5.1).
    public static let maxPadding = 255

    /// Queues a bandwidth probe of at least `bytes` in at least `packets` packets. With an RTX
    /// stream and small packets wanted (a low rate's 15 ms), padding-only RTX packets of the
    /// size needed, as libwebrtc sends; otherwise the most recent packets already sent, newest
    /// first (libwebrtc pads with old packets on RTX: the receiver may even use them).
    /// Returns the packets and bytes queued; none before any media.
    public mutating func queueProbe(bytes: Int, packets: Int) -> (packets: Int, bytes: Int) {
        guard let newest = lastSentSequence, packets > 0 else { return (0, 0) }
        let header = (try? headerLength()) ?? RTPPacketView.fixedHeaderLength
        if config.rtx != nil, bytes / packets - header <= Self.maxPadding {
            let padding = max(1, bytes / packets - header)
            for _ in 0..<packets { probes.append(0x1_0000 | UInt32(padding)) }
            return (packets, packets * (header + padding))
        }
        var queued = 0, count = 0
        var seq = newest
        while queued < bytes || count < packets, count < Self.maxProbePackets {
            if ring.length(seq) != nil, !ring.isResendable(seq) {
                seq &-= 1  // parity: probes repeat media
            } else if let length = ring.length(seq) {
                probes.append(UInt32(seq))
                queued += length + (config.rtx == nil ? 0 : 2)
                count += 1
                seq &-= 1
            } else if seq == newest {
                break
            } else {
                seq = newest  // fewer packets held than the probe needs: round again
            }
        }
        return (count, queued)
    }

    /// The next probe packet, into `packet` (on the RTX stream when there is one); nil when
    /// none is queued.
    public mutating func pollProbe() -> RTPSendStreamOutput? {
        while let entry = probes.popFirst() {
            let seq = UInt16(truncatingIfNeeded: entry)
            if entry & 0x1_0000 != 0, let rtx = config.rtx {
                writePadding(Int(entry & 0xFF), rtx: rtx)
            } else {
                guard ring.copy(seq, into: &packet) else { continue }
                if let rtx = config.rtx { rewriteAsRTX(rtx) }
            }
            statistics.bytesSent += Int64(packet.count)
            statistics.probePacketsSent += 1
            return .sendRTP(sequenceNumber: seq, retransmission: true)
        }
        return nil
    }

    /// A padding-only packet on the RTX stream (RFC 3550 §5.1 P bit; Chromium's probes look
    /// so): the media header's extensions, the last frame's timestamp, `padding` bytes.
    private mutating func writePadding(_ padding: Int, rtx: RTX) {
        scratch.removeAll(keepingCapacity: true)
        try? writeHeader(marker: false, rtpTimestamp: lastMedia?.rtpTimestamp ?? 0)
        scratch[0] |= 0x20
        for _ in 1..<padding { scratch.append(0) }
        scratch.append(UInt8(padding))
        packet.removeAll(keepingCapacity: true)
        scratch.withUnsafeBytes { packet.rtpAppend($0) }
        stampRTXHeader(rtx)
    }

    /// The packet in `packet` goes on the RTX stream: its payload type (marker kept), the
    /// RTX sequence number (then moved on) and SSRC.
    private mutating func stampRTXHeader(_ rtx: RTX) {
        packet[1] = packet[1] & 0x80 | rtx.payloadType
        packet[2] = UInt8(nextRTXSequenceNumber >> 8)
        packet[3] = UInt8(truncatingIfNeeded: nextRTXSequenceNumber)
        for i in 0..<4 { packet[8 + i] = UInt8(truncatingIfNeeded: rtx.ssrc >> (24 - 8 * i)) }
        nextRTXSequenceNumber &+= 1
    }

    /// When `handleTimeout(at:)` is next needed (the next sender report); nil before any media.
    public var nextDeadline: Instant? { nextReportAt }

    /// Appends SR (with `reportBlocks`, e.g. from our receive streams) + SDES(CNAME) to `out`.
    /// The SR's RTP time is the last frame's timestamp moved on by the time since it was sent.
    public mutating func writeSenderReport(at now: Instant, reportBlocks: [RTCPReportBlock] = [], into out: inout [UInt8]) {
        var rtp: UInt32 = 0
        if let m = lastMedia {
            rtp = m.rtpTimestamp &+ UInt32(truncatingIfNeeded: RTPTimestamp.ticks(in: now - m.at, clockRate: config.clockRate))
        }
        let sr = RTCPSenderReport(ssrc: config.ssrc, ntpTime: config.ntpClock.ntp(at: now), rtpTimestamp: rtp,
                                  packetCount: UInt32(truncatingIfNeeded: statistics.packetsSent),
                                  octetCount: UInt32(truncatingIfNeeded: statistics.payloadBytesSent),
                                  reports: reportBlocks)
        sr.write(to: &out)
        RTCPSourceDescription(ssrc: config.ssrc, cname: config.cname).write(to: &out)
        statistics.senderReportsSent += 1
    }

    // MARK: Internals

    private var writesMid: Bool { config.mid != nil && config.midExtensionID != nil }

    private func headerLength() throws(RTPSendError) -> Int {
        let element = useOneByteExtension ? 1 : 2
        var elements = 0
        if writesMid, let mid = config.mid { elements += element + mid.utf8.count }
        if config.transportSequenceExtensionID != nil { elements += element + 2 }
        guard elements > 0 else { return RTPPacketView.fixedHeaderLength }
        return RTPPacketView.fixedHeaderLength + 4 + (elements + 3) / 4 * 4
    }

    /// Where a packet's transport-wide sequence number goes (big-endian, 2 bytes): it is the
    /// first element of the extension block. Nil without one.
    public var transportSequenceOffset: Int? {
        guard config.transportSequenceExtensionID != nil else { return nil }
        return RTPPacketView.fixedHeaderLength + 4 + (useOneByteExtension ? 1 : 2)
    }

    private var useOneByteExtension: Bool {
        if let id = config.transportSequenceExtensionID, !(1...14).contains(id) { return false }
        guard writesMid, let id = config.midExtensionID, let mid = config.mid else { return true }
        return (1...14).contains(id) && (1...16).contains(mid.utf8.count)
    }

    private mutating func writeHeader(marker: Bool, rtpTimestamp: UInt32, payloadType: UInt8? = nil) throws(RTPSendError) {
        RTPHeader(marker: marker, payloadType: payloadType ?? config.payloadType, sequenceNumber: nextSequenceNumber,
                  timestamp: rtpTimestamp, ssrc: config.ssrc).write(to: &scratch)
        let transport = config.transportSequenceExtensionID
        guard writesMid || transport != nil else { return }
        var w = RTPHeaderExtensionWriter(form: useOneByteExtension ? .oneByte : .twoByte, out: &scratch)
        do throws(RTPError) {
            // A placeholder, first (see `transportSequenceOffset`).
            if let transport { try w.append(id: transport, u16: 0, to: &scratch) }
            if writesMid, let id = config.midExtensionID, let mid = config.mid { try w.append(id: id, string: mid, to: &scratch) }
        } catch {
            throw .headerExtension(error)
        }
        w.finish(&scratch)
    }

    private mutating func queueScratch(payloadLength: Int, at now: Instant, resendable: Bool = true) {
        let seq = nextSequenceNumber
        ring.store(seq, scratch, sentAt: now, resendable: resendable)
        queuedBytes += scratch.count
        pending.append(UInt32(seq) | UInt32(scratch.count) << 17)
        nextSequenceNumber &+= 1
        statistics.packetsSent += 1
        statistics.payloadBytesSent += Int64(payloadLength)
    }

    /// The original packet in `packet` made its RTX copy in place: RTX payload type and SSRC,
    /// the RTX sequence number, the OSN before the payload; marker, timestamp and header
    /// extensions kept (the receiver's estimator and demuxer read them). The buffer has the
    /// headroom, so the two inserted bytes move the payload without allocating.
    private mutating func rewriteAsRTX(_ rtx: RTX) {
        // Every packet of the stream has the header its config gives (`writeHeader`).
        guard let headerLength = try? headerLength(), headerLength <= packet.count else { return }
        let osn = (packet[2], packet[3])
        stampRTXHeader(rtx)
        // Two bytes on the end, the payload moved up over them (`insert` allocated in debug).
        packet.append(0)
        packet.append(0)
        packet.withUnsafeMutableBytes { raw in
            let base = raw.baseAddress!
            (base + headerLength + 2).copyMemory(from: base + headerLength, byteCount: raw.count - 2 - headerLength)
            raw[headerLength] = osn.0
            raw[headerLength + 1] = osn.1
        }
    }

    private mutating func absorb(_ blocks: [RTCPReportBlock], at now: Instant) {
        for b in blocks where b.ssrc == config.ssrc {
            if let rtt = b.roundTripTime(arrival: config.ntpClock.ntp(at: now)) { statistics.roundTripTime = rtt }
            statistics.remoteFractionLost = b.fractionLost
            statistics.remoteCumulativeLost = b.cumulativeLost
            statistics.remoteJitter = b.jitter
        }
    }

    /// Capacity of the internal buffers, for tests that check nothing grows per packet.
    var bufferCapacities: (packet: Int, scratch: Int, ring: Int) { (packet.capacity, scratch.capacity, ring.storageCapacity) }
}
