import Testing
@testable import Render

@Suite struct RenderBenchmarkTests {
    @Test func benchmarkRunsAndReportsAPositiveCost() {
        let r = RenderBenchmark.compose(frames: 2)
        #expect(r.frames == 10 && r.millisecondsPerFrame > 0 && r.bestMillisecondsPerFrame <= r.millisecondsPerFrame)
    }
}
