@testable import RTPStreams
import SessionCore
import Testing

/// When a keyframe request goes out: at once, then no more than one per interval, and not
/// while a keyframe is on its way.
@Suite struct KeyframeRequesterTests {
    static func at(_ ms: Int64) -> Instant { .zero + .milliseconds(ms) }

    @Test func requestsAreSpacedByTheInterval() {
        var k = RTPKeyframeRequester(minInterval: .milliseconds(500))
        do { let r = k.request(at: Self.at(0)); #expect(r) }
        do { let r = k.request(at: Self.at(100)); #expect(!r) }
        #expect(k.deadline == Self.at(500))
        do { let r = k.handleTimeout(at: Self.at(499)); #expect(!r) }
        do { let r = k.handleTimeout(at: Self.at(500)); #expect(r) }
        #expect(k.deadline == nil)
    }

    /// A keyframe started arriving: asks meanwhile wait; delivered, they are moot.
    @Test func aKeyframeOnItsWayHoldsRequestsUntilDelivered() {
        var k = RTPKeyframeRequester(minInterval: .milliseconds(500))
        do { let r = k.request(at: Self.at(0)); #expect(r) }
        k.keyframeStarted(at: Self.at(120))
        do { let r = k.request(at: Self.at(700)); #expect(!r) }   // past the interval, but one is coming
        #expect(k.deadline == Self.at(1120))
        do { let r = k.handleTimeout(at: Self.at(800)); #expect(!r) }
        k.keyframeArrived()
        #expect(k.deadline == nil && !k.pending)
        do { let r = k.handleTimeout(at: Self.at(2000)); #expect(!r) }
    }

    /// The keyframe on its way was given up (incomplete): the request waiting goes out then.
    @Test func aKeyframeGivenUpLetsTheWaitingRequestGo() {
        var k = RTPKeyframeRequester(minInterval: .milliseconds(500))
        do { let r = k.request(at: Self.at(0)); #expect(r) }
        k.keyframeStarted(at: Self.at(120))
        do { let r = k.request(at: Self.at(600)); #expect(!r) }
        k.frameGivenUp()
        #expect(k.deadline == Self.at(500))
        do { let r = k.handleTimeout(at: Self.at(650)); #expect(r) }
        #expect(k.lastSent == Self.at(650))
    }

    /// Neither delivered nor given up within a second: the waiting request goes out.
    @Test func aKeyframeThatNeverCompletesStopsHoldingAfterASecond() {
        var k = RTPKeyframeRequester(minInterval: .milliseconds(500))
        k.keyframeStarted(at: Self.at(0))
        do { let r = k.request(at: Self.at(200)); #expect(!r) }
        do { let r = k.handleTimeout(at: Self.at(999)); #expect(!r) }
        do { let r = k.handleTimeout(at: Self.at(1000)); #expect(r) }
        #expect(k.inFlightSince == nil && !k.pending)
    }
}
