#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Why the uevent socket failed: the call and its errno.
public struct UeventSocketError: Error, Equatable, Sendable {
    /// "socket", "bind" or "recv".
    public var operation: String
    public var errno: Int32
}

/// The kernel's uevent broadcast: a non-blocking NETLINK_KOBJECT_UEVENT socket bound to
/// multicast group 1 (the kernel's own events, so it works with or without udevd, e.g. in the
/// lab VM's busybox init). The devices' and the renderer's hotplug monitors both read it.
public final class UeventSocket {
    public let fd: Int32

    public init() throws(UeventSocketError) {
        let s = socket(AF_NETLINK, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue),
                       15)  // NETLINK_KOBJECT_UEVENT
        guard s >= 0 else { throw UeventSocketError(operation: "socket", errno: Glibc.errno) }
        // struct sockaddr_nl { u16 family; u16 pad; u32 pid; u32 groups } (linux/netlink.h,
        // which Glibc's module does not export): pid 0 = kernel assigns, group 1 = kernel events.
        var addr = [UInt8](repeating: 0, count: 12)
        addr[0] = UInt8(AF_NETLINK & 0xff)
        addr[1] = UInt8(AF_NETLINK >> 8)
        addr[8] = 1
        let rc = addr.withUnsafeBytes { raw in
            bind(s, raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(raw.count))  // 12 bytes, non-empty
        }
        guard rc == 0 else {
            let e = Glibc.errno
            close(s)
            throw UeventSocketError(operation: "bind", errno: e)
        }
        fd = s
    }

    deinit { close(fd) }

    /// Reads one pending datagram into `buffer` and returns its length; nil when none is
    /// pending (or a signal interrupted the read). When the kernel dropped events because the
    /// socket's queue was full (ENOBUFS) it reads on: what follows is still good.
    public func receive(into buffer: inout [UInt8]) throws(UeventSocketError) -> Int? {
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n >= 0 { return n }
            let e = Glibc.errno
            if e == EAGAIN || e == EINTR { return nil }
            if e == ENOBUFS { continue }
            throw UeventSocketError(operation: "recv", errno: e)
        }
    }

    /// Waits up to `timeoutMillis` for a datagram; true when one is pending.
    public func wait(timeoutMillis: Int) -> Bool {
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&pfd, 1, Int32(clamping: timeoutMillis)) > 0
    }
}
