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
        // The kernel stamps each datagram's arrival (CLOCK_REALTIME), read with it by
        // `receive(into:)`: the transport-wide feedback reports when a packet came, not when
        // a busy engine thread got to it.
        var on: Int32 = 1
        setsockopt(fd, SOL_SOCKET, Self.soTimestampNS, &on, socklen_t(MemoryLayout<Int32>.size))
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

    /// SO_TIMESTAMPNS (and its control message's type), 35 on Linux: glibc defines it through
    /// a macro Swift does not import.
    static let soTimestampNS: Int32 = 35

    /// Receives one datagram into `buffer`; nil when nothing is waiting. `arrival`: when the
    /// kernel took it in (CLOCK_REALTIME nanoseconds), when it said.
    public func receive(into buffer: UnsafeMutableRawBufferPointer) -> (count: Int, from: TransportAddress, arrival: Int64?)? {
        var storage = sockaddr_storage()
        // Room for one control message carrying a timespec (16-byte header, 16 bytes of data).
        var control = (UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        var arrival: Int64?
        let n: Int = withUnsafeMutablePointer(to: &storage) { address in
            withUnsafeMutableBytes(of: &control) { cmsg in
                var iov = iovec(iov_base: buffer.baseAddress, iov_len: buffer.count)
                return withUnsafeMutablePointer(to: &iov) { iovp in
                    var message = msghdr()
                    message.msg_name = UnsafeMutableRawPointer(address)
                    message.msg_namelen = socklen_t(MemoryLayout<sockaddr_storage>.size)
                    message.msg_iov = iovp
                    message.msg_iovlen = 1
                    message.msg_control = cmsg.baseAddress
                    message.msg_controllen = cmsg.count
                    let n = recvmsg(fd, &message, Int32(MSG_DONTWAIT))
                    if n >= 0 { arrival = Self.timestamp(in: UnsafeRawBufferPointer(rebasing: cmsg[0..<min(cmsg.count, Int(message.msg_controllen))])) }
                    return n
                }
            }
        }
        guard n >= 0, let from = TransportAddress(storage: storage) else { return nil }
        return (n, from, arrival)
    }

    /// The SCM_TIMESTAMPNS timespec among the control messages (struct cmsghdr: length as a
    /// size_t, level and type as ints, then the data at 8-byte alignment).
    static func timestamp(in control: UnsafeRawBufferPointer) -> Int64? {
        let header = MemoryLayout<Int>.size + 8
        var offset = 0
        while offset + header <= control.count {
            let length = control.loadUnaligned(fromByteOffset: offset, as: Int.self)
            let level = control.loadUnaligned(fromByteOffset: offset + MemoryLayout<Int>.size, as: Int32.self)
            let type = control.loadUnaligned(fromByteOffset: offset + MemoryLayout<Int>.size + 4, as: Int32.self)
            guard length >= header, offset + length <= control.count else { return nil }
            if level == SOL_SOCKET, type == soTimestampNS, length >= header + 16 {
                let seconds = control.loadUnaligned(fromByteOffset: offset + header, as: Int64.self)
                let nanos = control.loadUnaligned(fromByteOffset: offset + header + 8, as: Int64.self)
                return seconds * 1_000_000_000 + nanos
            }
            offset += (length + 7) & ~7
        }
        return nil
    }
}
