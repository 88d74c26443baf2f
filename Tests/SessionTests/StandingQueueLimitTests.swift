@testable import Bandwidth
import SessionCore
import Testing

/// The REMB cap the kiosk sends while the path toward it holds a standing queue, read from the
/// remote's abs-send-time against arrival (here a packet every 20 ms).
@Suite struct StandingQueueLimitTests {
    /// `seconds` of packets from `start` (sent at `t`, 2^18 ticks a second in 24 bits, as
    /// abs-send-time), each `bytes` long and held `queue(t)` by the path (on top of a fixed 30
    /// ms); the REMBs due on the way, with their times.
    static func run(_ limit: inout StandingQueueLimit, from start: Double = 0, seconds: Double, bytes: Int = 500,
                    queue: (Double) -> Double) -> [(at: Double, bps: UInt64)] {
        var rembs: [(Double, UInt64)] = []
        var t = start
        while t < start + seconds {
            let at = Instant.zero + .nanoseconds(Int64((t + 0.030 + queue(t)) * 1e9))
            limit.received(bytes: bytes, at: at)
            limit.packet(absSendTime: Self.absSendTime(t), at: at)
            if let bps = limit.remb(at: at) { rembs.append((t, bps)) }
            t += 0.020
        }
        return rembs
    }

    static func absSendTime(_ t: Double) -> UInt32 { UInt32(Int64(t * 262_144) & 0xFF_FFFF) }

    /// 500-byte packets every 20 ms: 200 kbit/s come in.
    static let incoming = 200_000

    @Test func aStandingQueueCutsTheSenderAndKeepsCuttingWhileItStands() {
        var limit = StandingQueueLimit()
        // 12 s with no queue: the base is learnt, nothing is sent.
        #expect(Self.run(&limit, seconds: 12) { _ in 0 }.isEmpty)
        #expect(limit.limit == nil && limit.lastQueue.map { $0 < .milliseconds(1) } == true)
        // Then the queue stands at 70 ms.
        let rembs = Self.run(&limit, from: 12, seconds: 3.2) { _ in 0.070 }
        // 85 % of what came, then 85 % of the cap a second later (what comes is not less), and so on.
        #expect(rembs.map(\.bps) == [170_000, 144_500, 122_825])
        #expect(limit.cuts == 3)
        let times = rembs.map { Int(($0.at - 12) * 1000) }
        #expect(times.count == 3 && times[1] - times[0] >= 1000 && times[2] - times[1] >= 1000, "\(times)")
        // Never under 100 kbit/s.
        _ = Self.run(&limit, from: 15.2, seconds: 5) { _ in 0.070 }
        #expect(limit.limit == StandingQueueLimit.minimumBitsPerSecond)
    }

    /// A queue that drains after the first cut (the sender followed) is not cut again until it
    /// stops draining: the sender takes a while, and cutting on while it drained took Chromium
    /// from 300 to 100 kbit/s in the lab.
    @Test func aDrainingQueueIsNotCutAgain() {
        var limit = StandingQueueLimit()
        _ = Self.run(&limit, seconds: 12) { _ in 0 }
        // 150 ms for a second, then 40 ms less each second down to 50 ms, where it stays.
        let rembs = Self.run(&limit, from: 12, seconds: 4.4) { t in t < 13 ? 0.150 : max(0.050, 0.150 - 0.040 * (t - 13)) }
        let cuts = rembs.map(\.bps).reduce(into: [UInt64]()) { if $0.last != $1 { $0.append($1) } }
        #expect(cuts == [170_000, 144_500])
        #expect(limit.cuts == 2)
        // The second cut only once the queue stood still at 50 ms (from 15.5 s; a third would
        // come a second later, the queue still standing).
        #expect(rembs.first { $0.bps == 144_500 }.map { $0.at >= 15.5 } == true)
    }

    /// A delay that stays while the sender keeps under the cap is a longer path, not a queue
    /// (the lab's shaper added 64 ms for good when the cap went on, and cutting on took
    /// Chromium to 100 kbit/s): one cut, then that delay is the base and the cap rises again.
    @Test func aLongerPathIsTakenAsTheBase() {
        var limit = StandingQueueLimit()
        _ = Self.run(&limit, seconds: 12) { _ in 0 }
        _ = Self.run(&limit, from: 12, seconds: 1.1) { _ in 0.064 }
        #expect(limit.limit == 170_000 && limit.cuts == 1)
        // The sender follows the cap (350-byte packets: 140 kbit/s); the 64 ms stay.
        let rembs = Self.run(&limit, from: 13.1, seconds: 4, bytes: 350) { _ in 0.064 }
        #expect(limit.cuts == 1)
        #expect(limit.lastQueue.map { $0 < .milliseconds(1) } == true)
        #expect(rembs.allSatisfy { $0.bps >= 170_000 } && (limit.limit ?? 0) > 170_000)
    }

    /// A fixed path delay (a long route) is the base, not a queue; nor is jitter that comes
    /// and goes within half a second (its least stays low).
    @Test func aLongPathAndJitterAreNotAQueue() {
        var limit = StandingQueueLimit()
        var k = 0
        let rembs = Self.run(&limit, seconds: 20) { _ in
            k += 1
            return 0.100 + (k % 7 == 0 ? 0.120 : 0.002 * Double(k % 5))
        }
        #expect(rembs.isEmpty)
        #expect(limit.limit == nil && limit.cuts == 0)
    }

    /// Once the queue drains the cap rises 8 % a second, resent every second; after 10 s
    /// drained it is lifted with a REMB far above any rate, and then nothing more is sent.
    @Test func theCapRisesOnceDrainedAndIsLifted() {
        var limit = StandingQueueLimit()
        _ = Self.run(&limit, seconds: 12) { _ in 0 }
        _ = Self.run(&limit, from: 12, seconds: 1.1) { _ in 0.080 }
        #expect(limit.limit == 170_000)
        let rembs = Self.run(&limit, from: 13.1, seconds: 12) { _ in 0.002 }
        #expect(rembs.count == 11)
        #expect(rembs.dropLast().allSatisfy { $0.bps >= 170_000 && $0.bps < 400_000 })
        #expect(rembs.dropLast().last.map { $0.bps > 300_000 } == true, "it rose")
        #expect(rembs.last?.bps == StandingQueueLimit.lifted)
        #expect(limit.limit == nil)
        #expect(Self.run(&limit, from: 25.1, seconds: 5) { _ in 0.002 }.isEmpty)
    }

    /// Packets without the extension (or not stamped by the pacer) say what comes in, not
    /// how long it waited: under ten samples in half a second say nothing about the queue.
    @Test func packetsWithoutASendTimeSayNothingOfTheQueue() {
        var limit = StandingQueueLimit()
        _ = Self.run(&limit, seconds: 12) { _ in 0 }
        for i in 0..<40 { limit.received(bytes: 500, at: .zero + .milliseconds(12_200 + Int64(i) * 20)) }
        #expect(limit.limit == nil && limit.lastQueue == nil)
    }

    /// abs-send-time wraps every 64 s; a packet reordered across the wrap is still in place,
    /// and hours of call neither overflow nor drift.
    @Test func theSendTimeIsUnwrapped() {
        var limit = StandingQueueLimit()
        // 70 s from 3 h in: the wrap at 64 s multiples passes once, the queue stays nil-free and 0.
        #expect(Self.run(&limit, from: 3 * 3600, seconds: 70) { _ in 0 }.isEmpty)
        #expect(limit.lastQueue.map { $0 < .milliseconds(1) } == true)
        // One packet from before the last wrap arriving late counts as 80 ms held, not 64 s.
        let t = 3 * 3600 + 70.0
        let at = Instant.zero + .nanoseconds(Int64((t + 0.030) * 1e9))
        limit.packet(absSendTime: Self.absSendTime(t - 0.080), at: at)
        _ = Self.run(&limit, from: t, seconds: 0.6) { _ in 0 }
        #expect(limit.lastQueue.map { $0 < .milliseconds(1) } == true, "the late packet is not the block's least")
    }
}
