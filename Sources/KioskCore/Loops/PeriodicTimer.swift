import CLinuxEvents
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// A timerfd ticking every `periodNanos` on the monotonic clock: the playout clock of a sink
/// that does not pace itself (the synthetic speaker, or none), waited on like a device.
final class PeriodicTimer {
    let fd: Int32

    init(periodNanos: Int64) {
        fd = timerfd_create(CLOCK_MONOTONIC, Int32(TFD_NONBLOCK | TFD_CLOEXEC))
        let period = timespec(tv_sec: Int(periodNanos / 1_000_000_000), tv_nsec: Int(periodNanos % 1_000_000_000))
        var spec = itimerspec(it_interval: period, it_value: period)
        _ = timerfd_settime(fd, 0, &spec, nil)
    }

    deinit { close(fd) }

    /// Ticks passed since the last call (0 if none: the caller polls `fd` first).
    func expirations() -> Int {
        var count: UInt64 = 0
        return read(fd, &count, 8) == 8 ? Int(count) : 0
    }

    var pollEntry: pollfd { pollfd(fd: fd, events: Int16(POLLIN), revents: 0) }
}
