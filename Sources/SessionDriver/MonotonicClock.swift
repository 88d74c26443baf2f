import SessionCore
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// The one place the call stack reads a clock: drivers turn CLOCK_MONOTONIC into `Instant`s
/// and hand them to the state machines.
public enum MonotonicClock {
    public static func now() -> Instant {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Instant(nanoseconds: Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec))
    }

    /// CLOCK_REALTIME in nanoseconds: what the kernel's receive timestamps count in.
    public static func realtimeNanoseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }

    /// A kernel receive timestamp as an `Instant`, given `now` and the real time read beside
    /// it: `now` less how long ago the datagram came. `now` itself when the stamp is missing,
    /// in the future, or over a second old (the wall clock was stepped).
    public static func arrival(_ stamp: Int64?, now: Instant, realtime: Int64) -> Instant {
        guard let stamp else { return now }
        let ago = realtime - stamp
        guard ago >= 0, ago < 1_000_000_000 else { return now }
        return now - .nanoseconds(ago)
    }
}
