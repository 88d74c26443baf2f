@testable import Codecs
@testable import DTLS
@testable import ICE
import Media
import NetEmulator
@testable import SessionCore
@testable import SessionPeer
@testable import STUN
import Testing

/// Two `Peer`s over the seeded network emulator in simulated time (`CallSimulation`). Every
/// run is deterministic, so each asserts the exact outcome it produced: the frames, the NACKs,
/// the retransmissions (str0m's `tests/nack.rs` does the same).
@Suite struct PeerSimulatedCallTests {
    /// For the tests of NACK, playout delay and audio RED themselves: no video parity, which
    /// would repair most of what they count (the FEC tests below have it, as calls do).
    static func withoutFEC(_ c: inout PeerConfiguration) { c.videoFEC = false }

    /// `loss` on A's media, `delay` each way: the network for the long-path tests (seed 19).
    static func path(_ loss: LinkConfig.Loss, delay: Duration) -> NetworkEmulator {
        var link = rtpOnly(loss)
        link.delay = delay
        var back = LinkConfig()
        back.delay = delay
        return NetworkEmulator(seed: 19, aToB: link, bToA: back)
    }

    /// B's freezes after the first second, as webrtc-stats counts them.
    static func freezes(_ sim: CallSimulation) -> VideoFreezeDetector {
        var freezes = VideoFreezeDetector()
        for f in sim.b.framesReceived where f.at > .zero + .seconds(1) { freezes.frame(atNanos: f.at.nanoseconds) }
        return freezes
    }

    static func rtpOnly(_ loss: LinkConfig.Loss) -> LinkConfig {
        var c = LinkConfig()
        c.loss = loss
        c.impairs = [.rtp]
        return c
    }

    /// Frames B received, as (count, every RTP timestamp A sent arrived in order).
    static func delivery(_ sim: CallSimulation) -> (received: Int, inOrderAndComplete: Bool) {
        let got = sim.b.framesReceived.map(\.rtpTimestamp)
        return (got.count, got == sim.framesSent)
    }

    static func decodable(_ sim: CallSimulation) throws -> Int {
        let decoder = try VP8Decoder()
        return sim.b.framesReceived.filter { (try? decoder.decode($0.payload)) != nil }.count
    }

    @Test func cleanCallConnectsAndDeliversEveryFrame() throws {
        let sim = try CallSimulation(net: NetworkEmulator(seed: 7))
        try sim.run(until: .zero + .seconds(3))
        try sim.finish()
        #expect(sim.a.connected)
        #expect(sim.b.connected)
        #expect(sim.a.peer.securityInfo?.dtlsVersion == "DTLSv1.2")
        let d = Self.delivery(sim)
        print("clean: connected at \(sim.a.connectedAt!), sent \(sim.framesSent.count), received \(d.received), audio \(sim.b.audioPackets)")
        #expect(d.inOrderAndComplete, "every frame, in order")
        #expect(sim.a.connectedAt == .zero + .milliseconds(120))
        #expect(sim.framesSent.count == 86)
        #expect(sim.b.audioPackets == 144)
        #expect(sim.b.framesReceived.first?.keyframe == true)
        #expect(try Self.decodable(sim) == sim.framesSent.count)
        #expect(sim.b.peer.stats.nacksSent == 0)
        #expect(sim.a.peer.stats.retransmissionsSent == 0)
    }

    @Test func fivePercentLossIsRepairedByNack() throws {
        let sim = try CallSimulation(net: NetworkEmulator(seed: 7, aToB: Self.rtpOnly(.bernoulli(0.05))), configure: Self.withoutFEC)
        try sim.run(until: .zero + .seconds(6))
        try sim.finish()
        let lost = sim.net.stats(from: .a).lostByClass[.rtp, default: 0]
        let d = Self.delivery(sim)
        print("5% loss: sent \(sim.framesSent.count), received \(d.received), rtp lost \(lost), NACKs \(sim.b.peer.stats.nacksSent), retransmissions \(sim.a.peer.stats.retransmissionsSent), PLIs \(sim.b.peer.stats.plisSent)")
        #expect(d.inOrderAndComplete, "every frame arrives, repaired by NACK")
        #expect(try Self.decodable(sim) == sim.framesSent.count)
        #expect(sim.framesSent.count == 176)
        #expect(lost == 30)
        #expect(sim.b.peer.stats.nacksSent == 13)
        #expect(sim.a.peer.stats.retransmissionsSent == 14)
        #expect(sim.b.peer.stats.plisSent == 0)
    }

    /// 50 ms each way and 5 % of A's media lost: each repair takes a round trip, so B's frames
    /// wait one (RTPPlayoutDelay) once it has repaired three packets, and a frame whose packet
    /// came back is shown on time: no freeze as webrtc-stats counts them after the first
    /// second, 85 ms per frame in the jitter buffer (NACKs a little over an RTT apart, as
    /// libwebrtc's sender wants them; at exactly one RTT: 1 freeze, a frame whose packet
    /// needed a second repair, 81 ms). Without the delay (frames shown when
    /// complete) 2 freezes, 506 ms; before B's NACKs followed the assumed RTT until one was
    /// measured (B sends no video here, so none is) it gave up after 150 ms: 3 PLIs, 3 freezes.
    /// At 10 % loss: 2 freezes, 102 ms per frame (0 and 91 ms with NACKs one RTT apart: this
    /// simulated sender resends whatever is asked, Chromium's does not). (With the audio as RED since it is negotiated
    /// the packets lost are others: it was 0 and 1 freezes before.)
    @Test(arguments: [(0.05, 0, 85, 22), (0.10, 2, 102, 53)])
    func aRoundTripOfPlayoutDelayHidesTheRepairs(loss: Double, freezeCount: Int, delayMs: Int64, repaired: Int64) throws {
        let sim = try CallSimulation(net: Self.path(.bernoulli(loss), delay: .milliseconds(50)), configure: Self.withoutFEC)
        try sim.run(until: .zero + .seconds(10))
        try sim.finish()
        let freezes = Self.freezes(sim)
        let r = sim.b.peer.stats.videoReceive
        let meanDelay = (r?.jitterBufferDelayNanoseconds ?? 0) / max(1, Int64(r?.framesDelivered ?? 0)) / 1_000_000
        #expect(Self.delivery(sim).inOrderAndComplete)
        #expect(freezes.freezeCount == freezeCount)
        #expect(meanDelay == delayMs)
        #expect(r?.packetsRecoveredByNack == repaired)
        #expect(r?.nackGiveUps == 0)
        #expect(sim.b.peer.stats.plisSent == 0)
    }

    /// The same 100 ms path with 10 % of A's media lost, video parity on (as negotiated by
    /// default): A's parity follows the loss B reports (up to one parity packet per two media
    /// packets), and B rebuilds most lost packets from it at once; NACK repairs the rest
    /// (parity lost too, or two losses under one parity packet): 28 rebuilt, 7 resent, no
    /// freeze (without parity: 53 resent, 2 freezes, 102 ms in the jitter buffer). Bursts
    /// (mean 3 packets) defeat parity over small groups: 11 rebuilt, 26 resent, 2 freezes.
    @Test(arguments: [(LinkConfig.Loss.bernoulli(0.10), 28, 7, 104, 0, 45), (.bursts(meanBurst: 3, average: 0.10), 11, 26, 99, 2, 45)])
    func lossOnALongPathIsRebuiltFromParity(loss: LinkConfig.Loss, rebuilt: Int64, repaired: Int64, parity: Int64,
                                            freezeCount: Int, protection: Int) throws {
        let sim = try CallSimulation(net: Self.path(loss, delay: .milliseconds(50)))
        try sim.run(until: .zero + .seconds(10))
        try sim.finish()
        let freezes = Self.freezes(sim)
        let r = sim.b.peer.stats.videoReceive, s = sim.a.peer.stats.videoSend
        print("parity \(loss): sent \(s?.fecPacketsSent ?? 0) of \(s?.packetsSent ?? 0), B received \(r?.fecPacketsReceived ?? 0), rebuilt \(r?.packetsRecoveredByFEC ?? 0), NACK-repaired \(r?.packetsRecoveredByNack ?? 0), freezes \(freezes.freezeCount), PLIs \(sim.b.peer.stats.plisSent), protection \(sim.a.peer.stats.videoFECProtectionPercent)")
        #expect(Self.delivery(sim).inOrderAndComplete)
        #expect(try Self.decodable(sim) == sim.framesSent.count, "rebuilt packets decode")
        #expect(r?.packetsRecoveredByFEC == rebuilt)
        #expect(r?.packetsRecoveredByNack == repaired)
        #expect(s?.fecPacketsSent == parity)
        #expect(freezes.freezeCount == freezeCount)
        #expect(sim.b.peer.stats.plisSent == 0)
        #expect(sim.a.peer.stats.videoFECProtectionPercent == protection)
    }

    /// On a path of under 20 ms RTT a retransmission is back before the frame is due: no
    /// parity, whatever the loss (libwebrtc's rule too).
    @Test func aShortPathSendsNoParity() throws {
        let sim = try CallSimulation(net: Self.path(.bernoulli(0.10), delay: .milliseconds(4)))
        try sim.run(until: .zero + .seconds(6))
        try sim.finish()
        #expect(Self.delivery(sim).inOrderAndComplete)
        #expect(sim.a.peer.stats.videoSend?.fecPacketsSent == 0)
        #expect(sim.a.peer.stats.videoFECProtectionPercent == 0)
        #expect((sim.b.peer.stats.videoReceive?.packetsRecoveredByNack ?? 0) > 0)
    }

    /// 10 % of A's packets lost at random: A's audio goes as RED (each packet repeats the
    /// one before) while B reports loss, and B rebuilds a lost packet from the next one, so
    /// only a packet lost together with the one after it is concealed (about 1 %).
    @Test func audioLossIsCoveredByRedundancy() throws {
        let sim = try CallSimulation(net: NetworkEmulator(seed: 23, aToB: Self.rtpOnly(.bernoulli(0.10))), configure: Self.withoutFEC)
        try sim.run(until: .zero + .seconds(10))
        try sim.finish()
        let a = sim.a.peer.stats, r = sim.b.peer.stats.audioReceive
        print("10% loss audio: A sent \(a.audioPacketsSent) packets, \(a.audioRedundantPacketsSent) as RED; B got \(r?.packetsReceived ?? 0) (\(r?.redPacketsReceived ?? 0) RED), lost \(r?.packetsLost ?? 0), rebuilt from RED \(r?.packetsRecoveredByRED ?? 0), concealed \(sim.b.audioLost)")
        #expect(a.audioPacketsSent == 494)
        #expect(a.audioRedundantPacketsSent == 494)
        #expect(r?.packetsLost == 59)
        #expect(r?.packetsRecoveredByRED == 48)
        #expect(sim.b.audioLost == 11)
    }

    /// 5 % of packets held back 50 ms (they arrive after later ones).
    @Test func reorderingIsAbsorbedByTheJitterBuffer() throws {
        var link = LinkConfig()
        link.reorder = 0.05
        link.reorderDelay = .milliseconds(50)
        let sim = try CallSimulation(net: NetworkEmulator(seed: 11, aToB: link, bToA: link))
        try sim.run(until: .zero + .seconds(6))
        try sim.finish()
        let d = Self.delivery(sim)
        #expect(d.inOrderAndComplete)
        // A late packet looks lost until it comes: NACKed, resent, the copy discarded.
        #expect(sim.framesSent.count == 176)
        #expect(sim.net.stats(from: .a).reordered == 36)
        #expect(sim.b.peer.stats.nacksSent == 14)
        #expect(sim.a.peer.stats.retransmissionsSent == 14)
        // On A's RTX stream (negotiated both ways, FID-paired): B tells them from new media.
        // No bandwidth probe: the encoder fills the rate (not application-limited).
        #expect(sim.a.peer.stats.probeClustersSent == 0)
        #expect(sim.b.peer.stats.videoRTXPacketsReceived == 14 && sim.b.peer.stats.videoRTXPaddingReceived == 0)
        #expect(sim.b.peer.stats.plisSent == 0)
    }

    /// ±20 ms of jitter on every packet.
    @Test func jitterIsAbsorbedByTheJitterBuffer() throws {
        var link = LinkConfig()
        link.delay = .milliseconds(40)
        link.jitter = .milliseconds(20)
        let sim = try CallSimulation(net: NetworkEmulator(seed: 12, aToB: link, bToA: link))
        try sim.run(until: .zero + .seconds(6))
        try sim.finish()
        let d = Self.delivery(sim)
        #expect(d.inOrderAndComplete)
        print("jitter: targets \(sim.a.sendBitrates.map(\.bps)), packets \(sim.net.stats(from: .a).sentByClass), reordered \(sim.net.stats(from: .a).reordered), overuses \(sim.a.peer.stats.delayOveruses)")
        #expect(sim.a.connectedAt == .zero + .nanoseconds(240_330_235))
        #expect(sim.framesSent.count == 172)
        #expect(sim.b.peer.stats.nacksSent == 15)
        #expect(sim.a.peer.stats.retransmissionsSent == 15)
        #expect(sim.b.peer.stats.plisSent == 0)
    }

    /// Gilbert–Elliott bursts on the media (mean burst 3 packets, 5 % average loss).
    @Test func burstLossIsRepairedByNack() throws {
        let sim = try CallSimulation(net: NetworkEmulator(seed: 13, aToB: Self.rtpOnly(.bursts(meanBurst: 3, average: 0.05))), configure: Self.withoutFEC)
        try sim.run(until: .zero + .seconds(10))
        try sim.finish()
        let d = Self.delivery(sim)
        let stats = sim.net.stats(from: .a)
        #expect(d.inOrderAndComplete)
        #expect(sim.framesSent.count == 296)
        #expect(stats.sentByClass[.rtp] == 1016)
        #expect(stats.lostByClass[.rtp] == 92)
        // A NACK names every packet of a burst at once: fewer NACKs than retransmissions.
        #expect(sim.b.peer.stats.nacksSent == 27)
        #expect(sim.a.peer.stats.retransmissionsSent == 51)
        #expect(sim.b.peer.stats.plisSent == 0)
    }

    /// Every DTLS datagram is lost until 1.5 s: the ClientHello (sent at 0.12 s, once ICE
    /// connected) and its first retransmission 1 s later; the next, 2 s after that (RFC 6347
    /// §4.2.4.1), gets through at 3.12 s of simulated time and the call connects.
    @Test func lostDTLSFlightsAreRetransmittedAndTheCallConnects() throws {
        var link = LinkConfig()
        link.impairs = [.dtls]
        link.loss = .bernoulli(1)
        var net = NetworkEmulator(seed: 14, aToB: link, bToA: link)
        let sim = try CallSimulation(net: net)
        // Lose DTLS until 1.5 s, then heal the link.
        try sim.run(until: .zero + .milliseconds(1500))
        net = sim.net
        net.reconfigure(from: .a, .clean)
        net.reconfigure(from: .b, .clean)
        sim.net = net
        try sim.run(until: .zero + .seconds(4))
        try sim.finish()
        let lostDTLS = sim.net.stats(from: .a).lostByClass[.dtls, default: 0] + sim.net.stats(from: .b).lostByClass[.dtls, default: 0]
        #expect(lostDTLS == 2)
        #expect(sim.a.connectedAt == .zero + .milliseconds(3120))
        #expect(sim.b.connectedAt == .zero + .milliseconds(3140))
        #expect(Self.delivery(sim).inOrderAndComplete)
    }

    /// A 500 kbit/s bottleneck with a 100 ms queue under the kiosk's own video (640x480 VP8 at
    /// up to 1500 kbit/s). Before the send rate controller and the pacer: 12 of 296 frames
    /// arrived, 2519 packets tail-dropped, 20 PLIs. Now the sender starts at 300 kbit/s,
    /// climbs 8 % a second while the reports show no loss, and paces: nothing is dropped.
    @Test func aFiveHundredKilobitCapWithAHundredMillisecondQueue() throws {
        var link = LinkConfig()
        link.rateBitsPerSecond = 500_000
        link.queueLimit = .milliseconds(100)
        let sim = try CallSimulation(net: NetworkEmulator(seed: 15), video: .kiosk)
        try Self.capOnceConnected(sim, link)
        try sim.run(until: .zero + .seconds(10))
        try sim.finish()
        let stats = sim.net.stats(from: .a)
        let d = Self.delivery(sim)
        let decodable = try Self.decodable(sim)
        print("cap 500k/100ms: targets \(sim.a.sendBitrates.map(\.bps)), sent \(sim.framesSent.count) frames, received \(d.received), decodable \(decodable), packets sent \(stats.sent) tail-dropped \(stats.tailDropped), max queue \(stats.maxQueueDelay), NACKs \(sim.b.peer.stats.nacksSent), retransmissions \(sim.a.peer.stats.retransmissionsSent), PLIs \(sim.b.peer.stats.plisSent)")
        #expect(sim.framesSent.count == 296)
        #expect(d.received == 296)
        #expect(decodable == 296)
        #expect(stats.sent == 1061)
        #expect(stats.tailDropped == 0)
        #expect(stats.maxQueueDelay <= link.queueLimit)
        #expect(sim.b.peer.stats.nacksSent == 0)
        #expect(sim.a.peer.stats.retransmissionsSent == 0)
        #expect(sim.b.peer.stats.plisSent == 0)
    }

    /// The cap goes on at 130 ms, once the call is connected (120 ms on a clean link): DTLS's
    /// ECDSA signatures vary by a byte or two from run to run, and through a capped link that
    /// moved every later event by microseconds and the outcome with it.
    static func capOnceConnected(_ sim: CallSimulation, _ link: LinkConfig) throws {
        try sim.run(until: .zero + .milliseconds(130))
        sim.net.setLink(from: .a, link)
    }

    /// Frames B received between `from` and `to` (simulated), and the longest time without one.
    static func frames(_ sim: CallSimulation, from: Instant, to: Instant) -> (count: Int, longestGap: Duration) {
        let times = sim.b.framesReceived.map(\.at).filter { $0 >= from && $0 < to }
        var gap = Duration.zero
        var last = from
        for t in times + [to] {
            gap = max(gap, t - last)
            last = t
        }
        return (times.count, gap)
    }

    /// A 200 kbit/s bottleneck, below the 300 kbit/s start, under 640x480 with the kiosk's
    /// ladder and frame dropping. B sends transport-wide feedback for every packet, and A's
    /// delay-based estimator sees the queue grow before it overflows: 3 loss backoffs, 76
    /// packets tail-dropped, 216 frames in the last 15 s, no gap over 0.23 s, 1 PLI (video
    /// parity goes with the loss the reports show on this 40 ms path, its bytes taken from the
    /// encoder's share; 3 backoffs, 85 drops, 224 frames, 0.64 s and 2 PLIs without it; the
    /// audio goes as RED while B reports loss, its cost taken from the video's share: the encoders
    /// are told the target less 33.6 kbit/s; 4 backoffs, 116 drops, 222 frames, 0.79 s and 3
    /// PLIs before that). With loss as the
    /// only signal (before A read the feedback) it kept probing into the queue: 171 frames,
    /// gaps up to 2.4 s, 500 tail drops, 17 PLIs; without the ladder 124 frames; without the
    /// controller nothing after the first seconds.
    @Test func aCapBelowTheStartRateIsFoundAndHeld() throws {
        var link = LinkConfig()
        link.rateBitsPerSecond = 200_000
        link.queueLimit = .milliseconds(100)
        var video = CallSimulation.Video.kiosk
        video.frameDropThreshold = 30
        video.ladder = true
        let sim = try CallSimulation(net: NetworkEmulator(seed: 16), video: video)
        try Self.capOnceConnected(sim, link)
        try sim.run(until: .zero + .seconds(20))
        let after5 = Self.frames(sim, from: .zero + .seconds(5), to: .zero + .seconds(20))
        let stats = sim.net.stats(from: .a)
        let targets = sim.a.sendBitrates.map(\.bps)
        print("cap 200k/100ms: largest frames after 5 s \(sim.frameSizes.dropFirst(150).sorted().suffix(3)), targets \(targets), frames after 5 s \(after5.count) longest gap \(after5.longestGap), tail-dropped \(stats.tailDropped), PLIs \(sim.b.peer.stats.plisSent), decreases \(sim.a.peer.stats.sendRateDecreases)")
        #expect(targets.first == 300_000 - 33_600)
        // The same figures whether or not the receiver holds its requests while a keyframe
        // is on its way: here the keyframes complete before a second request would go.
        #expect(targets.last == 140_555)
        #expect(after5.count == 216)
        #expect(after5.longestGap == .nanoseconds(229_760_000))
        #expect(stats.tailDropped == 76)
        #expect(sim.b.peer.stats.plisSent == 1)
        #expect(sim.a.peer.stats.sendRateDecreases == 3)
    }

    /// 300 kbit/s for 12 s, then the cap is lifted: the delay-based estimate holds the target
    /// around the cap (324 kbit/s with headers at 12 s), then climbs 8 % a second as far as
    /// 1.5 × what gets through: 786 kbit/s 12 s after the lift (with the loss rules alone 358).
    /// Probing every 3 s of a quiet path reached 90 % of the maximum 3.3 s after the lift here,
    /// but on the lab's tbf shaper its 4 KB burst let the probes through too fast and they
    /// misled (15 fps instead of 22 at 300 kbit/s): probes go only while the encoder leaves the
    /// rate unused, as libwebrtc's.
    @Test func theRateClimbsBackAfterTheCapIsLifted() throws {
        var link = LinkConfig()
        link.rateBitsPerSecond = 300_000
        link.queueLimit = .milliseconds(100)
        let sim = try CallSimulation(net: NetworkEmulator(seed: 17), video: .kiosk)
        try Self.capOnceConnected(sim, link)
        try sim.run(until: .zero + .seconds(12))
        let capped = sim.a.peer.stats.targetBitrate ?? 0
        sim.net.setLink(from: .a, LinkConfig())
        try sim.run(until: .zero + .seconds(24))
        let lifted = sim.a.peer.stats.targetBitrate ?? 0
        let after = Self.frames(sim, from: .zero + .seconds(12), to: .zero + .seconds(24))
        let back = sim.a.sendBitrates.first { $0.at >= .zero + .seconds(12) && $0.bps >= 900_000 }.map { $0.at - (Instant.zero + .seconds(12)) }
        // No probe: the encoder fills the rate, so it is not application-limited, and periodic
        // probes while it is misled on the lab's shaper (ApplicationLimitedDetector). 90 % of
        // the maximum is not reached within 12 s of the lift.
        #expect(back == nil)
        #expect(sim.a.peer.stats.probeClustersSent == 0)
        print("cap 300k lifted at 12 s: target \(capped) → \(lifted), targets \(sim.a.sendBitrates.map(\.bps)), frames after \(after.count), longest gap \(after.longestGap)")
        #expect(capped == 324_270)
        #expect(lifted == 786_170)
        #expect(after.count == 360)
        #expect(after.longestGap == .nanoseconds(61_606_690))
    }

    @Test func tamperedFingerprintFailsWithNoMedia() throws {
        let sim = try CallSimulation(net: NetworkEmulator(seed: 7), tamperFingerprint: true)
        try sim.run(until: .zero + .seconds(2))
        #expect(sim.a.failure == .fingerprintMismatch)
        #expect(!sim.a.connected)
        #expect(sim.b.framesReceived.isEmpty)
        #expect(sim.b.audioPackets == 0)
    }

    /// A peer whose datagrams never arrive: the call gives up at the connect timeout instead of
    /// waiting for ICE's end-of-candidates or OpenSSL's minutes of retries.
    @Test func silentPeerFailsAtTheConnectTimeout() throws {
        var blackHole = LinkConfig()
        blackHole.loss = .bernoulli(1)
        let sim = try CallSimulation(net: NetworkEmulator(seed: 7, aToB: blackHole, bToA: blackHole)) { $0.connectTimeout = .seconds(10) }
        try sim.run(until: .zero + .seconds(20))
        #expect(sim.a.failure == .connectTimeout)
        #expect(sim.b.failure == .connectTimeout)
        let at = try #require(sim.a.failedAt)
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
