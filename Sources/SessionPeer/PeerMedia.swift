import RTP
import RTPStreams
import SDP
import SessionCore
import SRTP
/// The RTP half of the engine: one send stream per medium we send, one receive stream per
/// remote SSRC, all run inline on the engine's thread (Pion's interceptors, str0m-style).
/// Packets are built in reused buffers; nothing here allocates per packet once warmed up,
/// except the frames handed to the application.
struct PeerMedia {
    let session: NegotiatedSession
    var audioSend: RTPSendStream?
    var videoSend: RTPSendStream?
    /// At most `maxReceiveStreams`, found by linear search: mutating a large struct in place
    /// through a dictionary subscript allocated on every packet; an array index does not.
    var receivers: [RTPReceiveStream] = []
    var started = false
    var packetBuffer: [UInt8] = []
    var rtcpBuffer: [UInt8] = []
    var sendDeadline: Instant?

    static let maxReceiveStreams = 8

    init(peer: Peer, session: NegotiatedSession) {
        self.session = session
        packetBuffer.reserveCapacity(1500 + SRTPSession.maximumOverhead)
        rtcpBuffer.reserveCapacity(1500 + SRTPSession.maximumOverhead)
        let clock = peer.configuration.ntpClock
        if let audio = session.audio, peer.configuration.sendAudio, audio.direction.sends {
            var config = RTPSendStream.Config(ssrc: peer.audioSSRC, payloadType: audio.payloadType, format: .opus,
                                              cname: peer.cname, ntpClock: clock)
            config.clockRate = Int(audio.clockRate)
            config.mid = audio.mid
            config.midExtensionID = audio.midExtensionID.map { UInt8(truncatingIfNeeded: $0) }
            audioSend = RTPSendStream(config: config)
        }
        if let video = session.video, peer.configuration.sendVideo, video.direction.sends {
            var config = RTPSendStream.Config(ssrc: peer.videoSSRC, payloadType: video.payloadType,
                                              format: .vp8(maxPayloadSize: peer.configuration.mtu - 60),
                                              cname: peer.cname, ntpClock: clock)
            config.clockRate = Int(video.clockRate)
            config.mid = video.mid
            config.midExtensionID = video.midExtensionID.map { UInt8(truncatingIfNeeded: $0) }
            videoSend = RTPSendStream(config: config)
        }
    }

    var nextDeadline: Instant? {
        var deadline = sendDeadline
        for r in receivers {
            if let t = r.nextDeadline, deadline.map({ t < $0 }) ?? true { deadline = t }
        }
        return deadline
    }

    mutating func start(_ peer: Peer, _ now: Instant) {
        started = true
    }

    // MARK: Sending

    mutating func sendAudio(_ peer: Peer, _ payload: UnsafeRawBufferPointer, rtpTimestamp: UInt32, _ now: Instant) {
        guard started, audioSend != nil, !payload.isEmpty else { return }
        do {
            try audioSend?.sendFrame(payload, rtpTimestamp: rtpTimestamp, at: now)
            peer.stats.audioPacketsSent += 1
        } catch {
            return
        }
    }

    mutating func sendVideo(_ peer: Peer, _ frame: UnsafeRawBufferPointer, rtpTimestamp: UInt32, _ now: Instant) {
        guard started, videoSend != nil, !frame.isEmpty else { return }
        do {
            try videoSend?.sendFrame(frame, rtpTimestamp: rtpTimestamp, at: now)
            peer.stats.videoFramesSent += 1
        } catch {
            return
        }
    }

    mutating func requestKeyframe(_ now: Instant) {
        for i in receivers.indices where receivers[i].config.kind == .video {
            receivers[i].requestKeyframe(at: now)
        }
    }

    // MARK: Receiving

    mutating func receiveRTP(_ peer: Peer, _ packet: [UInt8], _ now: Instant) {
        guard let view = try? RTPPacketView.parse(packet) else { return }
        var index = receivers.firstIndex { $0.config.remoteSSRC == view.ssrc }
        if index == nil {
            guard receivers.count < PeerMedia.maxReceiveStreams, let stream = makeReceiver(peer, for: view) else { return }
            receivers.append(stream)
            index = receivers.count - 1
        }
        guard let index else { return }
        let isVideo = session.video?.payloadType == view.payloadType
        if isVideo { peer.stats.videoPacketsReceived += 1 } else {
            peer.stats.audioPacketsReceived += 1
            peer.stats.audioBytesReceived += view.payloadLength
        }
        packet.withUnsafeBytes { raw in
            receivers[index].handle(view, in: raw, at: now)
        }
    }

    /// A stream for a new SSRC, if its payload type is one we negotiated (RTX is not).
    func makeReceiver(_ peer: Peer, for view: RTPPacketView) -> RTPReceiveStream? {
        if let video = session.video, video.payloadType == view.payloadType {
            var config = RTPReceiveStream.Config(kind: .video, remoteSSRC: view.ssrc, localSSRC: peer.videoSSRC, cname: peer.cname)
            config.clockRate = Int(video.clockRate)
            config.payloadType = video.payloadType
            config.nack = video.feedback.contains(.nack) ? RTPNackConfig() : nil
            config.jitterDelay = peer.configuration.videoJitterDelay
            config.keyframeRequestMethod = video.feedback.contains(.pli) ? .pli : .fir
            return RTPReceiveStream(config: config)
        }
        if let audio = session.audio, audio.payloadType == view.payloadType {
            var config = RTPReceiveStream.Config(kind: .audio, remoteSSRC: view.ssrc, localSSRC: peer.audioSSRC, cname: peer.cname)
            config.clockRate = Int(audio.clockRate)
            config.payloadType = audio.payloadType
            return RTPReceiveStream(config: config)
        }
        return nil
    }

    mutating func receiveRTCP(_ peer: Peer, _ packet: [UInt8], _ now: Instant) {
        guard let packets = try? RTCPPacket.parseCompound(packet) else { return }
        for p in packets {
            switch p {
            case .nack: peer.stats.nacksReceived += 1
            case .pictureLossIndication: peer.stats.plisReceived += 1
            case .fullIntraRequest: peer.stats.firsReceived += 1
            case .bye: peer.emit(.remoteBye)
            default: break
            }
            audioSend?.handleRTCP(p, at: now)
            videoSend?.handleRTCP(p, at: now)
            for i in receivers.indices { receivers[i].handleRTCP(p, at: now) }
        }
        if let rtt = videoSend?.statistics.roundTripTime ?? audioSend?.statistics.roundTripTime {
            peer.stats.roundTripMilliseconds = Double(rtt.nanosecondsClamped) / 1e6
            // NACK retry spacing follows the measured RTT rather than the 100 ms default.
            for i in receivers.indices { receivers[i].setRoundTripTime(rtt) }
        }
    }

    // MARK: Timers and draining

    mutating func handleTimeout(_ peer: Peer, _ now: Instant) {
        guard started else { return }
        audioSend?.handleTimeout(at: now)
        videoSend?.handleTimeout(at: now)
        for i in receivers.indices { receivers[i].handleTimeout(at: now) }
    }

    mutating func drain(_ peer: Peer, _ now: Instant) {
        guard started else { return }
        sendDeadline = nil
        drainSend(peer, video: false, now)
        drainSend(peer, video: true, now)
        for i in receivers.indices {
            let kind = receivers[i].config.kind
            while let output = receivers[i].poll() {
                switch output {
                case .sendRTCP(let bytes):
                    rtcpBuffer.removeAll(keepingCapacity: true)
                    rtcpBuffer.append(contentsOf: bytes)
                    if bytes.count > 8, bytes[1] == 205 { peer.stats.nacksSent += 1 }
                    if bytes.count > 8, bytes[1] == 206 { peer.stats.plisSent += 1 }
                    peer.sendProtected(&rtcpBuffer, rtcp: true, now)
                case .frame(let frame):
                    deliver(peer, frame, kind)
                case .frameDropped:
                    break
                case .audioGap(let lost):
                    peer.emit(.audioLost(count: lost))
                case .timeout:
                    break
                }
            }
        }
    }

    func deliver(_ peer: Peer, _ frame: RTPReceivedFrame, _ kind: RTPReceiveStream.Kind) {
        if kind == .video {
            peer.stats.videoFramesReceived += 1
            if frame.isKeyframe { peer.stats.videoKeyframesReceived += 1 }
            peer.emit(.videoFrame(payload: frame.data, isKeyframe: frame.isKeyframe, rtpTimestamp: frame.rtpTimestamp))
        } else {
            peer.emit(.audioPacket(payload: frame.data, rtpTimestamp: frame.rtpTimestamp))
        }
    }

    mutating func drainSend(_ peer: Peer, video: Bool, _ now: Instant) {
        guard var stream = video ? videoSend : audioSend else { return }
        // Work on a local copy: the stream is a struct, and `packetBuffer` is also ours.
        if video { videoSend = nil } else { audioSend = nil }
        defer { if video { videoSend = stream } else { audioSend = stream } }
        while let output = stream.poll(into: &packetBuffer) {
            switch output {
            case .sendRTP(_, let retransmission):
                if retransmission { peer.stats.retransmissionsSent += 1 }
                if video { peer.stats.videoPacketsSent += 1 }
                peer.sendProtected(&packetBuffer, rtcp: false, now)
            case .sendRTCP:
                peer.sendProtected(&packetBuffer, rtcp: true, now)
            case .keyframeRequested:
                peer.emit(.keyframeRequested)
            case .timeout(let t):
                if sendDeadline.map({ t < $0 }) ?? true { sendDeadline = t }
            }
        }
    }
}
