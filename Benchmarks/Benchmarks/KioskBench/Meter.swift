import Glibc
import MallocInterposerSwift

/// CPU time of the calling thread and the process's malloc count, read cheaply enough to
/// bracket every step of a simulated call. Malloc counts are only non-zero while the
/// benchmark harness counts (inside a measured region, with the interposer preloaded).
enum Meter {
    static func threadCPUNanos() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }

    static func processCPUNanos() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }

    static func wallNanos() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }

    static func mallocs() -> Int { MallocInterposerSwift.getStatistics().mallocCount }

    /// Resident set now and its high-water mark, in KiB (/proc/self/status VmRSS, VmHWM).
    static func residentKiB() -> (rss: Int, peak: Int) {
        guard let f = fopen("/proc/self/status", "r") else { return (0, 0) }
        defer { fclose(f) }
        var rss = 0, peak = 0
        var line = [CChar](repeating: 0, count: 256)
        while fgets(&line, Int32(line.count), f) != nil {
            let s = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let value = Int(s.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? 0
            if s.hasPrefix("VmRSS:") { rss = value }
            if s.hasPrefix("VmHWM:") { peak = value }
        }
        return (rss, peak)
    }

    /// Resets VmHWM to the current RSS (Linux ≥ 4.0: "5" > /proc/self/clear_refs).
    @discardableResult
    static func resetPeakResident() -> Bool {
        guard let f = fopen("/proc/self/clear_refs", "w") else { return false }
        defer { fclose(f) }
        return fputs("5", f) >= 0
    }

    /// The 1-minute load average, to print beside time figures on a shared machine.
    static func loadAverage() -> Double {
        var l = [Double](repeating: 0, count: 3)
        return getloadavg(&l, 3) > 0 ? l[0] : -1
    }
}

/// Accumulates CPU time and mallocs for one labelled cost centre.
struct Cost {
    var cpuNanos: Int64 = 0
    var mallocs = 0
    var calls = 0

    /// Runs `body`, charging its thread CPU time and mallocs here.
    @inline(__always)
    mutating func charge<T>(_ body: () throws -> T) rethrows -> T {
        let c0 = Meter.threadCPUNanos(), m0 = Meter.mallocs()
        defer {
            cpuNanos += Meter.threadCPUNanos() - c0
            mallocs += Meter.mallocs() - m0
            calls += 1
        }
        return try body()
    }

    static func + (a: Cost, b: Cost) -> Cost {
        Cost(cpuNanos: a.cpuNanos + b.cpuNanos, mallocs: a.mallocs + b.mallocs, calls: a.calls + b.calls)
    }

    var seconds: Double { Double(cpuNanos) / 1e9 }
}
