import FEC
import RTP
import SessionCore

/// One incoming media stream (one remote SSRC): statistics, NACK, keyframe requests, the
/// jitter buffer and receiver reports, as a sans-IO state machine (Pion's interceptor chain,
/// run inline, str0m-style).
///
///     stream.handle(packet: bytes, at: now)       // each RTP packet for this SSRC
///     stream.handleRTCP(packet, at: now)          // SR/BYE about this SSRC
///     stream.handleTimeout(at: now)               // when the last `.timeout` is due
///     while let out = stream.poll() { ... }       // queued outputs, then one `.timeout`, then nil
public struct RTPReceiveStream: SansIOMachine, Sendable {
    public enum Kind: Sendable, Equatable {
        /// VP8 (RFC 7741): frames are reassembled, NACK and keyframe requests apply.
        case video
        /// Opus (RFC 7587): one packet per frame, reordered, gaps reported.
        case audio
    }

    public struct Config: Sendable {
        public var kind: Kind
        public var remoteSSRC: UInt32
        /// Our SSRC as the sender of RR and feedback packets.
        public var localSSRC: UInt32
        public var cname: String
        public var clockRate: Int
        /// When set, packets with another payload type are ignored.
        public var payloadType: UInt8?
        /// The RED payload type (RFC 2198) carrying `payloadType`. Audio: its packets are
        /// split; a redundant frame fills the place of the packet it repeats if that is missing.
        /// Video: it carries either a VP8 packet or ULPFEC parity (`ulpfecPayloadType`).
        public var redPayloadType: UInt8?
        /// Video: ULPFEC (RFC 5109) inside RED; a packet it covers that is lost is rebuilt
        /// from the parity and the others, without waiting a round trip for a retransmission.
        public var ulpfecPayloadType: UInt8?
        /// NACK settings; nil disables NACK (the default for audio).
        public var nack: RTPNackConfig?
        /// Video: how long an incomplete frame is waited for. Audio: how long packets after a
        /// gap are held for the missing ones.
        public var jitterDelay: Duration
        public var keyframeRequestMethod: RTPKeyframeRequestMethod = .pli
        public var minKeyframeRequestInterval: Duration = .milliseconds(500)
        public var reportInterval: Duration = .seconds(1)
        /// RFC 5506: feedback goes out alone; otherwise it rides in RR + SDES + feedback.
        public var reducedSizeRTCP = true
        /// Packets the jitter buffer holds (rounded up to a power of two).
        public var bufferCapacity: Int
        public var maxPayloadSize = 1500
        /// Used for NACK spacing until the caller supplies a measurement.
        public var initialRoundTripTime: Duration = .milliseconds(100)

        public init(kind: Kind, remoteSSRC: UInt32, localSSRC: UInt32, cname: String) {
            self.kind = kind
            self.remoteSSRC = remoteSSRC
            self.localSSRC = localSSRC
            self.cname = cname
            switch kind {
            case .video:
                clockRate = 90_000
                nack = RTPNackConfig()
                jitterDelay = .milliseconds(150)
                bufferCapacity = 512
            case .audio:
                clockRate = OpusPacketizer.clockRate
                nack = nil
                jitterDelay = .milliseconds(40)
                bufferCapacity = 128
            }
        }
    }

    public let config: Config
    public private(set) var statistics = RTPReceiveStatistics()
    public private(set) var roundTripTime: Duration

    private var unwrapper = RTPSequenceUnwrapper()
    private var reception: RTPReceptionCounter
    private var nack: RTPNackGenerator?
    private var video: RTPVideoJitterBuffer?
    /// Complete video frames held until they are due (`RTPPlayoutDelay`), oldest first.
    private var playout: RTPPlayoutDelay?
    private var heldFrames = FIFOQueue<(frame: RTPReceivedFrame, due: Instant, firstArrival: Instant)>(capacity: maxHeldFrames)
    static let maxHeldFrames = 32
    private var audio: RTPAudioJitterBuffer?
    private var keyframes: RTPKeyframeRequester
    private var firSequence: UInt8 = 0
    private var lastSenderReport: (compact: UInt32, arrival: Instant)?
    private var nextReportAt: Instant?
    private var outputs = OutputQueue<RTPReceiveStreamOutput>(capacity: 64)
    private var nackScratch: [UInt16] = []
    private var framePool: [[UInt8]] = []
    private var redBlocks: [RTPRedundancy.Block] = []
    private var fec: ULPFECDecoder?
    private var recovered: [UInt8] = []
    private var startBackfillBudget = 64

    public init(config: Config) {
        self.config = config
        roundTripTime = config.initialRoundTripTime
        reception = RTPReceptionCounter(clockRate: config.clockRate)
        nack = config.nack.map(RTPNackGenerator.init(config:))
        keyframes = RTPKeyframeRequester(minInterval: config.minKeyframeRequestInterval)
        switch config.kind {
        case .video:
            video = RTPVideoJitterBuffer(maxDelay: config.jitterDelay, capacity: config.bufferCapacity,
                                         maxPayloadSize: config.maxPayloadSize)
            // Only repairs make frames late enough to hold the others for.
            if config.nack != nil { playout = RTPPlayoutDelay(clockRate: config.clockRate) }
        case .audio:
            audio = RTPAudioJitterBuffer(delay: config.jitterDelay, capacity: config.bufferCapacity,
                                         maxPayloadSize: config.maxPayloadSize)
        }
        nackScratch.reserveCapacity(config.nack?.maxMissing ?? 0)
        if config.kind == .video, config.redPayloadType != nil, config.ulpfecPayloadType != nil {
            fec = ULPFECDecoder(maxPacketSize: config.maxPayloadSize + 64)
            recovered.reserveCapacity(config.maxPayloadSize + 64)
        }
        // Until the RTT is measured the waits follow the assumed one: with the base give-up
        // alone, NACKs went every 50 ms and stopped at 150 ms, before a 100 ms path's second
        // repair could come (a frame given up, a keyframe asked for).
        setRoundTripTime(config.initialRoundTripTime)
    }

    /// The RTT measured elsewhere (by the send stream from RR blocks), for NACK spacing.
    /// NACK spacing, the wait for retransmissions and the NACK give-up all follow the RTT.
    public mutating func setRoundTripTime(_ rtt: Duration) {
        roundTripTime = rtt
        guard video != nil else { return }
        video?.setRoundTripTime(rtt)
        playout?.setRoundTripTime(rtt)
        if let wait = video?.retransmissionWait, let base = nack?.config.giveUpAfter { nack?.giveUpAfter = max(base, wait) }
    }

    /// Gives a frame buffer back once the decoder is done with it, so the next frame reuses it.
    public mutating func recycle(_ buffer: consuming [UInt8]) {
        guard framePool.count < 4 else { return }
        framePool.append(buffer)
    }

    // MARK: Input

    public mutating func handle(packet bytes: UnsafeRawBufferPointer, at now: Instant) throws(RTPError) {
        let view = try RTPPacketView.parse(bytes)
        handle(view, in: bytes, at: now)
    }

    public mutating func handle(packet bytes: [UInt8], at now: Instant) throws(RTPError) {
        let result: Result<Void, RTPError> = bytes.withUnsafeBytes { raw in
            do throws(RTPError) { try handle(packet: raw, at: now); return .success(()) } catch { return .failure(error) }
        }
        try result.get()
    }

    /// A packet restored from the sender's RTX stream (`RTPRetransmission.restore`). Taken
    /// only while it is still missing: Chromium also probes by sending old packets again on
    /// RTX, and counting those as received would hide the loss from its own estimator (they
    /// are counted as padding).
    public mutating func handleRepair(_ packet: RTPPacketView, in bytes: UnsafeRawBufferPointer, at now: Instant) {
        let seq = unwrapper.peek(packet.sequenceNumber)
        guard nack?.isMissing(seq) == true else {
            statistics.paddingPacketsReceived += 1
            return
        }
        statistics.packetsRepairedByRTX += 1
        accept(packet, in: bytes, origin: .retransmission, at: now)
    }

    /// One parsed RTP packet; `bytes` is the buffer it was parsed from.
    public mutating func handle(_ packet: RTPPacketView, in bytes: UnsafeRawBufferPointer, at now: Instant) {
        accept(packet, in: bytes, origin: .network, at: now)
    }

    /// How a packet came: as sent, restored from RTX, or rebuilt from FEC parity. Only what
    /// came as sent counts as received in the reports (the sender's loss figure stays the
    /// link's) and goes to the FEC decoder (a restored header differs from the sent one).
    private enum Origin { case network, retransmission, parity }

    private mutating func accept(_ packet: RTPPacketView, in bytes: UnsafeRawBufferPointer, origin: Origin, at now: Instant) {
        outputs.inputHandled()
        guard packet.ssrc == config.remoteSSRC,
              config.payloadType.map({ $0 == packet.payloadType }) ?? true || packet.payloadType == config.redPayloadType else {
            statistics.ignoredPackets += 1
            return
        }
        let seq = unwrapper.unwrap(packet.sequenceNumber)
        if origin != .parity {
            reception.onPacket(seq, timestamp: packet.timestamp, arrival: now)
            statistics.packetsReceived += 1
            if packet.payloadLength == 0 { statistics.paddingPacketsReceived += 1 }
            statistics.payloadBytesReceived += Int64(packet.payloadLength)
            statistics.highestSequence = reception.highest
        }
        if nextReportAt == nil { nextReportAt = now + config.reportInterval }

        if nack != nil {
            switch nack?.onPacket(seq, at: now) {
            case .recovered(nacked: true)? where origin != .parity:
                statistics.packetsRecoveredByNack += 1
                playout?.repaired(at: now)
            case .tooManyMissing?: requestKeyframe(at: now)
            default: break
            }
        }

        let payload = packet.payload(in: bytes)
        if video != nil {
            if packet.payloadType == config.redPayloadType, config.redPayloadType != config.payloadType {
                insertRedVideo(packet, in: bytes, seq: seq, origin: origin, at: now)
            } else {
                insertVideo(seq, packet, payload: payload, at: now)
            }
            // A rebuilt packet's own parity search is the loop that rebuilt it.
            if fec != nil, origin != .parity { recoverFromParity(at: now) }
        } else if audio != nil {
            if packet.payloadType == config.redPayloadType, !payload.isEmpty {
                insertRedundant(seq, timestamp: packet.timestamp, marker: packet.marker, payload: payload, at: now)
            } else {
                insertAudio(seq, timestamp: packet.timestamp, marker: packet.marker, payload: payload, at: now)
            }
        }
        drain(at: now)
    }

    private mutating func insertVideo(_ seq: Int64, _ packet: RTPPacketView, payload: UnsafeRawBufferPointer,
                                      parity: Bool = false, at now: Instant) {
        do throws(VP8Error) {
            let r = try video?.insert(extendedSequence: seq, timestamp: packet.timestamp, marker: packet.marker,
                                      payload: payload, parity: parity, at: now)
            count(r.map(Self.map) ?? .inserted)
            // A keyframe is on its way: the requester holds further asks.
            if video?.lastInsertStartedKeyframe == true { keyframes.keyframeStarted(at: now) }
            try backfillStart(seq, payload: payload, at: now)
        } catch {
            statistics.malformedPackets += 1
        }
    }

    /// Video inside RED, as libwebrtc sends it once ULPFEC is negotiated: one block, a VP8
    /// packet's payload or parity. Parity holds its sequence number in the jitter buffer as a
    /// placeholder (no frame waits for it) and goes to the decoder with the media it protects.
    private mutating func insertRedVideo(_ packet: RTPPacketView, in bytes: UnsafeRawBufferPointer, seq: Int64,
                                         origin: Origin, at now: Instant) {
        let payload = packet.payload(in: bytes)
        guard !payload.isEmpty else {
            insertVideo(seq, packet, payload: payload, at: now)
            return
        }
        do throws(RTPRedundancyError) {
            try RTPRedundancy.parse(payload, into: &redBlocks)
        } catch {
            statistics.malformedPackets += 1
            return
        }
        guard let primary = redBlocks.last else { return }
        let block = UnsafeRawBufferPointer(rebasing: payload[primary.range])
        if primary.payloadType == config.ulpfecPayloadType {
            statistics.fecPacketsReceived += 1
            insertVideo(seq, packet, payload: UnsafeRawBufferPointer(start: nil, count: 0), parity: true, at: now)
            guard origin == .network, redBlocks.count == 1 else { return }
            do throws(ULPFECError) {
                try fec?.insertParity(sequence: seq, ssrc: packet.ssrc, payload: block)
            } catch {
                statistics.malformedPackets += 1
            }
            return
        }
        guard config.payloadType.map({ $0 == primary.payloadType }) ?? true else {
            statistics.ignoredPackets += 1
            return
        }
        insertVideo(seq, packet, payload: block, at: now)
        // As protected: the header as received, then everything after the RED header.
        if origin == .network, redBlocks.count == 1 {
            let start = packet.payloadRange.lowerBound + primary.range.lowerBound
            fec?.insertMedia(sequence: seq, header: UnsafeRawBufferPointer(rebasing: bytes[0..<packet.headerLength]),
                             payloadType: primary.payloadType,
                             body: UnsafeRawBufferPointer(rebasing: bytes[start..<packet.packetLength]))
        }
    }

    /// Packets the parity now rebuilds, each taken like a received one where it is still
    /// missing (a retransmission may have come first).
    private mutating func recoverFromParity(at now: Instant) {
        var buffer: [UInt8] = []
        swap(&buffer, &recovered)
        defer { swap(&buffer, &recovered) }
        while let seq = fec?.recover(into: &buffer) {
            let wanted = nack?.isMissing(seq) ?? (video?.nextSequence.map { seq >= $0 } ?? true)
            guard wanted else { continue }
            buffer.withUnsafeBytes { raw in
                guard let view = try? RTPPacketView.parse(raw) else {
                    statistics.malformedPackets += 1
                    return
                }
                statistics.packetsRecoveredByFEC += 1
                accept(view, in: raw, origin: .parity, at: now)
            }
        }
        if let s = fec?.statistics { statistics.fecPacketsDiscarded = Int64(s.parityPacketsDiscarded) }
    }

    private mutating func insertAudio(_ seq: Int64, timestamp: UInt32, marker: Bool, payload: UnsafeRawBufferPointer,
                                      at now: Instant) {
        switch audio?.insert(extendedSequence: seq, timestamp: timestamp, marker: marker, payload: payload, at: now) {
        case .duplicate?: count(.duplicate)
        case .late?: count(.late)
        case .tooLarge?: statistics.malformedPackets += 1
        default: break
        }
    }

    /// RFC 2198: the primary frame as the packet's own; each redundant one (oldest first, the
    /// packets just before this one, as WebRTC sends them) only where it is still missing and
    /// not yet given up. Their copies of frames that arrived are the normal case, not duplicates.
    private mutating func insertRedundant(_ seq: Int64, timestamp: UInt32, marker: Bool, payload: UnsafeRawBufferPointer,
                                          at now: Instant) {
        statistics.redPacketsReceived += 1
        do throws(RTPRedundancyError) {
            try RTPRedundancy.parse(payload, into: &redBlocks)
        } catch {
            statistics.malformedPackets += 1
            return
        }
        guard let primary = redBlocks.last, config.payloadType.map({ $0 == primary.payloadType }) ?? true else {
            statistics.ignoredPackets += 1
            return
        }
        insertAudio(seq, timestamp: timestamp, marker: marker,
                    payload: UnsafeRawBufferPointer(rebasing: payload[primary.range]), at: now)
        let redundant = redBlocks.count - 1
        for (k, block) in redBlocks.dropLast().enumerated() where !block.range.isEmpty && block.payloadType == primary.payloadType {
            let r = audio?.insert(extendedSequence: seq - Int64(redundant - k), timestamp: timestamp &- block.timestampOffset,
                                  marker: false, payload: UnsafeRawBufferPointer(rebasing: payload[block.range]), at: now)
            if r == .inserted { statistics.packetsRecoveredByRED += 1 }
        }
    }

    /// Before the first frame, a packet that does not start a frame means the packets before
    /// it (back to the frame's start) are missing, and no gap shows it: the first packet of
    /// the stream was lost. NACK the one before, walking back one packet per arrival.
    private mutating func backfillStart(_ seq: Int64, payload: UnsafeRawBufferPointer, at now: Instant) throws(VP8Error) {
        guard nack != nil, !payload.isEmpty, startBackfillBudget > 0, video?.hasStarted == false,
              video?.nextSequence == seq else { return }
        guard !(try VP8PayloadDescriptor.parse(payload)).isFrameStart else { return }
        startBackfillBudget -= 1
        nack?.addMissing(seq - 1, at: now)
    }

    private enum Insertion { case inserted, duplicate, late }

    private static func map(_ r: VP8InsertResult) -> Insertion {
        switch r {
        case .duplicate: return .duplicate
        case .late: return .late
        case .inserted, .overflowed: return .inserted
        }
    }

    private mutating func count(_ r: Insertion) {
        switch r {
        case .duplicate: statistics.duplicatePackets += 1
        case .late: statistics.latePackets += 1
        case .inserted: break
        }
    }

    /// RTCP about the remote source: an SR (for LSR/DLSR in our reports) or a BYE.
    public mutating func handleRTCP(_ packet: RTCPPacket, at now: Instant) {
        outputs.inputHandled()
        switch packet {
        case .senderReport(let sr) where sr.ssrc == config.remoteSSRC:
            lastSenderReport = (sr.ntpTime.compact, now)
            statistics.remotePacketsSent = sr.packetCount
            statistics.remoteOctetsSent = sr.octetCount
        case .bye(let bye) where bye.ssrcs.contains(config.remoteSSRC):
            statistics.byeReceived = true
        default:
            break
        }
    }

    public mutating func handleTimeout(at now: Instant) {
        outputs.inputHandled()
        if nack != nil {
            nackScratch.removeAll(keepingCapacity: true)
            let gaveUp = nack?.collectDue(at: now, roundTripTime: roundTripTime, into: &nackScratch) ?? 0
            if !nackScratch.isEmpty {
                statistics.nackPacketsSent += 1
                statistics.nackedSequenceNumbers += Int64(nackScratch.count)
                let fb = RTCPNack(senderSSRC: config.localSSRC, mediaSSRC: config.remoteSSRC, lost: nackScratch)
                enqueueFeedback(.nack(fb), at: now)
            }
            // No keyframe request here: the jitter buffer gives a frame up when a packet it
            // needs stayed missing as long (and then asks), while a packet nothing needs (the
            // sender's padding, never resent) must not cost a keyframe.
            if gaveUp > 0 { statistics.nackGiveUps += Int64(gaveUp) }
        }
        drain(at: now)
        if keyframes.handleTimeout(at: now) { sendKeyframeRequest(at: now) }
        if let due = nextReportAt, now >= due {
            enqueueReport(at: now)
            nextReportAt = now + config.reportInterval
        }
    }

    // MARK: Output

    /// The next thing to do: the queued RTCP packets and frames, then `.timeout(t)` once (call
    /// `handleTimeout(at:)` at `t`), then nil until the next input. So `while let` loops end
    /// whether or not they stop at `.timeout`; `nextDeadline` gives `t` at any time.
    public mutating func poll() -> RTPReceiveStreamOutput? {
        if let o = outputs.next() { return o }
        return outputs.owesTimeout() ? .timeout(nextDeadline ?? .never) : nil
    }

    public var nextDeadline: Instant? {
        var d = nextReportAt
        func earliest(_ t: Instant?) {
            guard let t else { return }
            if let cur = d, cur <= t { return }
            d = t
        }
        earliest(nack?.deadline)
        earliest(video?.deadline)
        earliest(heldFrames.first?.due)
        earliest(audio?.deadline)
        earliest(keyframes.deadline)
        return d
    }

    /// A report block about the remote source, for an RR or for our own SR when we also send.
    /// Each call closes a reporting interval (the fraction lost counts from the previous call).
    public mutating func makeReportBlock(at now: Instant) -> RTCPReportBlock {
        var lsr: UInt32 = 0, dlsr: UInt32 = 0
        if let sr = lastSenderReport {
            lsr = sr.compact
            dlsr = NTPCompact.from(now - sr.arrival)
        }
        let block = reception.makeReportBlock(ssrc: config.remoteSSRC, lastSenderReport: lsr, delaySinceLastSenderReport: dlsr)
        statistics.fractionLost = block.fractionLost
        statistics.packetsLost = reception.cumulativeLost
        statistics.jitter = block.jitter
        return block
    }

    // MARK: Internals

    private mutating func drain(at now: Instant) {
        if video != nil { drainVideo(at: now) } else if audio != nil { drainAudio(at: now) }
    }

    private mutating func takeFrameBuffer() -> [UInt8] {
        if var b = framePool.popLast() {
            b.removeAll(keepingCapacity: true)
            return b
        }
        var b: [UInt8] = []
        b.reserveCapacity(config.kind == .video ? 64 * 1024 : config.maxPayloadSize)
        return b
    }

    // The jitter buffers are mutated through optional chaining, in place: binding them to a
    // local would copy the struct (and retain its storage) on every packet.
    private mutating func drainVideo(at now: Instant) {
        var buffer = takeFrameBuffer()
        while let event = video?.pop(at: now, into: &buffer) {
            switch event {
            case .frame(let f):
                if f.isKeyframe { keyframes.keyframeArrived() }
                let frame = RTPReceivedFrame(data: buffer, rtpTimestamp: f.rtpTimestamp, isKeyframe: f.isKeyframe,
                                             marker: true, sequences: f.firstSequence..<(f.lastSequence + 1),
                                             receivedAt: f.completedAt)
                let due = playout?.due(rtpTimestamp: f.rtpTimestamp, firstArrival: f.firstArrivalAt, at: now) ?? now
                if heldFrames.count == Self.maxHeldFrames { releaseHeadFrame(at: now) }
                heldFrames.append((frame, due, f.firstArrivalAt))
                buffer = takeFrameBuffer()
            case .dropped(let d):
                statistics.framesDropped += 1
                keyframes.frameGivenUp()
                switch d.reason {
                case .incomplete: statistics.framesDroppedIncomplete += 1
                case .missingReference: statistics.framesDroppedNoReference += 1
                case .overflow: statistics.framesDroppedOverflow += 1
                }
                outputs.push(.frameDropped(d))
            }
        }
        recycle(buffer)
        while let head = heldFrames.first, head.due <= now { releaseHeadFrame(at: now) }
        // Before the first frame the head can still move back, so keep NACKing behind it.
        if video?.hasStarted == true, let head = video?.nextSequence { nack?.discard(below: head) }
        if video?.takeKeyframeRequest() == true { requestKeyframe(at: now) }
    }

    /// The oldest held frame goes to the decoder.
    private mutating func releaseHeadFrame(at now: Instant) {
        guard let held = heldFrames.popFirst() else { return }
        statistics.framesDelivered += 1
        statistics.jitterBufferDelayNanoseconds += (now - held.firstArrival).nanosecondsClamped
        if held.frame.isKeyframe { statistics.keyframesDelivered += 1 }
        outputs.push(.frame(held.frame))
    }

    private mutating func drainAudio(at now: Instant) {
        var buffer = takeFrameBuffer()
        while let event = audio?.pop(at: now, into: &buffer) {
            switch event {
            case .packet(let p):
                statistics.framesDelivered += 1
                outputs.push(.frame(RTPReceivedFrame(data: buffer, rtpTimestamp: p.rtpTimestamp, isKeyframe: false,
                                                       marker: p.marker, sequences: p.sequence..<(p.sequence + 1),
                                                       receivedAt: p.arrival)))
                buffer = takeFrameBuffer()
            case .gap(let n):
                statistics.audioPacketsConcealed += Int64(n)
                outputs.push(.audioGap(lostPackets: n))
            }
        }
        recycle(buffer)
        if let head = audio?.nextSequence { nack?.discard(below: head) }
    }

    /// Asks the sender for a keyframe (PLI or FIR), rate-limited; the decoder calls this when it
    /// has lost its reference.
    public mutating func requestKeyframe(at now: Instant) {
        guard config.kind == .video else { return }
        if keyframes.request(at: now) { sendKeyframeRequest(at: now) }
    }

    private mutating func sendKeyframeRequest(at now: Instant) {
        statistics.keyframeRequestsSent += 1
        switch config.keyframeRequestMethod {
        case .pli:
            enqueueFeedback(.pictureLossIndication(RTCPPictureLossIndication(senderSSRC: config.localSSRC,
                                                                             mediaSSRC: config.remoteSSRC)), at: now)
        case .fir:
            // RFC 5104 §4.3.1.1: a new request gets a new command sequence number.
            firSequence &+= 1
            let fir = RTCPFullIntraRequest(senderSSRC: config.localSSRC,
                                           entries: [.init(ssrc: config.remoteSSRC, sequenceNumber: firSequence)])
            enqueueFeedback(.fullIntraRequest(fir), at: now)
        }
    }

    private mutating func enqueueFeedback(_ packet: RTCPPacket, at now: Instant) {
        var out: [UInt8] = []
        out.reserveCapacity(128)
        if !config.reducedSizeRTCP {
            writeReport(at: now, into: &out)
        }
        packet.write(to: &out)
        outputs.push(.sendRTCP(out))
    }

    private mutating func enqueueReport(at now: Instant) {
        var out: [UInt8] = []
        out.reserveCapacity(128)
        writeReport(at: now, into: &out)
        outputs.push(.sendRTCP(out))
    }

    /// RR + SDES(CNAME): the minimal compound of RFC 3550 §6.1.
    private mutating func writeReport(at now: Instant, into out: inout [UInt8]) {
        let block = reception.baseSequence == nil ? nil : makeReportBlock(at: now)
        RTCPReceiverReport(ssrc: config.localSSRC, reports: block.map { [$0] } ?? []).write(to: &out)
        RTCPSourceDescription(ssrc: config.localSSRC, cname: config.cname).write(to: &out)
        statistics.receiverReportsSent += 1
    }
}
