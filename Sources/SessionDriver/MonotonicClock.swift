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
}
