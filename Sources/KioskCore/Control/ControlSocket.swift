import Foundation
import Logging
import Synchronization
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// A Unix stream socket for technicians and tests: one JSON request per line, one JSON reply
/// per line (see `ControlCommands`). The socket file is created mode 0660 in the service's
/// runtime directory, so only root and the kioskd group reach it.
public final class ControlSocket: Sendable {
    /// Who is on the other end (SO_PEERCRED), for the log of every tap and press.
    public struct Peer: Sendable, Equatable {
        public var uid: UInt32
    }

    let path: String
    private let fd: Int32
    private let handler: @Sendable (String, Peer) async -> String
    private let logger: Logger
    /// Connections being served; more are refused so a stuck client cannot eat the service's threads.
    private let active = Mutex(0)
    static let maximumConnections = 4
    /// A client silent this long is disconnected, and a request line must be complete this
    /// long after its first byte (a client dribbling bytes is not idle, but is not let stay):
    /// idle clients cannot lock a technician out for more than a few seconds.
    public struct Timeouts: Sendable {
        public var idleSeconds = 5
        public var requestSeconds: Double = 5
        public init() {}
    }
    private let timeouts: Timeouts

    public enum Failure: Error, CustomStringConvertible {
        case socket(path: String, errno: Int32)
        public var description: String {
            switch self {
            case .socket(let path, let e): return "control socket \(path): \(String(cString: strerror(e)))"
            }
        }
    }

    public init(path: String, logger: Logger, timeouts: Timeouts = Timeouts(),
                handler: @escaping @Sendable (String, Peer) async -> String) throws(Failure) {
        self.path = path
        self.timeouts = timeouts
        self.logger = logger
        self.handler = handler
        let s = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard s >= 0 else { throw .socket(path: path, errno: errno) }
        unlink(path)
        guard UnixSocketAddress.with(path, { bind(s, $0, $1) }) == 0, chmod(path, 0o660) == 0, listen(s, 8) == 0 else {
            let e = errno
            close(s)
            throw .socket(path: path, errno: e)
        }
        fd = s
    }

    public func start() {
        Thread { self.acceptLoop() }.start()
    }

    /// Closes the listening socket and removes the file.
    public func stop() {
        shutdown(fd, Int32(SHUT_RDWR))
        close(fd)
        unlink(path)
    }

    private func acceptLoop() {
        while true {
            let c = accept(fd, nil, nil)
            if c < 0 {
                if errno == EINTR { continue }
                return
            }
            let admitted = active.withLock { n -> Bool in
                guard n < Self.maximumConnections else { return false }
                n += 1
                return true
            }
            guard admitted else {
                _ = Array("{\"error\":\"busy: too many control connections\"}\n".utf8).withUnsafeBytes { write(c, $0.baseAddress, $0.count) }
                close(c)
                continue
            }
            var timeout = timeval(tv_sec: timeouts.idleSeconds, tv_usec: 0)
            _ = setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            _ = setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            Thread {
                self.serve(c)
                self.active.withLock { $0 -= 1 }
            }.start()
        }
    }

    /// Requests over 64 KiB per line are refused and the connection closed.
    private func serve(_ c: Int32) {
        defer { close(c) }
        let peer = Self.peer(of: c)
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        var lineStarted: ContinuousClock.Instant?
        while true {
            let n = read(c, &chunk, chunk.count)
            if n <= 0 { return }
            if buffer.isEmpty { lineStarted = .now }
            buffer.append(contentsOf: chunk[0..<n])
            while let nl = buffer.firstIndex(of: 0x0a) {
                let line = String(decoding: buffer[..<nl], as: UTF8.self)
                buffer.removeSubrange(...nl)
                lineStarted = buffer.isEmpty ? nil : .now
                let reply = Self.wait { await self.handler(line, peer) } + "\n"
                var out = Array(reply.utf8)
                var sent = 0
                while sent < out.count {
                    let w = out.withUnsafeMutableBytes { write(c, $0.baseAddress! + sent, $0.count - sent) }
                    if w <= 0 { return }
                    sent += w
                }
                out.removeAll()
            }
            if buffer.count > 65_536 {
                _ = Array("{\"error\":\"request too large\"}\n".utf8).withUnsafeBytes { write(c, $0.baseAddress, $0.count) }
                return
            }
            if let started = lineStarted, ContinuousClock.now - started > .seconds(timeouts.requestSeconds) {
                _ = Array("{\"error\":\"request too slow\"}\n".utf8).withUnsafeBytes { write(c, $0.baseAddress, $0.count) }
                return
            }
        }
    }

    private static func peer(of c: Int32) -> Peer {
        // struct ucred {pid_t pid; uid_t uid; gid_t gid}: Glibc hides it behind _GNU_SOURCE.
        var cred: (pid: Int32, uid: UInt32, gid: UInt32) = (0, 0, 0)
        var length = socklen_t(MemoryLayout.size(ofValue: cred))
        guard getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cred, &length) == 0 else { return Peer(uid: .max) }
        return Peer(uid: cred.uid)
    }

    /// Runs async work from this plain thread and waits for it.
    private static func wait(_ work: @escaping @Sendable () async -> String) -> String {
        let done = DispatchSemaphore(value: 0)
        let result = UncheckedSendable("")
        Task {
            result.value = await work()
            done.signal()
        }
        done.wait()
        return result.value
    }
}
