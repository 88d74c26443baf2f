@testable import Codecs
@testable import DTLS
@testable import ICE
import Media
@testable import SessionCore
@testable import SessionPeer
@testable import STUN
import Testing

/// Two complete peers in one process over a seeded simulated network in simulated time
/// (str0m's shape): ICE, DTLS, SRTP, RTP/RTCP, NACK and PLI all run for real; only the wire
/// and the clock are simulated.
@Suite struct PeerSimulatedCallTests {
    struct Flight {
        var deliverAt: Instant
        var transmit: ICETransmit
        var toB: Bool
    }

    /// A seeded lossy link with a fixed one-way delay. Loss only hits SRTP/SRTCP (first byte
    /// 128–191): OpenSSL's DTLS retransmission timer reads the real clock, so a lost handshake
    /// flight would stall simulated time (documented on DTLSEndpoint).
    struct SimulatedNetwork {
        var random: STUNRandom
        var lossPerMille: UInt64
        var delay: Duration = .milliseconds(20)
        var inFlight: [Flight] = []
        var dropped = 0
        var droppedVideo = 0

        mutating func send(_ t: ICETransmit, toB: Bool, now: Instant, videoPT: UInt8?) {
            if let first = t.bytes.first, first >= 128, first <= 191, random.next() % 1000 < lossPerMille {
                dropped += 1
                if t.bytes.count > 1, let pt = videoPT, t.bytes[1] & 0x7f == pt { droppedVideo += 1 }
                return
            }
            inFlight.append(Flight(deliverAt: now + delay, transmit: t, toB: toB))
        }
    }

    final class Side {
        let peer: Peer
        var deadline: Instant = .zero
        var candidates: [String] = []
        var connected = false
        var failure: PeerError?
        var framesReceived: [(payload: [UInt8], keyframe: Bool)] = []
        var keyframeRequests = 0
        var audioPackets = 0

        init(address: TransportAddress, seed: UInt64) throws {
            var config = PeerConfiguration(localAddresses: [address], seed: seed)
            config.ice.checkPacing = .milliseconds(20)
            peer = Peer(configuration: config, certificate: try DTLSCertificate())
        }
    }

    let addressA = TransportAddress(host: "10.0.0.1", port: 5000)!
    let addressB = TransportAddress(host: "10.0.0.2", port: 6000)!

    /// Drains a side's outputs into the network and its own bookkeeping.
    func drain(_ side: Side, other: Side, toB: Bool, net: inout SimulatedNetwork, now: Instant, videoPT: UInt8?) {
        while let output = side.peer.poll() {
            switch output {
            case .transmit(let t):
                net.send(t, toB: toB, now: now, videoPT: videoPT)
            case .timeout(let t):
                side.deadline = t
            case .event(let event):
                switch event {
                case .localCandidate(let c, _, _): other.peer.addRemoteCandidate(c, at: now)
                case .connected: side.connected = true
                case .failed(let e): side.failure = e
                case .videoFrame(let payload, let key, _): side.framesReceived.append((payload, key))
                case .audioPacket: side.audioPackets += 1
                case .keyframeRequested: side.keyframeRequests += 1
                default: break
                }
            }
        }
    }

    /// Delivers every datagram that is due, then fires each peer's timer if it is due.
    func step(_ a: Side, _ b: Side, _ net: inout SimulatedNetwork, _ now: Instant) {
        var k = 0
        while k < net.inFlight.count {
            let f = net.inFlight[k]
            if f.deliverAt <= now {
                net.inFlight.remove(at: k)
                (f.toB ? b : a).peer.handleDatagram(f.transmit.bytes, from: f.transmit.from, to: f.transmit.to, at: now)
            } else {
                k += 1
            }
        }
        if a.deadline <= now { a.peer.handleTimeout(at: now) }
        if b.deadline <= now { b.peer.handleTimeout(at: now) }
    }

    struct CallResult {
        var framesSent = 0
        var a: Side
        var b: Side
        var net: SimulatedNetwork
    }

    /// Runs a call: A offers, B answers; A sends 320x240 VP8 at 30 fps and Opus at 50 pps.
    func runCall(seconds: Int, lossPerMille: UInt64, tamperFingerprint: Bool = false) throws -> CallResult {
        let a = try Side(address: addressA, seed: 1)
        let b = try Side(address: addressB, seed: 2)
        var net = SimulatedNetwork(random: STUNRandom(seed: 7), lossPerMille: lossPerMille)
        var now = Instant.zero
        let offer = a.peer.createOffer(at: now)
        var answer = try b.peer.acceptOffer(offer, at: now)
        if tamperFingerprint, let r = answer.range(of: "a=fingerprint:sha-256 ") {
            let i = r.upperBound
            answer.replaceSubrange(i...i, with: answer[i] == "A" ? "B" : "A")
        }
        try a.peer.acceptAnswer(answer, at: now)
        let videoPT: UInt8 = 96
        let encoder = try VP8Encoder(config: VP8EncoderConfig(width: 320, height: 240, frameRate: 30, bitrateKbps: 600))
        var encoded: [UInt8] = []
        var result = CallResult(a: a, b: b, net: net)
        var nextVideo = Instant.zero
        var nextAudio = Instant.zero
        var frameIndex = 0
        var forceKey = false
        let opus: [UInt8] = [0x78] + [UInt8](repeating: 0x11, count: 60)
        var audioTS: UInt32 = 0
        let end = Instant.zero + .seconds(Int64(seconds))
        while now < end {
            drain(a, other: b, toB: true, net: &net, now: now, videoPT: videoPT)
            drain(b, other: a, toB: false, net: &net, now: now, videoPT: videoPT)
            if a.keyframeRequests > 0 { forceKey = true; a.keyframeRequests = 0 }
            var next = min(a.deadline, b.deadline)
            if let f = net.inFlight.map(\.deliverAt).min() { next = min(next, f) }
            if a.connected && b.connected { next = min(next, nextVideo, nextAudio) }
            now = max(now, next)
            step(a, b, &net, now)
            if a.connected && b.connected && now >= nextVideo {
                let frame = TestPicture.moving(width: 320, height: 240, index: frameIndex)
                if let info = try encoder.encode(frame, pts: Int64(frameIndex) * 3000, forceKeyframe: forceKey, into: &encoded) {
                    encoded.withUnsafeBytes { raw in
                        a.peer.sendVideo(UnsafeRawBufferPointer(rebasing: raw[0..<info.byteCount]), rtpTimestamp: UInt32(frameIndex * 3000), at: now)
                    }
                    result.framesSent += 1
                }
                forceKey = false
                frameIndex += 1
                nextVideo = now + .nanoseconds(33_333_333)
            }
            if a.connected && b.connected && now >= nextAudio {
                opus.withUnsafeBytes { a.peer.sendAudio($0, rtpTimestamp: audioTS, at: now) }
                audioTS &+= 960
                nextAudio = now + .milliseconds(20)
            }
        }
        // Let the tail drain (no new media): retransmissions and jitter buffers finish.
        let tailEnd = now + .milliseconds(800)
        while now < tailEnd {
            drain(a, other: b, toB: true, net: &net, now: now, videoPT: videoPT)
            drain(b, other: a, toB: false, net: &net, now: now, videoPT: videoPT)
            var next = min(a.deadline, b.deadline, tailEnd)
            if let f = net.inFlight.map(\.deliverAt).min() { next = min(next, f) }
            now = max(now, next)
            step(a, b, &net, now)
        }
        result.net = net
        return result
    }

    @Test func cleanCallConnectsAndDeliversEveryFrame() throws {
        let r = try runCall(seconds: 3, lossPerMille: 0)
        #expect(r.a.connected && r.b.connected)
        #expect(r.a.peer.securityInfo?.dtlsVersion == "DTLSv1.2")
        #expect(r.framesSent > 60)
        #expect(r.b.framesReceived.count == r.framesSent)
        #expect(r.b.framesReceived.first?.keyframe == true)
        #expect(r.b.audioPackets > 100)
        // The frames decode: the bytes survived SRTP, packetization and reassembly.
        let decoder = try VP8Decoder()
        for f in r.b.framesReceived { #expect(try decoder.decode(f.payload) != nil) }
    }

    @Test func fivePercentLossIsRepairedByNack() throws {
        let r = try runCall(seconds: 6, lossPerMille: 50)
        #expect(r.a.connected && r.b.connected)
        #expect(r.net.droppedVideo > 8, "the network must really drop video packets")
        #expect(r.b.peer.stats.nacksSent > 0)
        #expect(r.a.peer.stats.retransmissionsSent >= r.net.droppedVideo / 2)
        // Every frame sent arrives complete, recovered by NACK (or by a keyframe after PLI).
        let recovered = r.b.framesReceived.count
        #expect(recovered >= r.framesSent - r.b.peer.stats.plisSent * 3, "sent \(r.framesSent), got \(recovered), PLIs \(r.b.peer.stats.plisSent)")
        let decoder = try VP8Decoder()
        var decoded = 0
        for f in r.b.framesReceived where (try? decoder.decode(f.payload)) != nil { decoded += 1 }
        #expect(decoded == recovered, "every delivered frame decodes")
        print("5% loss: sent \(r.framesSent) frames, received \(recovered), video packets dropped \(r.net.droppedVideo), NACKs \(r.b.peer.stats.nacksSent), retransmissions \(r.a.peer.stats.retransmissionsSent), PLIs \(r.b.peer.stats.plisSent)")
    }

    @Test func tamperedFingerprintFailsWithNoMedia() throws {
        let r = try runCall(seconds: 2, lossPerMille: 0, tamperFingerprint: true)
        #expect(r.a.failure == .fingerprintMismatch)
        #expect(!r.a.connected)
        #expect(r.b.framesReceived.isEmpty)
        #expect(r.b.audioPackets == 0)
    }
}

extension PeerSimulatedCallTests {
    /// A peer whose datagrams never arrive: the call gives up at the connect timeout instead of
    /// waiting for ICE's end-of-candidates or OpenSSL's minutes of retries.
    @Test func silentPeerFailsAtTheConnectTimeout() throws {
        var config = PeerConfiguration(localAddresses: [addressA], seed: 3)
        config.connectTimeout = .seconds(10)
        let a = Peer(configuration: config, certificate: try DTLSCertificate())
        let b = try Side(address: addressB, seed: 4)
        var now = Instant.zero
        let offer = a.createOffer(at: now)
        let answer = try b.peer.acceptOffer(offer, at: now)
        try a.acceptAnswer(answer, at: now)
        var failure: PeerError?
        var failedAt: Instant?
        while now < .zero + .seconds(20), failure == nil {
            var deadline = now + .seconds(1)
            while let output = a.poll() {
                switch output {
                case .timeout(let t): deadline = t
                case .event(.failed(let e)): failure = e; failedAt = now
                default: break // transmits go nowhere
                }
            }
            now = max(now + .milliseconds(1), deadline)
            a.handleTimeout(at: now)
        }
        while let output = a.poll() { if case .event(.failed(let e)) = output { failure = e; failedAt = now } }
        #expect(failure == .connectTimeout)
        let at = try #require(failedAt)
        #expect(at >= .zero + .seconds(10) && at < .zero + .seconds(11), "failed at \(at)")
    }
}

enum TestPicture {
    /// A deterministic moving gradient with a bright square, so consecutive frames differ.
    static func moving(width: Int, height: Int, index: Int) -> VideoFrame {
        var planes = [UInt8](repeating: 0, count: VideoFrame.byteCount(width: width, height: height))
        for y in 0..<height {
            for x in 0..<width {
                planes[y * width + x] = UInt8(truncatingIfNeeded: x + y + index * 3)
            }
        }
        let sx = (index * 4) % (width - 40), sy = (index * 2) % (height - 40)
        for y in sy..<(sy + 40) { for x in sx..<(sx + 40) { planes[y * width + x] = 235 } }
        let cw = VideoFrame.chromaWidth(width), ch = VideoFrame.chromaHeight(height)
        for i in 0..<(cw * ch) {
            planes[width * height + i] = 128
            planes[width * height + cw * ch + i] = UInt8(truncatingIfNeeded: 100 + index)
        }
        return VideoFrame(width: width, height: height, planes: planes)
    }
}
