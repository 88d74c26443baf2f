import Foundation
import Testing
import Media
@testable import Devices

@Suite struct SyntheticCameraTests {
    let ms: Int64 = 1_000_000

    @Test func pacedByCallerTimeAtRequestedRate() throws {
        let cam = SyntheticCamera(request: CameraRequest(width: 320, height: 240, fps: 30))
        try cam.start()
        var frames: [VideoFrame] = []
        // 1 s of caller time in 1 ms steps: exactly 30 frames, no drops.
        for t in stride(from: Int64(0), to: 1000 * ms, by: Int(ms)) {
            if let f = try cam.nextFrame(now: 5_000 * ms + t, timeoutMillis: 0) { frames.append(f) }
        }
        #expect(frames.count == 30)
        #expect(cam.statistics.framesDropped == 0)
        #expect(frames.allSatisfy { $0.width == 320 && $0.height == 240 })
        #expect(frames[1].timestampNanos - frames[0].timestampNanos == 33_333_333)
        #expect(abs(cam.statistics.deliveredFPS - 30) < 0.01)
    }

    @Test func lateCallerGetsLatestFrameAndCountsDrops() throws {
        let cam = SyntheticCamera(request: CameraRequest(width: 64, height: 48, fps: 10))
        try cam.start()
        let f0 = try #require(try cam.nextFrame(now: 0, timeoutMillis: 0))
        #expect(try cam.nextFrame(now: 50 * ms, timeoutMillis: 0) == nil)
        let f = try #require(try cam.nextFrame(now: 350 * ms, timeoutMillis: 0))
        #expect(f0.timestampNanos == 0)
        #expect(f.timestampNanos == 300 * ms)
        #expect(cam.statistics.framesDropped == 2)
        #expect(cam.nextDeadlineNanos == 400 * ms)
    }

    @Test func counterAndTimestampReadBackFromPixels() throws {
        let cam = SyntheticCamera(request: CameraRequest(width: 640, height: 480, fps: 30))
        try cam.start()
        var last: VideoFrame?
        for i in 0..<8 { last = try cam.nextFrame(now: 123_456 * ms + Int64(i) * 34 * ms, timeoutMillis: 0) ?? last }
        let frame = try #require(last)
        let read = try #require(TestPattern.read(frame))
        #expect(read.index == 7)
        #expect(read.millis == frame.timestampNanos / ms)
        #expect(read.millis == 123_456 + 233)
    }

    @Test func deterministicAndMoving() {
        let a = TestPattern.render(index: 5, timestampNanos: 42, width: 160, height: 120)
        let b = TestPattern.render(index: 5, timestampNanos: 42, width: 160, height: 120)
        let c = TestPattern.render(index: 6, timestampNanos: 42, width: 160, height: 120)
        #expect(a.planes == b.planes)
        #expect(a.planes != c.planes)
        // Not a flat picture: bars span most of the luma range.
        let luma = a.planes[0..<a.lumaCount]
        #expect((luma.max() ?? 0) - (luma.min() ?? 0) > 200)
        #expect(TestPattern.read(a)?.index == 5)
    }

    @Test func readsThroughMildNoise() throws {
        var frame = TestPattern.render(index: 987_654, timestampNanos: 1_234_567_000_000, width: 640, height: 360)
        // +-20 of luma noise, as after lossy coding.
        for i in 0..<frame.lumaCount { frame.planes[i] = UInt8(clamping: Int(frame.planes[i]) + (i % 7 - 3) * 6) }
        let read = try #require(TestPattern.read(frame))
        #expect(read.index == 987_654)
        #expect(read.millis == 1_234_567)
    }

    /// The sender's ladder halves the picture under a low send rate: the stamps still read.
    @Test func readsAPictureTheSenderHalved() throws {
        let full = TestPattern.render(index: 4321, timestampNanos: 987_654_321_000_000, width: 640, height: 480)
        var half = VideoFrame(width: 320, height: 240, y: 0, u: 128, v: 128)
        for y in 0..<240 {
            for x in 0..<320 {
                let sum = [(0, 0), (1, 0), (0, 1), (1, 1)].reduce(0) { $0 + Int(full.planes[(2 * y + $1.1) * 640 + 2 * x + $1.0]) }
                half.planes[y * 320 + x] = UInt8(sum / 4)
            }
        }
        let read = try #require(TestPattern.read(half))
        #expect(read.index == 4321 && read.millis == 987_654_321 % 1_000_000_000)
    }

    @Test func notStartedIsTypedError() {
        let cam = SyntheticCamera()
        #expect(throws: DeviceError.notStarted(device: "synthetic")) { try cam.nextFrame(now: 0, timeoutMillis: 0) }
    }
}

/// The clinician page draws and reads the same stamps in JavaScript (stamps.js): its glyphs
/// must be the synthetic camera's, digit for digit.
@Suite struct StampFontTests {
    @Test func thePagesGlyphsAreTheCamerasGlyphs() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../Sources/PracticeKit/Public/stamps.js")
        let script = try String(contentsOf: url, encoding: .utf8)
        let rows = script.matches(of: try Regex(#"0b([01]{5})"#)).compactMap { m in
            (m.output[1].substring).flatMap { UInt8($0, radix: 2) }
        }
        #expect(rows == DigitFont.glyphs.flatMap { $0 })
    }
}
