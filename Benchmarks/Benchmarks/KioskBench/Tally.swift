import Benchmark

/// What one benchmark did across all its measured iterations, measured by the benchmark
/// itself (thread CPU time, malloc counter), so the figures printed at teardown are per
/// packet or per frame whatever the harness's scaling. CPU time rather than wall time: the
/// machine is shared, and CPU time is what the kiosk pays.
final class Tally: @unchecked Sendable {
    var cpuNanos: Int64 = 0
    var wallNanos: Int64 = 0
    var items = 0
    var bytes = 0
    var mallocs = 0
    var loadAtStart = Meter.loadAverage()

    /// Runs `body` (which processes `items` things of `bytes` bytes in all) and adds its cost.
    @inline(__always)
    func measure(items: Int, bytes: Int = 0, _ body: () throws -> Void) rethrows {
        let w0 = Meter.wallNanos(), c0 = Meter.threadCPUNanos(), m0 = Meter.mallocs()
        try body()
        mallocs += Meter.mallocs() - m0
        cpuNanos += Meter.threadCPUNanos() - c0
        wallNanos += Meter.wallNanos() - w0
        self.items += items
        self.bytes += bytes
    }

    var itemsPerCPUSecond: Double { cpuNanos > 0 ? Double(items) * 1e9 / Double(cpuNanos) : 0 }
    var megabytesPerCPUSecond: Double { cpuNanos > 0 ? Double(bytes) * 1e3 / Double(cpuNanos) : 0 }
    var microsPerItem: Double { items > 0 ? Double(cpuNanos) / 1e3 / Double(items) : 0 }
    var mallocsPerItem: Double { items > 0 ? Double(mallocs) / Double(items) : 0 }
    /// CPU share of wall time while measuring: well below 1 means other processes took the core.
    var cpuShare: Double { wallNanos > 0 ? Double(cpuNanos) / Double(wallNanos) : 0 }

    static func report(_ name: String, _ text: String) {
        print("FIGURE \(name): \(text)")
    }
}

/// Number formatting without Foundation.
func fmt(_ v: Double, _ digits: Int = 2) -> String {
    guard v.isFinite else { return "\(v)" }
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let r = (v * scale).rounded() / scale
    var s = "\(r)"
    if let dot = s.firstIndex(of: ".") {
        let decimals = s.distance(from: dot, to: s.endIndex) - 1
        if digits == 0 { s = String(s[..<dot]) } else if decimals < digits { s += String(repeating: "0", count: digits - decimals) }
    } else if digits > 0 {
        s += "." + String(repeating: "0", count: digits)
    }
    return s
}

func grouped(_ v: Double) -> String {
    let n = Int(v.rounded())
    var digits = Array(String(abs(n)))
    var out: [Character] = []
    while digits.count > 3 {
        out.insert(contentsOf: [","] + digits.suffix(3), at: 0)
        digits.removeLast(3)
    }
    return (n < 0 ? "-" : "") + String(digits) + String(out)
}

extension Benchmark.Configuration {
    /// The metrics every kioskd benchmark reports.
    static func kiosk(scaling: BenchmarkScalingFactor = .one, maxDuration: Duration = .seconds(2),
                      maxIterations: Int = 1_000_000, warmup: Int = 1,
                      extra: [BenchmarkMetric] = []) -> Benchmark.Configuration {
        Benchmark.Configuration(
            metrics: [.throughput, .wallClock, .cpuTotal, .mallocCountTotal] + extra,
            warmupIterations: warmup,
            scalingFactor: scaling,
            maxDuration: maxDuration,
            maxIterations: maxIterations)
    }
}
