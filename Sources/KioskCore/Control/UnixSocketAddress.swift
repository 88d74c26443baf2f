#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// A filesystem AF_UNIX address, for the control socket's server and its clients.
enum UnixSocketAddress {
    /// Calls `body` with the address of `path`; ENAMETOOLONG when it does not fit `sun_path`.
    static func with(_ path: String, _ body: (UnsafePointer<sockaddr>, socklen_t) -> Int32) -> Int32 {
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else {
            errno = ENAMETOOLONG
            return -1
        }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
        }
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
    }

    /// A stream socket connected to `path`, or -1 with errno set.
    static func connectStream(_ path: String) -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return -1 }
        guard with(path, { connect(fd, $0, $1) }) == 0 else {
            let e = errno
            close(fd)
            errno = e
            return -1
        }
        return fd
    }
}
