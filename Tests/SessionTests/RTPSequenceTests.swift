@testable import RTP
import Testing

@Suite struct RTPSequenceTests {
    @Test func unwrapsAcrossTheWrap() {
        var u = RTPSequenceUnwrapper()
        #expect([65534, 65535, 0, 1].map { u.unwrap($0) } == [65534, 65535, 65536, 65537])
    }

    @Test func reorderedPacketsAroundTheWrapLandInPlace() {
        var u = RTPSequenceUnwrapper()
        #expect([65535, 1, 0, 65534, 2].map { u.unwrap($0) } == [65535, 65537, 65536, 65534, 65538])
        #expect(u.highest == 65538)
    }

    @Test func packetsBeforeTheFirstUnwrapBelowIt() {
        var u = RTPSequenceUnwrapper()
        #expect(u.unwrap(0) == 0)
        #expect(u.unwrap(65535) == -1)
        #expect(u.peek(1) == 1)
    }

    @Test func newerIsHalfTheSpaceAhead() {
        #expect(RTPSequence.isNewer(1, than: 65535))
        #expect(!RTPSequence.isNewer(65535, than: 1))
        #expect(RTPSequence.distance(from: 65530, to: 4) == 10)
        #expect(RTPSequence.distance(from: 4, to: 65530) == -10)
    }

    @Test func timestampsUnwrap() {
        var u = RTPTimestampUnwrapper()
        #expect(u.unwrap(0xFFFF_FF00) == 0xFFFF_FF00)
        #expect(u.unwrap(0x0000_0100) == 0x1_0000_0100)
        #expect(u.unwrap(0xFFFF_FF80) == 0xFFFF_FF80)
    }

    @Test func mediaClockArithmetic() {
        #expect(RTPTimestamp.ticks(in: .milliseconds(20), clockRate: 48_000) == 960)
        #expect(RTPTimestamp.ticks(in: .milliseconds(100), clockRate: 90_000) == 9000)
        #expect(RTPTimestamp.ticks(in: .seconds(100_000), clockRate: 90_000) == 9_000_000_000)
        #expect(RTPTimestamp.duration(ticks: 3000, clockRate: 90_000) == .nanoseconds(33_333_333))
        #expect(RTPTimestamp.advance(0xFFFF_FFFF, by: .milliseconds(20), clockRate: 48_000) == 959)
        #expect(RTPTimestamp.ticks(at: .rtpMS(1500), clockRate: 90_000) == 135_000)
    }
}
