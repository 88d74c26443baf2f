@testable import RTPStreams
import SessionCore
import Testing

/// The video playout delay: none until packets are being repaired, then a round trip (and
/// 5 ms), reached at 100 ms per second of media; frames due on the sender's clock, so one
/// completed late by a repair is still shown on time.
@Suite struct PlayoutDelayTests {
    static func at(_ ms: Double) -> Instant { .zero + .nanoseconds(Int64(ms * 1e6)) }
    /// Frame `i` of a 30 fps stream, sent at i × 33.3 ms, arriving 20 ms later (+ `late`).
    static func due(_ p: inout RTPPlayoutDelay, _ i: Int, late: Double = 0) -> (arrival: Double, due: Double) {
        let arrival = 1000 + Double(i) * 1000 / 30 + 20 + late
        let d = p.due(rtpTimestamp: UInt32(truncatingIfNeeded: 5000 + i * 3000), firstArrival: at(arrival), at: at(arrival))
        return (arrival, Double(d.nanoseconds) / 1e6)
    }

    @Test func framesWaitARoundTripOnlyWhileRepairsAreNeeded() {
        var p = RTPPlayoutDelay(clockRate: 90_000)
        p.setRoundTripTime(.milliseconds(100))
        for i in 0..<30 {
            let f = Self.due(&p, i)
            #expect(abs(f.due - f.arrival) < 0.001, "frame \(i): no repair yet, no delay")
        }
        for k in 0..<3 { p.repaired(at: Self.at(2000 + Double(k))) }
        #expect(p.target == .milliseconds(105))
        // 100 ms of delay per second of media: 3.3 ms a frame, 105 ms after 32 frames.
        var delays: [Double] = []
        for i in 30..<70 { let f = Self.due(&p, i); delays.append((f.due - f.arrival).rounded()) }
        #expect(delays.prefix(3) == [3, 7, 10])
        #expect(delays.firstIndex(of: 105) == 31)
        #expect(p.current == .milliseconds(105))
        // A frame completed 90 ms late (its packet came back by retransmission) is due when it
        // would have been: on time.
        let onTime = Self.due(&p, 70)
        let repaired = Self.due(&p, 71, late: 90)
        #expect((onTime.due - onTime.arrival).rounded() == 105)
        #expect((repaired.due - (repaired.arrival - 90)).rounded() == 105)
        // 30 s after the third-last repair the delay goes back to none.
        var i = 72
        while Self.due(&p, i).arrival < 2000 + 30_000 { i += 1 }
        #expect(p.target == .zero)
        for _ in 0..<40 { i += 1; _ = Self.due(&p, i) }
        #expect(p.current == .zero)
    }

    /// RTP time that jumps ahead of the clock (the sender restarted its encoder) is mapped
    /// afresh, not held for.
    @Test func aJumpInRTPTimeIsNotWaitedFor() {
        var p = RTPPlayoutDelay(clockRate: 90_000)
        _ = Self.due(&p, 0)
        let arrival = Self.at(1100)
        let due = p.due(rtpTimestamp: 5000 + 90_000 * 20, firstArrival: arrival, at: arrival)
        #expect(due == arrival)
        let next = p.due(rtpTimestamp: 5000 + 90_000 * 20 + 3000, firstArrival: Self.at(1133.3), at: Self.at(1133.3))
        #expect(next == Self.at(1133.3))
    }
}
