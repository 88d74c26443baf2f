import SessionCore
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// A non-blocking TCP client socket (TURN over TCP/TLS). `connect` returns at once; the
/// engine thread waits for POLLOUT in its poll(2) set and then reads the outcome with
/// `connectResult()`. Owns its descriptor and closes it on deinit.
final class TCPSocket {
    enum IO: Equatable {
        case done(Int)
        case wouldBlock
        case closed
        case failed(Int32)
    }

    let fd: Int32

    /// Creates the socket and starts connecting to `destination`. Throws the errno of a
    /// failure that is known at once (no route, refused on some stacks).
    init(connectingTo destination: TransportAddress) throws(TURNStreamConnection.Failure) {
        let family = destination.isIPv4 ? AF_INET : AF_INET6
        let fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .socket(errno) }
        // Media rides this connection: no Nagle delay on small ChannelData frames.
        var on: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
        let rc = destination.withSockAddr { Glibc.connect(fd, $0, $1) }
        if rc != 0 && errno != EINPROGRESS {
            let e = errno
            close(fd)
            throw .connect(e)
        }
        self.fd = fd
    }

    deinit { close(fd) }

    /// After POLLOUT (or POLLERR/POLLHUP) while connecting: 0 when connected, else the errno.
    func connectResult() -> Int32 {
        var error: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) == 0 else { return errno }
        return error
    }

    func send(_ bytes: UnsafeRawBufferPointer) -> IO {
        guard !bytes.isEmpty else { return .done(0) }
        let n = Glibc.send(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL))
        if n >= 0 { return .done(n) }
        return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? .wouldBlock : .failed(errno)
    }

    func receive(into buffer: UnsafeMutableRawBufferPointer) -> IO {
        let n = recv(fd, buffer.baseAddress, buffer.count, Int32(MSG_DONTWAIT))
        if n > 0 { return .done(n) }
        if n == 0 { return .closed }
        return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? .wouldBlock : .failed(errno)
    }
}
