#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Listens to the kernel's uevent broadcast (NETLINK_KOBJECT_UEVENT, group 1: works with or
/// without udev). Create it before enumerating, seed its filter with what enumeration found,
/// then call `next` from the device thread (or poll `fd` in an event loop).
public final class HotplugMonitor {
    public let fd: Int32
    public var filter = HotplugFilter()
    private var buffer = [UInt8](repeating: 0, count: 16_384)

    public init() throws(DeviceError) {
        let fd = socket(AF_NETLINK, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue),
                        15)  // NETLINK_KOBJECT_UEVENT
        guard fd >= 0 else { throw DeviceError.fromErrno(errno, device: "uevent netlink", operation: "socket") }
        // struct sockaddr_nl { u16 family; u16 pad; u32 pid; u32 groups } (linux/netlink.h,
        // which Glibc's module does not export): pid 0 = kernel assigns, group 1 = kernel events.
        var addr = [UInt8](repeating: 0, count: 12)
        addr[0] = UInt8(AF_NETLINK & 0xff)
        addr[1] = UInt8(AF_NETLINK >> 8)
        addr[8] = 1
        let rc = addr.withUnsafeBytes { raw in
            bind(fd, raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(raw.count))  // 12 bytes, non-empty
        }
        guard rc == 0 else {
            let e = errno
            close(fd)
            throw DeviceError.fromErrno(e, device: "uevent netlink", operation: "bind")
        }
        self.fd = fd
    }

    deinit { close(fd) }

    /// Seeds the filter with device nodes that exist now (call right after creating the monitor).
    public func seedExistingNodes() {
        for dir in ["/dev", "/dev/snd", "/dev/input"] {
            for name in SysFS.list(dir) {
                if let n = SysFS.deviceNumber(dir + "/" + name) { filter.seed(major: n.major, minor: n.minor) }
            }
        }
    }

    /// The next relevant event, waiting up to `timeoutMillis`; nil on timeout.
    public func next(timeoutMillis: Int) throws(DeviceError) -> HotplugEvent? {
        var remaining = timeoutMillis
        while true {
            while true {
                let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if n < 0 {
                    if errno == EAGAIN || errno == EINTR { break }
                    if errno == ENOBUFS { continue }  // the kernel dropped events; keep reading what follows
                    throw DeviceError.fromErrno(errno, device: "uevent netlink", operation: "recv")
                }
                if let e = Uevent.parse(Array(buffer[0..<n])), let event = filter.handle(e) { return event }
            }
            guard remaining > 0 else { return nil }
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let start = ALSAPCM.monotonicMillis()
            if poll(&pfd, 1, Int32(clamping: remaining)) <= 0 { return nil }
            remaining -= ALSAPCM.monotonicMillis() - start
        }
    }
}
