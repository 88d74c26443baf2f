import Benchmark

/// kioskd's benchmarks (`make bench`). Each prints `FIGURE name: ...` lines at teardown with
/// per-packet / per-frame / per-call figures measured in thread CPU time; none fails on time.
let benchmarks: @Sendable () -> Void = {
    CallBench.runProbeIfAsked()
    Benchmark.defaultConfiguration.timeUnits = .microseconds
    SRTPBench.register()
    RTPBench.register()
    CallBench.register()
    CodecBench.register()
    RenderBench.register()
    DevicesBench.register()
}
