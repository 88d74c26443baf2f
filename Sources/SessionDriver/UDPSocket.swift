import SessionCore
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// A non-blocking UDP socket bound to one local address: one ICE "base". It owns its file
/// descriptor and closes it on deinit. Receives go into a caller-owned buffer (no allocation
/// per datagram).
public final class UDPSocket {
    public enum Failure: Error, Equatable, CustomStringConvertible {
        case socket(Int32)
        case bind(Int32)
        case send(Int32)
        case receive(Int32)

        public var description: String {
            switch self {
            case .socket(let e): "cannot create UDP socket: \(String(cString: strerror(e)))"
            case .bind(let e): "cannot bind UDP socket: \(String(cString: strerror(e)))"
            case .send(let e): "UDP send failed: \(String(cString: strerror(e)))"
            case .receive(let e): "UDP receive failed: \(String(cString: strerror(e)))"
            }
        }
    }

    public let fd: Int32
    public private(set) var localAddress: TransportAddress

    /// Binds to `address` (port 0 picks a free port). `sharingPort`: SO_REUSEADDR and
    /// SO_REUSEPORT, so other mDNS responders (avahi) can have port 5353 too.
    public init(bindTo address: TransportAddress, sharingPort: Bool = false) throws(Failure) {
        let family = address.isIPv4 ? AF_INET : AF_INET6
        let fd = socket(family, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .socket(errno) }
        if family == AF_INET6 {
            var on: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &on, socklen_t(MemoryLayout<Int32>.size))
        }
        if sharingPort {
            var on: Int32 = 1
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
            setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, socklen_t(MemoryLayout<Int32>.size))
        }
        // Room for bursts of video packets while the engine thread is busy.
        var size: Int32 = 1 << 20
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        let rc = address.withSockAddr { bind(fd, $0, $1) }
        guard rc == 0 else {
            let e = errno
            close(fd)
            throw .bind(e)
        }
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        self.fd = fd
        self.localAddress = TransportAddress(storage: storage) ?? address
    }

    deinit { close(fd) }

    /// Sends one datagram. A full socket buffer drops it (UDP semantics), reported as false.
    @discardableResult
    public func send(_ bytes: UnsafeRawBufferPointer, to destination: TransportAddress) -> Bool {
        let n = destination.withSockAddr { sendto(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL), $0, $1) }
        return n == bytes.count
    }

    /// Receives one datagram into `buffer`; nil when nothing is waiting.
    public func receive(into buffer: UnsafeMutableRawBufferPointer) -> (count: Int, from: TransportAddress)? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let n = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                recvfrom(fd, buffer.baseAddress, buffer.count, Int32(MSG_DONTWAIT), $0, &length)
            }
        }
        guard n >= 0, let from = TransportAddress(storage: storage) else { return nil }
        return (n, from)
    }
}
