import Bandwidth
import RTP
import RTPStreams
import SDP
import SessionCore
import SRTP

/// The RTP half of the engine: one send stream per medium we send, one receive stream per
/// remote SSRC, all run inline on the engine's thread (Pion's interceptors, str0m-style). A
/// sub-machine of `Peer` that never calls back into it: `poll()` returns what to do (protect
/// and send a packet that sits in one of its buffers, report an event) and the `Peer` does it.
/// Packets are built in reused buffers; nothing here allocates per packet once warmed up,
/// except the frames handed to the application.
struct PeerStreams: SansIOMachine {
    /// What `Peer` needs to know to build the streams.
    struct Setup {
        var audioSSRC: UInt32
        var videoSSRC: UInt32
        var videoRTXSSRC: UInt32?
        var cname: String
        var configuration: PeerConfiguration
    }

    /// Where the packet of a `.send` output is: it stays there until the next `poll()`.
    enum Packet: Sendable, Equatable {
        case audio, video
        /// Receiver feedback (RR, NACK, PLI, FIR), copied into a buffer with room for SRTCP.
        case feedback
    }

    enum Output: TimedOutput, Equatable {
        /// Protect the packet in `packet` with SRTP (SRTCP when `rtcp`) and send it now.
        case send(Packet, rtcp: Bool)
        case event(PeerEvent)
        case timeout(Instant)

        var timeoutInstant: Instant? { if case .timeout(let t) = self { t } else { nil } }
    }

    let session: NegotiatedSession
    let setup: Setup
    var audioSend: RTPSendStream?
    var videoSend: RTPSendStream?
    /// At most `maxReceiveStreams`, found by linear search: mutating a large struct in place
    /// through a dictionary subscript allocated on every packet; an array index does not.
    var receivers: [RTPReceiveStream] = []
    var started = false
    /// The send rate the receiver's RR loss and REMB allow, and the pacer that holds video to it.
    private(set) var rate: SendRateController
    private var pacer: Pacer
    private var audioLoss = AudioLossExpectation()
    /// With RED negotiated (then, and only then, `redundancy` exists): each Opus frame also carries the one before it while the peer's
    /// reports show audio loss (from the start, until a report says there is none), as
    /// Chromium does, unless the repeat would cost over a quarter of the send rate. Its cost
    /// comes out of the video's share (`sendBitrateChanged`), so the total stays at the
    /// target: the clinician hearing every word is worth a softer picture.
    private var redundancy: RTPRedundancyEncoder?
    private var redBuffer: [UInt8] = []
    /// What RED adds to a packet, smoothed (bytes), 50 packets a second.
    private var redundantBytes = 84.0
    private var redundancyCost: Int { Int(redundantBytes * 8 * 50) }
    private var sendsRedundancy: Bool {
        redundancy != nil && audioLoss.percent > 0 && redundancyCost * 4 <= rate.targetBitsPerSecond
    }
    /// Transport-wide feedback to the remote sender, when negotiated.
    private var transportFeedback: TransportFeedbackRecorder?
    /// A REMB cap for the remote sender while the path toward us holds a standing queue
    /// (goog-remb and abs-send-time negotiated on video), and the message it goes in.
    private var queueLimit: StandingQueueLimit?
    private var absSendTimeID: UInt8?
    private var remb = RTCPReceiverEstimatedMaxBitrate(senderSSRC: 0, bitrate: 0, ssrcs: [])
    /// Our packets' transport-wide numbers and send times, and the delay-based estimate the
    /// remote's feedback about them gives, when transport-cc is negotiated.
    private var sendHistory: TransportSendHistory?
    private var delayEstimator: DelayBasedEstimator
    /// Bandwidth probes (with transport-cc only: their result is read from its feedback): when,
    /// what they found, and the one being sent at its own rate.
    private var probeController: ProbeController?
    private var probeEstimator = ProbeBitrateEstimator()
    private var probePacer = Pacer.probing(bitsPerSecond: 1)
    private var probeCluster = 0
    /// When the path last showed it was full (an overuse, a loss backoff): no periodic probe
    /// for a while after.
    private var congestedAt: Instant?
    private var congestionSeen = (overuses: 0, decreases: 0)
    private var applicationLimited = ApplicationLimitedDetector()
    /// The feedback's 24-bit reference time, unwrapped (it wraps every 12 days).
    private var feedbackReference: (last: UInt32, unwrapped: Int64)?
    /// The time of the input being drained (poll has none of its own).
    private var now = Instant.zero
    /// The media half of `PeerStats` (the transport half is the peer's), streams' own figures
    /// included.
    var stats: PeerStats {
        var s = counters
        // Counted by the streams: a NACK or PLI is often behind an RR in its compound.
        s.nacksSent = Int(receivers.reduce(0) { $0 + $1.statistics.nackPacketsSent })
        s.plisSent = Int(receivers.reduce(0) { $0 + $1.statistics.keyframeRequestsSent })
        s.videoReceive = receivers.first { $0.config.kind == .video }?.statistics
        s.audioReceive = receivers.first { $0.config.kind == .audio }?.statistics
        s.videoSend = videoSend?.statistics
        s.audioSend = audioSend?.statistics
        s.delayBasedEstimate = sendHistory == nil ? nil : delayEstimator.bitsPerSecond
        s.delayOveruses = delayEstimator.overuses
        s.receiveCap = queueLimit?.limit
        s.receiveCapCuts = queueLimit?.cuts ?? 0
        return s
    }
    private var counters = PeerStats()
    private var feedbackBuffer: [UInt8] = []
    /// Where a packet from the clinician's RTX stream is restored (reused, never reallocated).
    private var repairBuffer: [UInt8] = []
    private var events = FIFOQueue<PeerEvent>(capacity: 8)
    /// Which sub-machine the drain in progress is at: events, audio, video, then receivers.
    private var cursor = 0
    private var timeoutDue = true

    static let maxReceiveStreams = 8

    init(setup: Setup, session: NegotiatedSession) {
        self.session = session
        self.setup = setup
        feedbackBuffer.reserveCapacity(1500 + SRTPSession.maximumOverhead)
        repairBuffer.reserveCapacity(1500 + SRTPSession.maximumOverhead)
        let configuration = setup.configuration
        rate = SendRateController(config: configuration.sendRate)
        // Never negotiated without being sent: Chromium would take the silence for congestion.
        if let video = session.video, video.feedback.contains(.transportCC), let id = video.transportCCExtensionID,
           (1...255).contains(id) {
            transportFeedback = TransportFeedbackRecorder(senderSSRC: setup.videoSSRC, extensionID: UInt8(id))
        }
        pacer = Pacer(targetBitsPerSecond: configuration.sendRate.startBitsPerSecond)
        if let video = session.video, video.feedback.contains(.remb), let id = video.absSendTimeExtensionID, (1...255).contains(id) {
            queueLimit = StandingQueueLimit()
            absSendTimeID = UInt8(id)
            remb.senderSSRC = setup.videoSSRC
            remb.ssrcs.reserveCapacity(Self.maxReceiveStreams)
        }
        delayEstimator = DelayBasedEstimator(config: configuration.sendRate)
        // Stamped on every packet we send once the peer said it sends transport-wide
        // feedback: Chromium then stops REMB, and our own estimator takes its place.
        let sendsFeedback = session.video?.feedback.contains(.transportCC) ?? false
        func transportID(_ m: NegotiatedMedia?) -> UInt8? {
            guard sendsFeedback, let id = m?.transportCCExtensionID, (1...255).contains(id) else { return nil }
            return UInt8(id)
        }
        if transportID(session.video) != nil { sendHistory = TransportSendHistory() }
        let clock = configuration.ntpClock
        if let audio = session.audio, configuration.sendAudio, audio.direction.sends {
            var config = RTPSendStream.Config(ssrc: setup.audioSSRC, payloadType: audio.payloadType, format: .opus,
                                              cname: setup.cname, ntpClock: clock)
            config.clockRate = Int(audio.clockRate)
            config.mid = audio.mid
            config.midExtensionID = audio.midExtensionID.map { UInt8(truncatingIfNeeded: $0) }
            if sendHistory != nil { config.transportSequenceExtensionID = transportID(audio) }
            audioSend = RTPSendStream(config: config)
            if audio.redPayloadType != nil {
                redundancy = RTPRedundancyEncoder(distance: 1)
                redBuffer.reserveCapacity(2 * 1500)
            }
        }
        if let video = session.video, configuration.sendVideo, video.direction.sends {
            // RED + ULPFEC when both were negotiated, and resends of RED can go on RTX (or
            // there is no RTX at all). Parity is up to 27 bytes longer than what it protects.
            let fec = video.redPayloadType.flatMap { red in
                video.ulpfecPayloadType.map { RTPSendStream.FEC(redPayloadType: red, ulpfecPayloadType: $0) }
            }.flatMap { f in (video.rtxPayloadType == nil || video.redRTXPayloadType != nil) ? f : nil }
            var config = RTPSendStream.Config(ssrc: setup.videoSSRC, payloadType: video.payloadType,
                                              format: .vp8(maxPayloadSize: configuration.mtu - 60 - (fec == nil ? 0 : 28)),
                                              cname: setup.cname, ntpClock: clock)
            config.clockRate = Int(video.clockRate)
            config.mid = video.mid
            config.midExtensionID = video.midExtensionID.map { UInt8(truncatingIfNeeded: $0) }
            config.transportSequenceExtensionID = transportID(video)
            config.fec = fec
            // Announced with our FID group wherever rtx was negotiated (SDPNegotiator.announceRTX).
            if let pt = fec != nil ? video.redRTXPayloadType : video.rtxPayloadType, let ssrc = setup.videoRTXSSRC {
                config.rtx = RTPSendStream.RTX(ssrc: ssrc, payloadType: pt)
            }
            videoSend = RTPSendStream(config: config)
            if sendHistory != nil { probeController = ProbeController(maxBitsPerSecond: configuration.sendRate.maxBitsPerSecond) }
        }
    }

    var nextDeadline: Instant? {
        guard started else { return nil }
        var deadline: Instant?
        func consider(_ t: Instant?) { if let t, deadline.map({ t < $0 }) ?? true { deadline = t } }
        consider(audioSend?.nextDeadline)
        consider(videoSend?.nextDeadline)
        // Media waits behind a probe cluster, which goes at its own rate.
        if let v = videoSend, v.probeQueued {
            consider(probePacer.nextSendTime(queuedBytes: 1) ?? now)
        } else if let v = videoSend, v.queuedBytes > 0 {
            consider(pacer.nextSendTime(queuedBytes: v.queuedBytes))
        }
        for r in receivers { consider(r.nextDeadline) }
        consider(transportFeedback?.nextFeedbackAt)
        consider(queueLimit?.deadline)
        return deadline
    }

    /// Every input starts a new drain.
    private mutating func inputHandled(_ now: Instant) {
        self.now = now
        cursor = 0
        timeoutDue = true
    }

    mutating func start(_ now: Instant) {
        inputHandled(now)
        started = true
        applyTarget()
    }

    // MARK: Sending

    mutating func sendAudio(_ payload: UnsafeRawBufferPointer, rtpTimestamp: UInt32, _ now: Instant) {
        inputHandled(now)
        guard started, audioSend != nil, !payload.isEmpty else { return }
        do {
            // In place: a copy of the encoder would copy its buffers on every frame.
            if let red = session.audio?.redPayloadType, let pt = session.audio?.payloadType, redundancy != nil {
                if sendsRedundancy {
                    redundancy?.encode(payload, timestamp: rtpTimestamp, payloadType: pt, into: &redBuffer)
                    redundantBytes += (Double(redBuffer.count - payload.count) - redundantBytes) / 16
                    try redBuffer.withUnsafeBytes { try audioSend?.sendFrame($0, rtpTimestamp: rtpTimestamp, payloadType: red, at: now) }
                    counters.audioRedundantPacketsSent += 1
                    counters.audioPacketsSent += 1
                    return
                }
                redundancy?.remember(payload, timestamp: rtpTimestamp)
            }
            try audioSend?.sendFrame(payload, rtpTimestamp: rtpTimestamp, at: now)
            counters.audioPacketsSent += 1
        } catch {
            return
        }
    }

    mutating func sendVideo(_ frame: UnsafeRawBufferPointer, rtpTimestamp: UInt32, _ now: Instant) {
        inputHandled(now)
        guard started, videoSend != nil, !frame.isEmpty else { return }
        do {
            try videoSend?.sendFrame(frame, rtpTimestamp: rtpTimestamp, at: now)
            counters.videoFramesSent += 1
        } catch {
            return
        }
    }

    mutating func requestKeyframe(_ now: Instant) {
        inputHandled(now)
        for i in receivers.indices where receivers[i].config.kind == .video {
            receivers[i].requestKeyframe(at: now)
        }
    }

    // MARK: Receiving

    mutating func receiveRTP(_ packet: [UInt8], _ now: Instant) {
        inputHandled(now)
        guard let view = try? RTPPacketView.parse(packet) else { return }
        if queueLimit != nil { packet.withUnsafeBytes { readSendTime(view, $0) } }
        if let video = session.video, view.payloadType == video.rtxPayloadType || view.payloadType == video.redRTXPayloadType {
            receiveRetransmission(view, packet, payloadType: view.payloadType == video.rtxPayloadType ? video.payloadType : video.redPayloadType)
            return
        }
        var index = receivers.firstIndex { $0.config.remoteSSRC == view.ssrc }
        if index == nil {
            guard receivers.count < PeerStreams.maxReceiveStreams, let stream = makeReceiver(for: view) else {
                // Not media we take (a probe on an RTX or SSRC-0 stream), but the sender's
                // estimator counts it: it goes into the transport-wide feedback all the same.
                if transportFeedback != nil { packet.withUnsafeBytes { recordTransportSequence(view, $0) } }
                return
            }
            receivers.append(stream)
            index = receivers.count - 1
        }
        guard let index else { return }
        let isVideo = session.video.map { $0.payloadType == view.payloadType || $0.redPayloadType == view.payloadType } ?? false
        if isVideo { counters.videoPacketsReceived += 1 } else {
            counters.audioPacketsReceived += 1
            counters.audioBytesReceived += view.payloadLength
        }
        packet.withUnsafeBytes { raw in
            recordTransportSequence(view, raw)
            receivers[index].handle(view, in: raw, at: now)
        }
    }

    /// A packet on the clinician's RTX stream (RFC 4588): counted in the transport-wide
    /// feedback like any other (Chromium's probes are RTX), then restored and handed to the
    /// video stream it repairs (its FID pair, else the one video stream).
    private mutating func receiveRetransmission(_ view: RTPPacketView, _ packet: [UInt8], payloadType: UInt8?) {
        counters.videoRTXPacketsReceived += 1
        if transportFeedback != nil { packet.withUnsafeBytes { recordTransportSequence(view, $0) } }
        let media = session.video?.remoteFIDPairs.first { $0.retransmission == view.ssrc }?.primary
        guard let pt = payloadType,
              let index = receivers.firstIndex(where: { r in r.config.kind == .video && (media.map { r.config.remoteSSRC == $0 } ?? true) })
        else { return }
        // Moved out and back (no copy, no allocation): handing it on mutates self.
        var restored: [UInt8] = []
        swap(&restored, &repairBuffer)
        packet.withUnsafeBytes { raw in
            guard RTPRetransmission.restore(view, in: raw, mediaSSRC: receivers[index].config.remoteSSRC, payloadType: pt,
                                            into: &restored) else {
                counters.videoRTXPaddingReceived += 1
                return
            }
            restored.withUnsafeBytes { r in
                guard let original = try? RTPPacketView.parse(r) else { return }
                receivers[index].handleRepair(original, in: r, at: now)
            }
        }
        swap(&restored, &repairBuffer)
    }

    /// Every packet counts toward what comes in; one stamped by the sender's pacer also says
    /// how long the path held it.
    private mutating func readSendTime(_ view: RTPPacketView, _ raw: UnsafeRawBufferPointer) {
        queueLimit?.received(bytes: raw.count + Self.packetOverhead, at: now)
        guard let id = absSendTimeID, let r = view.extensionValue(id: id, in: raw) else { return }
        var reader = ByteReader(UnsafeRawBufferPointer(rebasing: raw[r]))
        if let sent = reader.u24() { queueLimit?.packet(absSendTime: sent, at: now) }
    }

    private mutating func recordTransportSequence(_ view: RTPPacketView, _ raw: UnsafeRawBufferPointer) {
        guard let id = transportFeedback?.extensionID, let r = view.extensionValue(id: id, in: raw) else { return }
        var reader = ByteReader(UnsafeRawBufferPointer(rebasing: raw[r]))
        if let sequence = reader.u16() { transportFeedback?.record(sequence, at: now) }
    }

    /// A stream for a new SSRC, if its payload type is one we negotiated (RTX is not).
    func makeReceiver(for view: RTPPacketView) -> RTPReceiveStream? {
        if let video = session.video, video.payloadType == view.payloadType || video.redPayloadType == view.payloadType {
            var config = RTPReceiveStream.Config(kind: .video, remoteSSRC: view.ssrc, localSSRC: setup.videoSSRC, cname: setup.cname)
            config.clockRate = Int(video.clockRate)
            config.payloadType = video.payloadType
            config.redPayloadType = video.redPayloadType
            config.ulpfecPayloadType = video.ulpfecPayloadType
            config.nack = video.feedback.contains(.nack) ? RTPNackConfig() : nil
            config.jitterDelay = setup.configuration.videoJitterDelay
            config.keyframeRequestMethod = video.feedback.contains(.pli) ? .pli : .fir
            return RTPReceiveStream(config: config)
        }
        if let audio = session.audio, audio.payloadType == view.payloadType || audio.redPayloadType == view.payloadType {
            var config = RTPReceiveStream.Config(kind: .audio, remoteSSRC: view.ssrc, localSSRC: setup.audioSSRC, cname: setup.cname)
            config.clockRate = Int(audio.clockRate)
            config.payloadType = audio.payloadType
            config.redPayloadType = audio.redPayloadType
            return RTPReceiveStream(config: config)
        }
        return nil
    }

    mutating func receiveRTCP(_ packet: [UInt8], _ now: Instant) {
        inputHandled(now)
        guard let packets = try? RTCPPacket.parseCompound(packet) else { return }
        for p in packets {
            switch p {
            case .nack: counters.nacksReceived += 1
            case .pictureLossIndication: counters.plisReceived += 1
            case .fullIntraRequest: counters.firsReceived += 1
            case .bye: events.append(.remoteBye)
            case .transportFeedback(let fb): readTransportFeedback(fb)
            default: break
            }
            audioSend?.handleRTCP(p, at: now)
            videoSend?.handleRTCP(p, at: now)
            feedRate(p)
            for i in receivers.indices { receivers[i].handleRTCP(p, at: now) }
        }
        if let rtt = videoSend?.statistics.roundTripTime ?? audioSend?.statistics.roundTripTime {
            counters.roundTripMilliseconds = Double(rtt.nanosecondsClamped) / 1e6
            setVideoProtection(roundTripTime: rtt)
            // NACK retry spacing follows the measured RTT rather than the 100 ms default.
            for i in receivers.indices { receivers[i].setRoundTripTime(rtt) }
            rate.setRoundTripTime(rtt)
            delayEstimator.setRoundTripTime(rtt)
        }
    }

    /// The remote's transport-wide feedback about our packets: each one received, with its
    /// send time and size from the history, into the delay-based estimate (lost ones say
    /// nothing about delay; their loss reaches the rate through the receiver reports).
    private mutating func readTransportFeedback(_ fb: RTCPTransportFeedback) {
        guard sendHistory != nil else { return }
        counters.transportFeedbacksReceived += 1
        // Reference time: 24 bits of 64 ms; arrival deltas: 250 µs, signed.
        var unwrapped = Int64(fb.referenceTime)
        if let r = feedbackReference {
            let step = Int64(Int32(bitPattern: (fb.referenceTime &- r.last) << 8) >> 8)
            unwrapped = r.unwrapped + step
        }
        feedbackReference = (fb.referenceTime, unwrapped)
        var arrival = unwrapped * 64_000
        for p in fb.packets {
            guard let delta = p.receiveDelta else { continue }
            arrival += Int64(delta) * 250
            guard let sent = sendHistory?.take(p.sequenceNumber) else { continue }
            let arrivedAt = Instant.zero + .microseconds(arrival)
            delayEstimator.packet(sentAt: sent.sentAt, arrivedAt: arrivedAt, size: sent.size)
            if sent.cluster != 0 { probeEstimator.packet(cluster: sent.cluster, sentAt: sent.sentAt, arrivedAt: arrivedAt, size: sent.size) }
        }
        var changed = false
        if delayEstimator.feedbackDone(at: now) {
            changed = rate.handleDelayEstimate(bitsPerSecond: delayEstimator.bitsPerSecond, at: now)
        }
        if let found = probeEstimator.takeResult() {
            counters.lastProbeResult = found
            probeController?.probeResult(bitsPerSecond: found, at: now)
            if delayEstimator.probeResult(bitsPerSecond: found, at: now) {
                probeController?.raised(at: now)
                if rate.handleDelayEstimate(bitsPerSecond: delayEstimator.bitsPerSecond, at: now) { changed = true }
                if rate.handleProbeResult(bitsPerSecond: found, at: now) { changed = true }
            }
        }
        if changed { applyTarget() }
    }

    /// The receiver's loss (report blocks about our streams) and its REMB move the send rate;
    /// the pacer and the encoders (through the event) follow.
    private mutating func feedRate(_ p: RTCPPacket) {
        guard videoSend != nil || audioSend != nil else { return }
        var changed = false
        func blocks(_ list: [RTCPReportBlock]) {
            for b in list where (b.ssrc == setup.audioSSRC || b.ssrc == setup.videoSSRC)
                && audioLoss.handleReport(fractionLost: b.fractionLost) {
                events.append(.audioLossExpected(percent: audioLoss.percent))
                // RED goes on or off with it: the encoders' share moves.
                if redundancy != nil { changed = true }
            }
            for b in list where b.ssrc == setup.videoSSRC || b.ssrc == setup.audioSSRC {
                if rate.handleReport(ssrc: b.ssrc, fractionLost: b.fractionLost,
                                     extendedHighestSequence: b.extendedHighestSequence, at: now) { changed = true }
            }
        }
        switch p {
        case .receiverReport(let rr): blocks(rr.reports)
        case .senderReport(let sr): blocks(sr.reports)
        case .receiverEstimatedMaxBitrate(let remb)
            where remb.ssrcs.contains(setup.videoSSRC) || remb.ssrcs.contains(setup.audioSSRC):
            counters.remoteEstimatedBitrate = Int(min(remb.bitrate, UInt64(Int.max)))
            changed = rate.handleRemoteEstimate(bitsPerSecond: remb.bitrate, at: now)
        default:
            return
        }
        counters.sendRateDecreases = rate.decreases
        guard changed else { return }
        applyTarget()
    }

    /// Video parity follows the loss the reports show (the level the audio encoder protects
    /// against, `AudioLossExpectation`: both streams share the path), 3 parity packets per
    /// 100 media packets per percent, at most one per two; none while the RTT is under 20 ms,
    /// where a retransmission comes back before the frame is due (libwebrtc's hybrid
    /// NACK/FEC rule: Chromium sends parity only on a long path). Its bytes are the encoder's
    /// loss (`applyTarget`).
    private mutating func setVideoProtection(roundTripTime rtt: Duration) {
        guard session.video != nil, videoSend?.config.fec != nil else { return }
        let wanted = rtt < Self.fecMinimumRoundTrip ? 0 : min(0.5, Double(audioLoss.percent) * 0.03)
        guard wanted != videoSend?.fecProtection else { return }
        videoSend?.fecProtection = wanted
        counters.videoFECProtectionPercent = Int((wanted * 100).rounded())
        applyTarget()
    }

    static let fecMinimumRoundTrip = Duration.milliseconds(20)

    /// The pacer, the retransmission budget and (through the event) the encoders follow the target.
    private mutating func applyTarget() {
        counters.targetBitrate = rate.targetBitsPerSecond
        pacer.setTarget(bitsPerSecond: rate.targetBitsPerSecond)
        applicationLimited.setTarget(bitsPerSecond: rate.targetBitsPerSecond)
        // Resend only while the queue holds under 500 ms at the target.
        videoSend?.retransmissionQueueLimit = max(1500, rate.targetBitsPerSecond / 8 / 2)
        // What RED and parity take is not the encoders'.
        let media = rate.targetBitsPerSecond - (sendsRedundancy ? redundancyCost : 0)
        let protection = videoSend?.fecProtection ?? 0
        events.append(.sendBitrateChanged(bitsPerSecond: Int(Double(media) / (1 + protection))))
    }

    // MARK: Timers and draining

    mutating func handleTimeout(_ now: Instant) {
        inputHandled(now)
        guard started else { return }
        audioSend?.handleTimeout(at: now)
        videoSend?.handleTimeout(at: now)
        for i in receivers.indices { receivers[i].handleTimeout(at: now) }
        queueLimit?.handleTimeout(at: now)
    }

    /// The drain contract: events, then each stream's outputs in turn, then one `.timeout`.
    mutating func poll() -> Output? {
        while started, cursor < 3 + receivers.count {
            let output: Output? = switch cursor {
            case 0: events.popFirst().map { .event($0) } ?? pollTransportFeedback()
            case 1: pollSend(video: false)
            case 2: pollSend(video: true)
            default: pollReceiver(cursor - 3)
            }
            if let output { return output }
            cursor += 1
        }
        guard timeoutDue else { return nil }
        timeoutDue = false
        return .timeout(nextDeadline ?? .never)
    }

    /// Lends the packet of the last `.send` to `body`, which protects it in place.
    mutating func withPacket(_ packet: Packet, _ body: (inout [UInt8]) -> Void) {
        switch packet {
        case .audio: audioSend?.withPacket(body)
        case .video: videoSend?.withPacket(body)
        case .feedback: body(&feedbackBuffer)
        }
    }

    private mutating func pollSend(video: Bool) -> Output? {
        if video, probeController != nil {
            if let probe = pollProbe() { return probe }
            if videoSend?.probeQueued == true { return nil }
        }
        // Video waits for the pacer; audio never does, but pays for its bytes.
        if video, let v = videoSend, v.queuedBytes > 0, !pacer.maySend(at: now, queuedBytes: v.queuedBytes) { return nil }
        let output = video ? videoSend?.poll() : audioSend?.poll()
        switch output {
        case .sendRTP(_, let retransmission):
            let bytes = (video ? videoSend?.packet.count : audioSend?.packet.count) ?? 0
            stampTransportSequence(video: video, bytes: bytes)
            pacer.sent(bytes: bytes, at: now, queuedBytes: videoSend?.queuedBytes ?? 0)
            applicationLimited.sent(bytes: bytes + Self.packetOverhead, at: now)
            if retransmission { counters.retransmissionsSent += 1 }
            if video { counters.videoPacketsSent += 1 }
            return .send(video ? .video : .audio, rtcp: false)
        case .sendRTCP:
            return .send(video ? .video : .audio, rtcp: true)
        case .keyframeRequested:
            return .event(.keyframeRequested)
        case .timeout, nil:
            return nil
        }
    }

    /// A probe cluster's packets, at the cluster's own rate (media waits behind them); a new
    /// cluster when the controller says one is due.
    private mutating func pollProbe() -> Output? {
        guard let v = videoSend, probeController != nil else { return nil }
        if !v.probeQueued {
            probeCluster = 0
            let seen = (delayEstimator.overuses, rate.decreases)
            if seen != congestionSeen || delayEstimator.overusing {
                congestionSeen = seen
                congestedAt = now
                probeController?.congestion(at: now)
            }
            guard v.canProbe, let c = probeController?.nextCluster(estimate: rate.targetBitsPerSecond,
                                                                  congestedAt: congestedAt,
                                                                  applicationLimited: applicationLimited.limited, at: now),
                  let q = videoSend?.queueProbe(bytes: c.bytes, packets: ProbeController.Cluster.minimumPackets), q.packets > 0 else { return nil }
            probeCluster = c.id
            probePacer = .probing(bitsPerSecond: c.bitsPerSecond)
            probeEstimator.sent(cluster: c.id, packets: q.packets, bytes: q.bytes + q.packets * Self.packetOverhead)
            counters.probeClustersSent += 1
        }
        guard probePacer.maySend(at: now, queuedBytes: 0), case .sendRTP? = videoSend?.pollProbe() else { return nil }
        let bytes = videoSend?.packet.count ?? 0
        stampTransportSequence(video: true, bytes: bytes, cluster: probeCluster)
        probePacer.sent(bytes: bytes, at: now)
        counters.videoPacketsSent += 1
        return .send(.video, rtcp: false)
    }

    /// The packet about to go gets the next transport-wide number, and its send time and size
    /// (with SRTP's tag, UDP and IP) go into the history the feedback is read against.
    private mutating func stampTransportSequence(video: Bool, bytes: Int, cluster: Int = 0) {
        guard let offset = video ? videoSend?.transportSequenceOffset : audioSend?.transportSequenceOffset,
              let seq = sendHistory?.record(size: bytes + Self.packetOverhead, at: now, cluster: cluster) else { return }
        func stamp(_ p: inout [UInt8]) {
            guard p.count >= offset + 2 else { return }
            p[offset] = UInt8(seq >> 8)
            p[offset + 1] = UInt8(truncatingIfNeeded: seq)
        }
        if video { videoSend?.withPacket(stamp) } else { audioSend?.withPacket(stamp) }
    }

    /// SRTP's 10-byte tag, UDP's 8 and IPv4's 20: what the path carries beyond the RTP packet.
    static let packetOverhead = 38

    /// The REMB or transport-wide feedback due now, written into the feedback buffer.
    private mutating func pollTransportFeedback() -> Output? {
        if let bps = queueLimit?.remb(at: now) {
            // The streams we receive, as the sender knows them.
            remb.ssrcs.removeAll(keepingCapacity: true)
            for r in receivers { remb.ssrcs.append(r.config.remoteSSRC) }
            remb.bitrate = bps
            feedbackBuffer.removeAll(keepingCapacity: true)
            remb.write(to: &feedbackBuffer)
            counters.rembsSent += 1
            return .send(.feedback, rtcp: true)
        }
        guard let due = transportFeedback?.nextFeedbackAt, now >= due else { return nil }
        let media = session.video?.remotePrimarySSRCs.first ?? 0
        guard let fb = transportFeedback?.feedback(mediaSSRC: media, at: now) else { return nil }
        feedbackBuffer.removeAll(keepingCapacity: true)
        fb.write(to: &feedbackBuffer)
        counters.transportFeedbacksSent += 1
        return .send(.feedback, rtcp: true)
    }

    private mutating func pollReceiver(_ i: Int) -> Output? {
        let kind = receivers[i].config.kind
        while let output = receivers[i].poll() {
            switch output {
            case .sendRTCP(let bytes):
                feedbackBuffer.removeAll(keepingCapacity: true)
                feedbackBuffer.append(contentsOf: bytes)
                return .send(.feedback, rtcp: true)
            case .frame(let frame):
                if kind == .video {
                    counters.videoFramesReceived += 1
                    if frame.isKeyframe { counters.videoKeyframesReceived += 1 }
                    return .event(.videoFrame(payload: frame.data, isKeyframe: frame.isKeyframe, rtpTimestamp: frame.rtpTimestamp))
                }
                return .event(.audioPacket(payload: frame.data, rtpTimestamp: frame.rtpTimestamp))
            case .frameDropped:
                continue
            case .audioGap(let lost):
                return .event(.audioLost(count: lost))
            case .timeout:
                return nil
            }
        }
        return nil
    }
}
