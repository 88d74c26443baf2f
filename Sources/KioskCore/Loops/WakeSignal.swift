import CLinuxEvents
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// An eventfd a loop waits on beside its device's descriptors: another thread's `signal`
/// wakes it at once (a new frame, a UI change, a stop), so no loop ever sleeps to look.
/// Signals coalesce: many before one `drain` wake the loop once.
public final class WakeSignal: Sendable {
    public let fd: Int32

    public init() {
        fd = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
    }

    deinit { close(fd) }

    public func signal() {
        var one: UInt64 = 1
        _ = write(fd, &one, 8)
    }

    /// Resets the counter (after a wake, before looking at what changed).
    public func drain() {
        var count: UInt64 = 0
        _ = read(fd, &count, 8)
    }

    public var pollEntry: pollfd { pollfd(fd: fd, events: Int16(POLLIN), revents: 0) }
}
