@testable import Bandwidth
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
