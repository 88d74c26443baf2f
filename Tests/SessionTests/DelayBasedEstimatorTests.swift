@testable import Bandwidth
import RTP
@testable import RTPStreams
import SessionCore
import Testing

/// The send side of transport-cc: the history feedback is read against, the trendline's
/// verdicts, and the whole delay-based estimate over a modelled bottleneck (a FIFO queue
/// draining at the link's rate), with exact figures.
@Suite struct DelayBasedEstimatorTests {
    static func at(_ ms: Double) -> Instant { .zero + .nanoseconds(Int64(ms * 1e6)) }

    @Test func theHistoryGivesEachPacketOnceAcrossTheWrap() {
        var h = TransportSendHistory(capacity: 16, firstSequence: 65_534)
        let numbers = (0..<4).map { h.record(size: 100 + $0, at: Self.at(Double($0))) }
        #expect(numbers == [65_534, 65_535, 0, 1])
        #expect(h.take(0)?.size == 102 && h.take(0) == nil, "a second report of a packet is not counted again")
        #expect(h.take(65_534)?.sentAt == Self.at(0))
        #expect(h.take(2) == nil, "never sent")
        for i in 0..<20 { _ = h.record(size: 1, at: Self.at(Double(10 + i))) }
        #expect(h.take(1) == nil, "overwritten by the ring: its feedback never came")
        #expect(h.take(h.nextSequence &- 16)?.size == 1)
    }

    /// Groups sent every 33 ms: arriving 33 ms apart is a steady path, 35 ms a queue growing
    /// 2 ms a frame, 30 ms one draining. The verdict needs the 20-group window full, then the
    /// smoothed delay's slope, scaled by the groups seen, past the 12.5 ms threshold (and for
    /// overuse, for more than 10 ms): growth is judged at the 31st group, a drain at the 22nd.
    @Test(arguments: [(33.0, TrendlineEstimator.Usage.normal, Int?.none), (35.0, .overusing, 31), (30.0, .underusing, 22)])
    func theTrendOfTheDelayIsTheVerdict(arrivalSpacing: Double, verdict: TrendlineEstimator.Usage, firstAt: Int?) {
        var t = TrendlineEstimator()
        var first: Int?
        for i in 1...40 {
            t.update(arrivalDeltaMs: arrivalSpacing, sendDeltaMs: 33, arrivalMs: Double(i) * arrivalSpacing)
            if first == nil, t.usage != .normal { first = i }
        }
        #expect(t.usage == verdict)
        #expect(first == firstAt)
    }

    /// A modelled link: packets of `size` bytes leave at the estimate (the encoder always has
    /// more), queue behind each other at `capacity`, arrive 20 ms later with `jitter` of their
    /// own; feedback every 100 ms. Returns the estimates each second and the overuses.
    static func run(capacity: Double, seconds: Int, jitter: Double = 0, capacityAfter: (at: Int, bps: Double)? = nil)
        -> (estimates: [Int], overuses: Int) {
        var e = DelayBasedEstimator(config: SendRateConfig(startBitsPerSecond: 300_000, minBitsPerSecond: 50_000,
                                                           maxBitsPerSecond: 2_000_000))
        e.setRoundTripTime(.milliseconds(50))
        var random = SplitMix64(seed: 42)
        let size = 1000
        var now = 0.0, queueFree = 0.0, nextFeedback = 100.0
        var pending: [(sent: Double, arrived: Double)] = []
        var estimates: [Int] = []
        var link = capacity
        while now < Double(seconds) * 1000 {
            if let c = capacityAfter, now >= Double(c.at) * 1000 { link = c.bps }
            let leave = max(now, queueFree) + Double(size * 8) / link * 1000
            queueFree = leave
            pending.append((now, leave + 20 + jitter * random.unit()))
            now += Double(size * 8) / Double(e.bitsPerSecond) * 1000
            while now >= nextFeedback {
                // What has arrived by the time the feedback leaves the receiver.
                let arrived = pending.filter { $0.arrived <= nextFeedback - 20 }
                pending.removeAll { $0.arrived <= nextFeedback - 20 }
                for p in arrived { e.packet(sentAt: at(p.sent), arrivedAt: at(p.arrived), size: size) }
                _ = e.feedbackDone(at: at(nextFeedback))
                if Int(nextFeedback) % 1000 == 0 { estimates.append(e.bitsPerSecond) }
                nextFeedback += 100
            }
        }
        return (estimates, e.overuses)
    }

    /// Under a 500 kbit/s bottleneck the estimate climbs 8 % a second from 300 kbit/s, sees the
    /// queue build as it passes the link's rate, backs off to 85 % of what got through, and
    /// from then on stays around the link with small additive steps.
    @Test func aBottleneckIsFoundAndHeld() {
        let r = Self.run(capacity: 500_000, seconds: 30)
        #expect(r.estimates == [347_237, 375_016, 405_017, 437_419, 472_412, 510_205, 407_126, 434_043, 468_767, 506_268,
                                406_658, 422_738, 446_820, 472_273, 499_176, 439_370, 418_080, 441_896, 467_069, 493_676,
                                521_798, 409_763, 433_105, 457_777, 483_854, 511_417, 408_917, 429_823, 454_308, 480_188])
        #expect(r.overuses == 5)
    }

    /// Up to 30 ms of jitter on every packet (reordering them), on a free path: the estimate
    /// climbs 8 % a second throughout. One pair of groups looked like overuse for a moment,
    /// gone again before its feedback was read: the rate never moved for it. (Before the
    /// feedback was read in arrival order, ±20 ms of jitter cut the rate to its floor.)
    @Test func jitterAloneIsNotCongestion() {
        let r = Self.run(capacity: 10_000_000, seconds: 15, jitter: 30)
        #expect(r.overuses == 1)
        #expect(r.estimates == [347_237, 375_016, 405_017, 437_419, 472_412, 510_205, 551_021, 595_103, 642_712, 694_129,
                                749_659, 809_632, 874_402, 944_354, 1_019_903])
    }

    /// The link drops from 1 Mbit/s to 300 kbit/s at 15 s, while the estimate is still
    /// climbing toward it: under the new rate within 2 s (the first cut is to 85 % of what got
    /// through in the overfull queue's first moments), then around it as under any bottleneck.
    @Test func aStepDownInCapacityIsFollowed() {
        let r = Self.run(capacity: 1_000_000, seconds: 30, capacityAfter: (15, 300_000))
        #expect(Array(r.estimates.prefix(15)) == [347_237, 375_016, 405_017, 437_419, 472_412, 510_205, 551_021, 595_103,
                                                  642_712, 694_129, 749_659, 809_632, 874_402, 944_354, 1_019_903])
        #expect(Array(r.estimates.dropFirst(15)) == [315_908, 237_758, 232_433, 232_433, 232_433, 232_433, 245_636, 274_335,
                                                     298_062, 315_041, 242_844, 265_289, 293_036, 309_729, 234_771])
        #expect(r.overuses == 3)
    }
}

/// Bandwidth probes: when they go, what their feedback says, and what the send stream sends
/// for them.
@Suite struct ProbeTests {
    static func at(_ ms: Int64) -> Instant { .zero + .milliseconds(ms) }

    /// No probe while the encoder fills the rate, nor before 3 s of a quiet path; then twice
    /// the estimate; one that got through at
    /// 70 % of its rate or more is followed at once by one at twice its result, up to the
    /// maximum; one that did not ends it, and the next waits 3 s.
    @Test func probesWaitForAQuietPathAndGoFurtherWhileTheyGetThrough() {
        var c = ProbeController(maxBitsPerSecond: 2_000_000)
        #expect(c.nextCluster(estimate: 300_000, congestedAt: nil, applicationLimited: true, at: Self.at(0)) == nil, "the call has just started")
        #expect(c.nextCluster(estimate: 300_000, congestedAt: Self.at(1000), applicationLimited: true, at: Self.at(3500)) == nil, "congested 2.5 s ago")
        #expect(c.nextCluster(estimate: 300_000, congestedAt: Self.at(1000), applicationLimited: false, at: Self.at(4000)) == nil)
        let first = c.nextCluster(estimate: 300_000, congestedAt: Self.at(1000), applicationLimited: true, at: Self.at(4000))
        #expect(first?.bitsPerSecond == 600_000 && first?.bytes == 1125)
        c.probeResult(bitsPerSecond: 590_000, at: Self.at(4100))
        #expect(c.nextCluster(estimate: 590_000, congestedAt: Self.at(1000), applicationLimited: true, at: Self.at(4100))?.bitsPerSecond == 1_180_000)
        c.probeResult(bitsPerSecond: 700_000, at: Self.at(4200))  // under 70 % of 1.18 M: the path is full
        #expect(c.nextCluster(estimate: 700_000, congestedAt: Self.at(1000), applicationLimited: true, at: Self.at(4300)) == nil)
        #expect(c.nextCluster(estimate: 700_000, congestedAt: Self.at(1000), applicationLimited: true, at: Self.at(7050)) == nil, "3 s after the last")
        #expect(c.nextCluster(estimate: 700_000, congestedAt: Self.at(1000), applicationLimited: true, at: Self.at(7100))?.bitsPerSecond == 1_400_000)
        c.probeResult(bitsPerSecond: 1_390_000, at: Self.at(7300))
        #expect(c.nextCluster(estimate: 1_390_000, congestedAt: nil, applicationLimited: true, at: Self.at(7300))?.bitsPerSecond == 2_000_000, "capped")
        c.probeResult(bitsPerSecond: 1_950_000, at: Self.at(7400))
        #expect(c.nextCluster(estimate: 1_950_000, congestedAt: nil, applicationLimited: true, at: Self.at(20_000)) == nil, "at the maximum: nothing to find")
    }

    /// A raise followed by congestion within 2 s misled (a shaper's burst let the probe
    /// through): the next periodic probe waits twice as long, then four times; a raise that
    /// holds 2 s resets it.
    @Test func aProbeThatMisledDoublesTheWait() {
        var c = ProbeController(maxBitsPerSecond: 2_000_000)
        _ = c.nextCluster(estimate: 300_000, congestedAt: nil, applicationLimited: true, at: Self.at(0))
        #expect(c.nextCluster(estimate: 300_000, congestedAt: nil, applicationLimited: true, at: Self.at(3000))?.bitsPerSecond == 600_000)
        c.raised(at: Self.at(3100))
        c.congestion(at: Self.at(4000))
        #expect(c.misleadingProbes == 1)
        #expect(c.nextCluster(estimate: 300_000, congestedAt: Self.at(4000), applicationLimited: true, at: Self.at(8900)) == nil)
        #expect(c.nextCluster(estimate: 300_000, congestedAt: Self.at(4000), applicationLimited: true, at: Self.at(9000)) != nil)
        c.raised(at: Self.at(9100))
        c.congestion(at: Self.at(9500))
        #expect(c.misleadingProbes == 2)
        #expect(c.nextCluster(estimate: 300_000, congestedAt: Self.at(9500), applicationLimited: true, at: Self.at(20_900)) == nil)
        #expect(c.nextCluster(estimate: 300_000, congestedAt: Self.at(9500), applicationLimited: true, at: Self.at(21_000)) != nil)
        c.raised(at: Self.at(21_100))
        _ = c.nextCluster(estimate: 600_000, congestedAt: Self.at(9500), applicationLimited: true, at: Self.at(23_100))
        #expect(c.misleadingProbes == 0, "the raise held")
    }

    /// The encoder sending a third of the target: application-limited once the budget (65 % of
    /// the target, 500 ms of it) is 80 % full, after 0.82 s; at the target again it is not,
    /// once the budget has emptied under half, 0.5 s later.
    @Test func anEncoderUnderItsTargetIsApplicationLimited() {
        var d = ApplicationLimitedDetector()
        d.setTarget(bitsPerSecond: 1_000_000)
        var states: [Bool] = []
        for ms in stride(from: 0, to: 2000, by: 10) {
            // 10 ms of 333 kbit/s, then of 1 Mbit/s.
            d.sent(bytes: ms < 1000 ? 416 : 1250, at: Self.at(Int64(ms)))
            if ms % 250 == 240 { states.append(d.limited) }
        }
        #expect(states == [false, false, false, true, true, false, false, false])
    }

    /// A cluster of 5 packets of 1000 bytes sent 3 ms apart (2.67 Mbit/s) that arrives 5 ms
    /// apart (1.6 Mbit/s): the path is full, so 95 % of the arrival rate; judged at the 4th
    /// packet reported (80 %), once.
    @Test func aProbeThatArrivesSlowerThanSentMeasuresThePath() {
        var e = ProbeBitrateEstimator()
        e.sent(cluster: 7, packets: 5, bytes: 5000)
        for i in 0..<3 {
            e.packet(cluster: 7, sentAt: Self.at(Int64(3 * i)), arrivedAt: Self.at(Int64(50 + 5 * i)), size: 1000)
            #expect(e.takeResult() == nil)
        }
        e.packet(cluster: 7, sentAt: Self.at(9), arrivedAt: Self.at(65), size: 1000)
        // Sent: 3000 bytes over 9 ms; arrived: 3000 bytes over 15 ms = 1.6 Mbit/s.
        #expect(e.takeResult() == 1_520_000)
        e.packet(cluster: 7, sentAt: Self.at(12), arrivedAt: Self.at(70), size: 1000)
        #expect(e.takeResult() == nil, "judged once")
        e.packet(cluster: 8, sentAt: Self.at(12), arrivedAt: Self.at(70), size: 1000)
        #expect(e.takeResult() == nil, "a cluster never announced")
    }

    /// With RTX, a low rate's probe is padding-only RTX packets of the size it needs; a high
    /// rate's repeats the newest packets sent, on RTX with their OSN; nothing before media.
    @Test func theSendStreamProbesWithPaddingOrRepeats() throws {
        var s = StreamSendTests.videoStream(rtx: RTPSendStream.RTX(ssrc: 0xBBBB_0002, payloadType: 97))
        #expect(s.queueProbe(bytes: 5000, packets: 5) == (0, 0))
        var rng = RTPTestRandom(seed: 4)
        try s.sendFrame(RTPTestBytes.vp8Frame(keyframe: true, size: 3000, rng: &rng), rtpTimestamp: 900, at: .zero)
        var sent: [[UInt8]] = []
        while case .sendRTP? = s.poll() { sent.append(s.packet) }
        let small = s.queueProbe(bytes: 1125, packets: 5)
        #expect(small.packets == 5 && small.bytes == 5 * 225)
        for _ in 0..<5 {
            guard case .sendRTP? = s.pollProbe() else { Issue.record("no probe packet"); return }
            let p = try RTPPacketView.parse(s.packet)
            #expect(s.packet.count == 225 && p.ssrc == 0xBBBB_0002 && p.payloadType == 97 && p.timestamp == 900)
            #expect(s.packet[0] & 0x20 != 0 && s.packet.last == UInt8(225 - 20), "padding-only")
        }
        #expect(s.pollProbe() == nil)
        let large = s.queueProbe(bytes: 6000, packets: 5)
        #expect(large.packets == 6, "5 packets were not 6000 bytes")
        var repeats: [UInt16] = []
        while case .sendRTP? = s.pollProbe() {
            let p = try RTPPacketView.parse(s.packet)
            repeats.append(s.packet.withUnsafeBytes { RTPRetransmission.originalSequence(p, in: $0) } ?? 0)
        }
        // The newest first, round again when the stream has sent fewer than the probe needs.
        #expect(repeats == [0, 65_535, 65_534, 0, 65_535, 65_534])
        #expect(s.statistics.probePacketsSent == 11 && s.statistics.retransmittedPackets == 0)
    }
}
