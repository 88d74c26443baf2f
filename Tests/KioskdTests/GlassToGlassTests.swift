import Devices
@testable import KioskCore
import Media
import Testing

/// The arithmetic of the product's own glass-to-glass figure (the measurement itself runs in
/// `kioskd demo` and `make bench` against Chromium).
@Suite struct GlassToGlassTests {
    @Test func latencyIsTheStampsAgeModuloTheStampsPeriod() {
        // 12:00:00.250 stamped, seen 48 ms later.
        #expect(GlassToGlass.latencyMillis(stamp: 43_200_250, nowRealtimeNanos: 43_200_298_400_000) == 48)
        // Across the stamps' wrap at 10^9 ms.
        #expect(GlassToGlass.latencyMillis(stamp: 999_999_990, nowRealtimeNanos: 2_000_000_005_000_000) == 15)
    }

    @Test func theSummaryIsTheMedianAnd95thPercentileOfTheLastMinute() {
        var r = GlassToGlass.Recorder()
        #expect(r.summary.samples == 0 && r.summary.p50Ms == nil)
        for ms in 1...100 { r.add(Int64(ms)) }
        r.add(-3)       // a clock far off: left out
        r.add(50_000)   // digits that happened to match: left out
        #expect(r.summary.samples == 100 && r.summary.p50Ms == 50 && r.summary.p95Ms == 96)
        // Only the ring's last minute counts.
        for _ in 0..<GlassToGlass.Recorder.capacity { r.add(7) }
        #expect(r.summary.p50Ms == 7 && r.summary.p95Ms == 7 && r.summary.samples == 100 + GlassToGlass.Recorder.capacity)
    }

    /// The synthetic camera's stamps are wall-clock milliseconds once offset, and read back
    /// from the frame.
    @Test func aSyntheticCamerasStampReadsAsItsWallClockTime() throws {
        let camera = SyntheticCamera(request: CameraRequest(width: 640, height: 480, fps: 30))
        camera.stampOffsetNanos = 1_733_500_000_123_000_000 - 5_000_000_000
        try camera.start()
        let frame = try #require(try camera.nextFrame(now: 5_000_000_000))
        let stamp: Int64? = GlassToGlass.stamp(of: frame)
        #expect(stamp == Int64(500_000_123))
    }
}
