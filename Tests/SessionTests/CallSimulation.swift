import Bandwidth
import Codecs
import DTLS
import Media
import NetEmulator
import SessionCore
import SessionPeer

/// Two `Peer`s in one process over the seeded `NetworkEmulator`, in simulated time (str0m's
/// `tests/common.rs`): A offers, B answers, candidates go across at once (signaling is not the
/// network under test), and once both are connected A sends VP8 at 30 fps (a real encoder, a
/// moving picture; 320x240 at 600 kbit/s unless told) and Opus-sized audio at 50 packets/s (B too with
/// `bothSendVideo`). `progress()` always advances to the earliest pending event: either peer's deadline,
/// a delivery, a media tick. A peer's `.iceRestartNeeded` is answered as a kiosk would: that side
/// makes a subsequent offer with new credentials, the other answers (signaling, instant).
final class CallSimulation {
    final class Side {
        let peer: Peer
        let address: TransportAddress
        var deadline = Instant.zero
        var connectedAt: Instant?
        var failure: PeerError?
        var failedAt: Instant?
        var framesReceived: [(payload: [UInt8], keyframe: Bool, rtpTimestamp: UInt32, at: Instant)] = []
        var keyframeRequests = 0
        var audioPackets = 0
        /// Audio packets the receive side reported lost to the decoder (to conceal).
        var audioLost = 0
        /// Every `.sendBitrateChanged`, in order.
        var sendBitrates: [(at: Instant, bps: Int)] = []
        /// Every `.connected` (one per DTLS handshake).
        var connectedEvents = 0
        var restartsNeeded: [(at: Instant, reason: PeerRestartReason)] = []
        var restartedAt: [Instant] = []
        /// Where this side sits now (`moveA`).
        var currentAddress: TransportAddress

        init(address: TransportAddress, seed: UInt64, configure: (inout PeerConfiguration) -> Void) throws {
            var config = PeerConfiguration(localAddresses: [address], seed: seed)
            config.ice.checkPacing = .milliseconds(20)
            configure(&config)
            peer = Peer(configuration: config, certificate: try DTLSCertificate())
            self.address = address
            currentAddress = address
        }

        var connected: Bool { connectedAt != nil }
    }

    static let addressA = TransportAddress(host: "10.0.0.1", port: 5000)!
    static let addressB = TransportAddress(host: "10.0.0.2", port: 6000)!

    let a: Side
    let b: Side
    var net: NetworkEmulator
    private(set) var now = Instant.zero
    /// RTP timestamps of the frames A sent, in order.
    private(set) var framesSent: [UInt32] = []
    /// The encoded size of each frame A sent.
    private(set) var frameSizes: [Int] = []
    private(set) var framesSentByB: [UInt32] = []
    var sendMedia = true
    /// Answer `.iceRestartNeeded` with a restart (else it is only recorded).
    var restartOnNeed = true
    private var encoder: VP8Encoder
    private var ladder = VideoLadder(videoKbps: 1_000)
    private var scaled: [UInt8] = []
    /// What A's encoder was last told (kbit/s).
    private var encoderKbps = 1_000
    private let encoderB: VP8Encoder?
    private var encoded: [UInt8] = []
    private var pendingRestart: Side?
    private var nextVideo = Instant.zero
    private var nextAudio = Instant.zero
    private var frameIndex = 0
    private var audioTimestamp: UInt32 = 0
    private let opus: [UInt8] = [0x78] + [UInt8](repeating: 0x11, count: 60)

    struct Video {
        var width = 320, height = 240, bitrateKbps = 600
        /// libvpx drops frames rather than overshoot when its buffer falls under this (percent).
        var frameDropThreshold = 0
        /// A's encoder steps down in size and rate as the kiosk's does (`VideoLadder`).
        var ladder = false
        /// The kiosk's own send settings (640x480 at `call.max_video_bitrate_kbps`' default).
        static let kiosk = Video(width: 640, height: 480, bitrateKbps: 1500)
    }

    let video: Video

    init(net: NetworkEmulator, video: Video = Video(), tamperFingerprint: Bool = false, bothSendVideo: Bool = false,
         configure: (inout PeerConfiguration) -> Void = { _ in }) throws {
        self.video = video
        a = try Side(address: Self.addressA, seed: 1, configure: configure)
        b = try Side(address: Self.addressB, seed: 2, configure: configure)
        self.net = net
        var config = VP8EncoderConfig(width: video.width, height: video.height, frameRate: 30, bitrateKbps: video.bitrateKbps)
        config.frameDropThreshold = video.frameDropThreshold
        encoder = try VP8Encoder(config: config)
        encoderB = bothSendVideo ? try VP8Encoder(config: VP8EncoderConfig(width: video.width, height: video.height, frameRate: 30,
                                                                            bitrateKbps: video.bitrateKbps)) : nil
        let offer = a.peer.createOffer(at: now)
        var answer = try b.peer.acceptOffer(offer, at: now)
        if tamperFingerprint, let r = answer.range(of: "a=fingerprint:sha-256 ") {
            let i = r.upperBound
            answer.replaceSubrange(i...i, with: answer[i] == "A" ? "B" : "A")
        }
        try a.peer.acceptAnswer(answer, at: now)
        drain(a)
        drain(b)
    }

    private func side(_ s: NetworkEmulator.Side) -> Side { s == .a ? a : b }
    private func other(_ s: Side) -> Side { s === a ? b : a }

    private var mediaDue: Instant? {
        guard sendMedia, a.connected, b.connected else { return nil }
        return min(nextVideo, nextAudio)
    }

    /// One step: to the earliest pending event, and everything due then.
    func progress() throws {
        let candidates = [a.deadline, b.deadline, net.nextDelivery, mediaDue].compactMap { $0 }
        guard let next = candidates.min(), next != .never else { return }
        now = max(now, next)
        while let d = net.popDue(at: now) {
            let s = side(d.to)
            s.peer.handleDatagram(d.datagram.bytes, from: d.datagram.from, to: d.datagram.to, at: now)
            drain(s)
        }
        for s in [a, b] where s.deadline <= now {
            s.peer.handleTimeout(at: now)
            drain(s)
        }
        if let due = mediaDue, due <= now { try sendDueMedia() }
        if let s = pendingRestart {
            pendingRestart = nil
            try restart(from: s)
        }
    }

    /// `s` restarts ICE: its subsequent offer with new credentials, the other side's answer.
    func restart(from s: Side) throws {
        let o = other(s)
        let offer = s.peer.createOffer(iceRestart: true, at: now)
        let answer = try o.peer.acceptOffer(offer, at: now)
        try s.peer.acceptAnswer(answer, at: now)
        drain(s)
        drain(o)
    }

    /// A's interface address changes (the emulator moves it) and A's driver tells its peer.
    func moveA(to new: TransportAddress, tellPeer: Bool = true) {
        net.move(.a, from: a.currentAddress, to: new)
        a.currentAddress = new
        if tellPeer {
            a.peer.setLocalAddresses([new], at: now)
            drain(a)
        }
    }

    /// Runs until `end` (simulated).
    func run(until end: Instant) throws {
        var steps = 0
        while now < end {
            try progress()
            steps += 1
            if steps > 2_000_000 { fatalError("simulation did not advance") }
            if [a.deadline, b.deadline, net.nextDelivery, mediaDue].compactMap({ $0 }).allSatisfy({ $0 > end }) { now = end }
        }
    }

    func run(for d: Duration) throws { try run(until: now + d) }

    /// Stops the media and lets retransmissions and jitter buffers finish.
    func finish(tail: Duration = .milliseconds(800)) throws {
        sendMedia = false
        try run(for: tail)
    }

    private func sendDueMedia() throws {
        if now >= nextVideo {
            let full = TestPicture.moving(width: video.width, height: video.height, index: frameIndex)
            var frame = full
            var skip = false
            if video.ladder {
                ladder.update(videoKbps: encoderKbps)
                skip = !ladder.encodes(frame: frameIndex)
                if ladder.step != .full { frame = HalfScaler.halve(full, into: &scaled) }
                if encoder.config.width != frame.width {
                    var config = encoder.config
                    config.width = frame.width
                    config.height = frame.height
                    encoder = try VP8Encoder(config: config)
                }
            }
            let key = a.keyframeRequests > 0 && !skip
            if key { a.keyframeRequests = 0 }
            if !skip, let info = try encoder.encode(frame, pts: Int64(frameIndex) * 3000, forceKeyframe: key, into: &encoded) {
                let ts = UInt32(frameIndex * 3000)
                encoded.withUnsafeBytes { raw in
                    a.peer.sendVideo(UnsafeRawBufferPointer(rebasing: raw[0..<info.byteCount]), rtpTimestamp: ts, at: now)
                }
                framesSent.append(ts)
                frameSizes.append(info.byteCount)
            }
            if let encoderB, let info = try encoderB.encode(frame, pts: Int64(frameIndex) * 3000, forceKeyframe: b.keyframeRequests > 0,
                                                            into: &encoded) {
                b.keyframeRequests = 0
                let ts = UInt32(frameIndex * 3000)
                encoded.withUnsafeBytes { raw in
                    b.peer.sendVideo(UnsafeRawBufferPointer(rebasing: raw[0..<info.byteCount]), rtpTimestamp: ts, at: now)
                }
                framesSentByB.append(ts)
                drain(b)
            }
            frameIndex += 1
            nextVideo = nextVideo + .nanoseconds(33_333_333)
        }
        if now >= nextAudio {
            opus.withUnsafeBytes { a.peer.sendAudio($0, rtpTimestamp: audioTimestamp, at: now) }
            audioTimestamp &+= 960
            nextAudio = nextAudio + .milliseconds(20)
        }
        drain(a)
    }

    func drain(_ s: Side) {
        let from: NetworkEmulator.Side = s === a ? .a : .b
        while let output = s.peer.poll() {
            switch output {
            case .transmit(let t):
                net.send(.init(from: t.from, to: t.to, bytes: t.bytes), from: from, at: now)
            case .timeout(let t):
                s.deadline = t
            case .event(let event):
                switch event {
                case .localCandidate(let c, _, _):
                    let o = other(s)
                    _ = o.peer.addRemoteCandidate(c, at: now)
                    drain(o)
                case .connected:
                    s.connectedEvents += 1
                    s.connectedAt = now
                    if a.connected && b.connected {
                        nextVideo = now
                        nextAudio = now
                    }
                case .failed(let e):
                    s.failure = e
                    s.failedAt = now
                case .videoFrame(let payload, let key, let ts): s.framesReceived.append((payload, key, ts, now))
                case .iceRestartNeeded(let reason):
                    s.restartsNeeded.append((now, reason))
                    if restartOnNeed, pendingRestart == nil { pendingRestart = s }
                case .iceRestarted:
                    s.restartedAt.append(now)
                case .audioPacket: s.audioPackets += 1
                case .audioLost(let n): s.audioLost += n
                case .keyframeRequested: s.keyframeRequests += 1
                case .sendBitrateChanged(let bps):
                    s.sendBitrates.append((now, bps))
                    // As the kiosk's pipeline (A's audio stands for 32 kbit/s of Opus).
                    let kbps = SendRateSplit.videoKbps(sendBitsPerSecond: bps, audioKbps: 32, maxKbps: video.bitrateKbps)
                    if s === a {
                        encoderKbps = kbps
                        try? encoder.setBitrate(kbps: kbps)
                    } else {
                        try? encoderB?.setBitrate(kbps: kbps)
                    }
                default: break
                }
            }
        }
    }
}
