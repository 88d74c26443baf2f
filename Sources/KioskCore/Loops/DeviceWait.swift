#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// One wait of a device loop: on the device's descriptors and the loop's wake signal, until
/// the device's own wake time. The descriptor list is rebuilt in place (no allocation once
/// grown). A device with neither descriptors nor a wake time waits inside its own read
/// (PulseAudio's blocking read): then the returned timeout is what that read may wait.
struct DeviceWait {
    /// How long a device that waits by itself may hold its loop before it looks at its wake signal.
    static let selfWaitMillis = 100
    /// A loop looks at its state at least this often whatever happens (a lost wake-up is not fatal).
    static let maxWaitMillis: Int64 = 1000
    private var fds: [pollfd] = []

    /// Waits; returns the timeout to pass to the device's read (0: the poll saw to it).
    mutating func wait(wake: WakeSignal, wakeAtNanos: Int64?, nowNanos: Int64,
                       descriptors: (inout [pollfd]) -> Void) -> Int {
        fds.removeAll(keepingCapacity: true)
        fds.append(wake.pollEntry)
        descriptors(&fds)
        let selfWaiting = fds.count == 1 && wakeAtNanos == nil
        var timeout = Self.maxWaitMillis
        if selfWaiting { timeout = 0 }
        if let at = wakeAtNanos { timeout = min(timeout, max(0, (at - nowNanos + 999_999) / 1_000_000)) }
        if poll(&fds, nfds_t(fds.count), Int32(timeout)) > 0, fds[0].revents != 0 { wake.drain() }
        return selfWaiting ? Self.selfWaitMillis : 0
    }

    /// Waits on the wake signal alone until `wakeAtNanos` (a failed device's retry, a timer-paced sink).
    mutating func wait(wake: WakeSignal, extra: pollfd? = nil, wakeAtNanos: Int64?, nowNanos: Int64) {
        _ = wait(wake: wake, wakeAtNanos: wakeAtNanos ?? (nowNanos + Self.maxWaitMillis * 1_000_000), nowNanos: nowNanos) { fds in
            if let extra { fds.append(extra) }
        }
    }
}
