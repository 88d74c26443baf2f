@testable import Bandwidth
import RTP
@testable import RTPStreams
import Codecs
import Media
import SessionCore
import Testing

/// The send rate controller's rules (libwebrtc's loss-based estimate with REMB as the cap)
/// and the pacer's leaky bucket, with exact figures.
@Suite struct SendRateControllerTests {
    static let video: UInt32 = 0x1111
    static let audio: UInt32 = 0x2222
    static func at(_ ms: Int64) -> Instant { .zero + .milliseconds(ms) }

    /// A controller that has seen its first report (which only sets where counting starts).
    static func started(_ config: SendRateConfig = SendRateConfig()) -> SendRateController {
        var c = SendRateController(config: config)
        c.handleReport(ssrc: video, fractionLost: 0, extendedHighestSequence: 1000, at: at(0))
        return c
    }

    @Test func startsAtThreeHundredKilobitsAndGainsEightPercentPerCleanSecond() {
        var c = Self.started()
        #expect(c.targetBitsPerSecond == 300_000)
        var seq: UInt32 = 1000
        var targets: [Int] = []
        for second in 1...5 {
            seq += 60
            do { let r = c.handleReport(ssrc: Self.video, fractionLost: 0, extendedHighestSequence: seq, at: Self.at(Int64(second) * 1000)); #expect(r) }
            targets.append(c.targetBitsPerSecond)
        }
        // 8 % of the lowest target of the last second, plus 1 kbit/s.
        #expect(targets == [325_000, 352_000, 381_160, 412_653, 446_665])
    }

    @Test func reportsTwiceASecondRampNoFasterThanOnceASecond() {
        var c = Self.started()
        var seq: UInt32 = 1000
        for half in 1...4 {
            seq += 30
            c.handleReport(ssrc: Self.video, fractionLost: 0, extendedHighestSequence: seq, at: Self.at(Int64(half) * 500))
        }
        // t=0.5: 300k → 325k; t=1.0: the 300k of t=0.5 is still the last second's lowest →
        // 325k; t=1.5: it has left → 352k; t=2.0: 325k (t=1.5) still inside → 352k, as with
        // one report a second.
        #expect(c.targetBitsPerSecond == 352_000)
    }

    @Test func heavyLossCutsByHalfTheLossAtMostOncePerIntervalAndRoundTrip() {
        var c = Self.started()
        c.setRoundTripTime(.milliseconds(100))
        // 64/256 = 25 % lost: × (512 − 64) / 512.
        do { let r = c.handleReport(ssrc: Self.video, fractionLost: 64, extendedHighestSequence: 1040, at: Self.at(1000)); #expect(r) }
        #expect(c.targetBitsPerSecond == 262_500 && c.decreases == 1)
        // 300 ms + RTT have not passed: no second cut.
        do { let r = c.handleReport(ssrc: Self.video, fractionLost: 64, extendedHighestSequence: 1080, at: Self.at(1300)); #expect(!r) }
        do { let r = c.handleReport(ssrc: Self.video, fractionLost: 64, extendedHighestSequence: 1120, at: Self.at(1400)); #expect(r) }
        #expect(c.targetBitsPerSecond == 229_687 && c.decreases == 2)
    }

    /// A Wi-Fi link losing 10 % whatever the rate, the receiver's REMB far above: the loss is
    /// learnt as the link's own within a few reports and the rate climbs again; the same loss
    /// with no REMB (no delay signal to say it is not congestion) is judged as congestion.
    @Test func lossThatIsTheLinksOwnIsLearntWhileTheREMBLeavesRoom() {
        func run(remb: Bool) -> (targets: [Int], inherent: Double) {
            var c = Self.started()
            c.setRoundTripTime(.milliseconds(50))
            if remb { c.handleRemoteEstimate(bitsPerSecond: 3_000_000, at: Self.at(2500)) }
            var targets: [Int] = []
            for second in 3...14 {
                c.handleReport(ssrc: Self.video, fractionLost: second % 2 == 0 ? 20 : 32,
                               extendedHighestSequence: 1000 + UInt32(second) * 100, at: Self.at(Int64(second) * 1000))
                targets.append(c.targetBitsPerSecond)
            }
            return (targets, c.inherentLoss)
        }
        let learnt = run(remb: true)
        let congestion = run(remb: false)
        // The REMB's first update climbs (325k), the first 12.5 % report cuts; from then on
        // the learning holds the rate (12.5 % is no longer beyond the noise
        // above what was learnt on 100 packets), and climbs again from the ninth report.
        #expect(learnt.targets == [304_687, 304_687, 304_687, 304_687, 304_687, 304_687, 304_687, 330_062, 330_062, 357_467, 357_467, 387_064])
        #expect(congestion.targets == [281_250, 281_250, 263_671, 263_671, 247_191, 247_191, 231_741, 231_741, 217_257, 217_257, 203_678, 203_678])
        #expect(abs(learnt.inherent - 20.38) < 0.01)
        #expect(congestion.inherent == 0)
    }

    @Test func moderateLossHolds() {
        var c = Self.started()
        // 13/256 ≈ 5 %: between 2 and 10 %, nothing changes.
        do { let r = c.handleReport(ssrc: Self.video, fractionLost: 13, extendedHighestSequence: 1040, at: Self.at(1000)); #expect(!r) }
        #expect(c.targetBitsPerSecond == 300_000 && c.lastFractionLost == 13)
    }

    @Test func fewPacketsAreAccumulatedAcrossStreamsBeforeJudging() {
        var c = Self.started()
        c.handleReport(ssrc: Self.audio, fractionLost: 0, extendedHighestSequence: 7, at: Self.at(0))
        // 10 video packets at 50 % loss: too few to judge.
        do { let r = c.handleReport(ssrc: Self.video, fractionLost: 128, extendedHighestSequence: 1010, at: Self.at(1000)); #expect(!r) }
        #expect(c.targetBitsPerSecond == 300_000)
        // 10 audio packets with no loss complete 20: (128·10 + 0·10) / 20 = 64 → 25 % → cut.
        do { let r = c.handleReport(ssrc: Self.audio, fractionLost: 0, extendedHighestSequence: 17, at: Self.at(1010)); #expect(r) }
        #expect(c.lastFractionLost == 64 && c.targetBitsPerSecond == 262_500)
    }

    @Test func aReportAboutOlderPacketsIsIgnored() {
        var c = Self.started()
        do { let r = c.handleReport(ssrc: Self.video, fractionLost: 255, extendedHighestSequence: 900, at: Self.at(1000)); #expect(!r) }
        #expect(c.targetBitsPerSecond == 300_000 && c.decreases == 0)
    }

    @Test func rembCapsTheTargetAndRaisesItOnlyInTheCleanStartPhase() {
        var c = Self.started(SendRateConfig(maxBitsPerSecond: 900_000))
        // First 2 s, no loss: the receiver's estimate is taken up to the maximum.
        do { let r = c.handleRemoteEstimate(bitsPerSecond: 2_000_000, at: Self.at(500)); #expect(r) }
        #expect(c.targetBitsPerSecond == 900_000)
        do { let r = c.handleRemoteEstimate(bitsPerSecond: 250_000, at: Self.at(2500)); #expect(r) }
        #expect(c.targetBitsPerSecond == 250_000 && c.remoteEstimate == 250_000)
        // After the start phase a higher REMB is a cap, not a target: the loss rule climbs.
        do { let r = c.handleRemoteEstimate(bitsPerSecond: 2_000_000, at: Self.at(3000)); #expect(r) }
        #expect(c.targetBitsPerSecond == 271_000)
    }

    @Test func theTargetStaysWithinItsBounds() {
        var c = Self.started(SendRateConfig(minBitsPerSecond: 150_000, maxBitsPerSecond: 320_000))
        c.handleRemoteEstimate(bitsPerSecond: 10_000, at: Self.at(3000))
        #expect(c.targetBitsPerSecond == 150_000)
        var d = Self.started(SendRateConfig(minBitsPerSecond: 150_000, maxBitsPerSecond: 320_000))
        d.handleReport(ssrc: Self.video, fractionLost: 0, extendedHighestSequence: 1100, at: Self.at(1000))
        #expect(d.targetBitsPerSecond == 320_000)
    }
}

@Suite struct PacerTests {
    static func at(_ ms: Double) -> Instant { .zero + .nanoseconds(Int64(ms * 1e6)) }

    @Test func aPacketWaitsUntilTheDebtOfTheLastIsPaidAtTwoAndAHalfTimesTheTarget() {
        // 400 kbit/s × 2.5 = 1 Mbit/s = 125 bytes per millisecond.
        var p = Pacer(targetBitsPerSecond: 400_000)
        do { let r = p.maySend(at: Self.at(0), queuedBytes: 2500); #expect(r) }
        p.sent(bytes: 1250, at: Self.at(0), queuedBytes: 1250)
        #expect(p.nextSendTime(queuedBytes: 1250) == Self.at(10))
        do { let r = p.maySend(at: Self.at(5), queuedBytes: 1250); #expect(!r) }
        do { let r = p.maySend(at: Self.at(10), queuedBytes: 1250); #expect(r) }
    }

    @Test func aLongQueueDrainsWithinTheQueueTimeLimit() {
        var p = Pacer(targetBitsPerSecond: 400_000)
        p.sent(bytes: 1250, at: Self.at(0), queuedBytes: 500_000)
        // 500 kB would take 4 s at 1 Mbit/s: it drains at 2 Mbit/s instead, in 2 s.
        #expect(p.nextSendTime(queuedBytes: 500_000) == Self.at(5))
    }

    @Test func aLowerTargetSlowsThePace() {
        var p = Pacer(targetBitsPerSecond: 400_000)
        p.setTarget(bitsPerSecond: 200_000)
        p.sent(bytes: 1250, at: Self.at(0))
        #expect(p.nextSendTime(queuedBytes: 1250) == Self.at(20))
    }
}

@Suite struct VideoLadderTests {
    @Test func stepsDownUnderItsThresholdsAndBackWithRoomBetween() {
        var l = VideoLadder(videoKbps: 800)
        #expect(l.step == .full)
        do { let r = l.update(videoKbps: 260); #expect(!r) }
        do { let r = l.update(videoKbps: 249); #expect(r && l.step == .half) }
        // Between 250 and 320 it stays where it is.
        do { let r = l.update(videoKbps: 300); #expect(!r) }
        do { let r = l.update(videoKbps: 79); #expect(r && l.step == .halfAtHalfRate) }
        #expect(l.encodes(frame: 0) && !l.encodes(frame: 1) && l.encodes(frame: 2))
        do { let r = l.update(videoKbps: 100); #expect(!r) }
        do { let r = l.update(videoKbps: 110); #expect(r && l.step == .half) }
        do { let r = l.update(videoKbps: 320); #expect(r && l.step == .full) }
        #expect(VideoLadder(videoKbps: 219).step == .half && VideoLadder(videoKbps: 50).step == .halfAtHalfRate)
    }

    /// The encoder's rate control dropping 7 of the last 32 full-size frames halves the
    /// picture whatever the target; full size then needs half as much target again, and 10 s.
    @Test func framesDroppedAtFullSizeHalveThePicture() {
        var l = VideoLadder(videoKbps: 500)
        // One drop in six (5 or 6 of 32): a busy picture, still full size.
        for i in 0..<64 { let r = l.encoded(i % 6 != 0, videoKbps: 500); #expect(!r) }
        #expect(l.step == .full)
        // One in four: the seventh drop within 32 frames halves it, once.
        var moved = 0
        for i in 0..<64 where l.encoded(i % 4 != 0, videoKbps: 500) { moved += 1 }
        #expect(moved == 1 && l.step == .half)
        // Drops at half size are not counted; 500 kbit/s is not enough to go back, 750 is, but
        // only after 300 frames (10 s) at half size.
        do { let r = l.encoded(false, videoKbps: 500); #expect(!r) }
        do { let r = l.update(videoKbps: 750); #expect(!r && l.step == .half) }
        while l.framesAtHalf < 299 { _ = l.encoded(true, videoKbps: 750) }
        do { let r = l.update(videoKbps: 750); #expect(!r && l.step == .half) }
        _ = l.encoded(true, videoKbps: 750)
        do { let r = l.update(videoKbps: 700); #expect(!r && l.step == .half) }
        do { let r = l.update(videoKbps: 750); #expect(r && l.step == .full) }
        // Back at full size the bar is the usual one again.
        do { let r = l.update(videoKbps: 249); #expect(r && l.step == .half) }
        do { let r = l.update(videoKbps: 320); #expect(r && l.step == .full) }
    }

    @Test func halfScalerAveragesTwoByTwoBlocks() {
        // 4x2 luma: rows [10 20 30 40] [50 60 70 80]; chroma 2x1 each.
        let planes: [UInt8] = [10, 20, 30, 40, 50, 60, 70, 80, 100, 104, 200, 202]
        var buffer: [UInt8] = []
        let half = HalfScaler.halve(VideoFrame(width: 4, height: 2, planes: planes), into: &buffer)
        #expect(half.width == 2 && half.height == 2)
        // Never under 2x2: row 0 = means of rows 0-1 (35, 55); row 1 clamps to the source's last
        // row (55, 75); chroma 1x1 = the mean of its 2x1 (rounded).
        #expect(Array(half.planes) == [35, 55, 55, 75, 102, 201])
    }

    @Test func halfScalerAveragesACameraPictureWithLibyuv() {
        // 640x480 with a value per 2x2 block that libyuv's box filter must give back exactly:
        // block (bx, by) holds 4 samples whose rounded mean is (bx + by) % 251.
        let w = 640, h = 480, cw = 320, ch = 240
        var planes = [UInt8](repeating: 0, count: VideoFrame.byteCount(width: w, height: h))
        for y in 0..<h { for x in 0..<w {
            let m = (x / 2 + y / 2) % 251
            planes[y * w + x] = UInt8(m + (x % 2 == 0 ? (y % 2 == 0 ? 1 : -1) : 0) + 1)
        } }
        for i in 0..<(cw * ch) { planes[w * h + i] = 90; planes[w * h + cw * ch + i] = UInt8(i % 200) }
        var buffer: [UInt8] = []
        let half = HalfScaler.halve(VideoFrame(width: w, height: h, planes: planes), into: &buffer)
        #expect(half.width == 320 && half.height == 240)
        var wrong = 0
        for by in 0..<240 { for bx in 0..<320 where half.planes[by * 320 + bx] != UInt8((bx + by) % 251 + 1) { wrong += 1 } }
        #expect(wrong == 0)
        // Chroma 320x240 → 160x120: U constant, V the mean of each 2x2 block of i % 200.
        #expect(half.planes[320 * 240] == 90 && half.planes[320 * 240 + 160 * 120 - 1] == 90)
        let v = 320 * 240 + 160 * 120
        let expected = (0 + 1 + 320 % 200 + 321 % 200 + 2) / 4 // block (0,0) of V: i = 0, 1, 320, 321
        #expect(half.planes[v] == UInt8(expected))
    }
}

@Suite struct TransportFeedbackRecorderTests {
    static func at(_ us: Int64) -> Instant { .zero + .microseconds(us) }

    @Test func reportsArrivalsAndGapsEveryHundredMilliseconds() throws {
        var r = TransportFeedbackRecorder(senderSSRC: 9, extensionID: 3)
        // 100, 101, (102 lost), 103 — arriving 1 s + 0, 1 ms, 3.5 ms.
        r.record(100, at: Self.at(1_000_000))
        r.record(101, at: Self.at(1_001_000))
        r.record(103, at: Self.at(1_003_500))
        let early = r.feedback(mediaSSRC: 7, at: Self.at(1_050_000))
        #expect(early == nil, "not due before 100 ms")
        let due = r.feedback(mediaSSRC: 7, at: Self.at(1_100_000))
        let fb = try #require(due)
        // Reference time 1 s / 64 ms = 15 (960 ms); deltas in 250 µs from it, then from each other.
        #expect(fb.senderSSRC == 9 && fb.mediaSSRC == 7 && fb.baseSequenceNumber == 100 && fb.referenceTime == 15)
        #expect(fb.feedbackPacketCount == 0)
        #expect(fb.packets.map(\.receiveDelta) == [160, 4, nil, 10])
        // The next starts after the last reported; a late 102 was already said lost and is not
        // said again; the next feedback is due 100 ms after the first new arrival.
        r.record(102, at: Self.at(1_120_000))
        r.record(104, at: Self.at(1_121_000))
        let later = r.feedback(mediaSSRC: 7, at: Self.at(1_221_000))
        let next = try #require(later)
        #expect(next.baseSequenceNumber == 104 && next.feedbackPacketCount == 1 && next.packets.count == 1)
        #expect(r.feedbacksSent == 2)
        // It round-trips through the RTCP parser.
        var bytes: [UInt8] = []
        fb.write(to: &bytes)
        let parsed = try RTCPPacket.parseCompound(bytes)
        #expect(parsed == [.transportFeedback(fb)])
    }

    @Test func sequenceNumbersWrap() {
        #expect(TransportFeedbackRecorder.extend(2, after: 65_534) == 65_538)
        #expect(TransportFeedbackRecorder.extend(65_535, after: 65_538) == 65_535)
        #expect(TransportFeedbackRecorder.extend(5, after: nil) == 5)
    }
}

@Suite struct AudioLossExpectationTests {
    @Test func followsTheReportedLossUpAtOnceAndDownSlowly() {
        var e = AudioLossExpectation()
        #expect(e.percent == 5)
        // A clean first report: none.
        var seen: [Int] = []
        for _ in 0..<3 { if e.handleReport(fractionLost: 0) { seen.append(e.percent) } }
        #expect(seen == [0])
        // 10 % (26/256): up at once to the level that covers the smoothed 4 %, then 10.
        seen = []
        for _ in 0..<4 { if e.handleReport(fractionLost: 26) { seen.append(e.percent) } }
        #expect(seen == [5, 10])
        // A single clean report does not bring it down; a run of them does, a level at a time.
        let moved = e.handleReport(fractionLost: 0) || e.handleReport(fractionLost: 26)
        #expect(!moved)
        seen = []
        for _ in 0..<8 { if e.handleReport(fractionLost: 0) { seen.append(e.percent) } }
        #expect(seen == [5, 2, 0])
        // Heavy loss: capped at 25.
        for _ in 0..<5 { _ = e.handleReport(fractionLost: 128) }
        #expect(e.percent == 25)
    }
}

@Suite struct VideoFreezeDetectorTests {
    static let frame: Int64 = 33_333_333

    @Test func countsAFreezeAsWebrtcStatsDefinesIt() {
        var d = VideoFreezeDetector()
        var t: Int64 = 0
        for _ in 0..<30 { d.frame(atNanos: t); t += Self.frame }
        // 120 ms: under max(3 × 33, 33 + 150) = 183 ms, not a freeze.
        t += 120_000_000 - Self.frame
        d.frame(atNanos: t)
        #expect(d.freezeCount == 0)
        for _ in 0..<10 { t += Self.frame; d.frame(atNanos: t) }
        // 500 ms without a frame: one freeze of 500 ms.
        t += 500_000_000
        d.frame(atNanos: t)
        #expect(d.freezeCount == 1)
        #expect(d.totalFreezesNanos == 500_000_000)
        #expect(d.longestFreezeNanos == 500_000_000)
        #expect(d.frames == 42)
        #expect(d.sinceLastFrame(atNanos: t + 7) == 7)
    }

    @Test func needsFiveGapsBeforeItJudgesAndCountsTheRate() {
        var d = VideoFreezeDetector()
        d.frame(atNanos: 0)
        d.frame(atNanos: 1_000_000_000)
        #expect(d.freezeCount == 0)
        var t: Int64 = 1_000_000_000
        for _ in 0..<15 { t += 66_666_666; d.frame(atNanos: t) }
        // The 15 frames at 15 fps and the one at 1.0 s, just inside the last second.
        #expect(d.framesPerSecond(atNanos: t) == 16)
        #expect(d.framesPerSecond(atNanos: t + 100_000_000) == 14)
        #expect(d.framesPerSecond(atNanos: t + 2_000_000_000) == 0)
    }
}
