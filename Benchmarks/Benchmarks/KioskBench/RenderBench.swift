import Benchmark
import Render

/// `RenderBenchmark.compose`: a 1280x720 remote picture + a 320x180 self view into a
/// 1920x1080 XRGB8888 frame (goal < 2 ms/frame), with the self view drawn in, or on a plane.
enum RenderBench {
    static let framesPerIteration = 100

    static func register() {
        for onPlane in [false, true] {
            let tally = Tally()
            let bestMs = Tally()
            let name = onPlane ? "Render compose 1280x720 → 1920x1080, self view on a plane"
                               : "Render compose 1280x720 + 320x180 self view → 1920x1080"
            Benchmark(name, configuration: .kiosk(maxDuration: .seconds(1), maxIterations: 3, warmup: 0)) { benchmark in
                var result: RenderBenchmark.Result?
                // RenderBenchmark.compose draws 5 warm-up frames before the ones it times.
                tally.measure(items: framesPerIteration + 5) {
                    result = RenderBenchmark.compose(frames: framesPerIteration, selfViewOnPlane: onPlane)
                }
                if let result {
                    bestMs.items += 1
                    bestMs.bytes += Int(result.bestMillisecondsPerFrame * 1000)
                    bestMs.wallNanos += Int64(result.millisecondsPerFrame * 1e6)
                }
            } teardown: {
                let n = Double(max(1, bestMs.items))
                Tally.report(name, "\(fmt(tally.microsPerItem / 1000, 3)) CPU-ms/frame; wall \(fmt(Double(bestMs.wallNanos) / 1e6 / n, 3)) ms/frame mean, "
                             + "\(fmt(Double(bestMs.bytes) / 1000 / n, 3)) ms/frame best batch of 10 (goal < 2 ms); "
                             + "\(fmt(tally.mallocsPerItem, 2)) mallocs/frame")
            }
        }
    }
}
