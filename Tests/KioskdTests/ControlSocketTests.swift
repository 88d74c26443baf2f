import Foundation
import Logging
import Testing
@testable import KioskCore

/// The control socket as a technician's tool meets it: one JSON line in, one out; stuck or
/// abusive clients cannot take the service's threads.
@Suite struct ControlSocketTests {
    /// An older daemon's stats (without a figure added since) still read: the missing figure
    /// as its zero, the rest as sent.
    @Test func statsFromAnOlderDaemonReadWithTheirNewFiguresAtZero() throws {
        let merged = ControlClient.overlay(["state": "in-call", "inboundAudio": ["packetsReceived": 7]] as [String: Any],
                                           on: ["state": "", "inboundAudio": ["packetsReceived": 0, "packetsDiscarded": 0], "x": 1] as [String: Any])
        let m = try #require(merged as? [String: Any])
        #expect(m["state"] as? String == "in-call" && m["x"] as? Int == 1)
        let audio = try #require(m["inboundAudio"] as? [String: Any])
        #expect(audio["packetsReceived"] as? Int == 7 && audio["packetsDiscarded"] as? Int == 0)
    }

    static func socketPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("ctl-\(UUID().uuidString.prefix(8)).sock").path
    }

    @Test func answersEachLineAndIsPrivateToTheGroup() async throws {
        let path = Self.socketPath()
        let socket = try ControlSocket(path: path, logger: Logger(label: "test")) { line, peer in "{\"echo\":\(line.count),\"uid\":\(peer.uid)}" }
        socket.start()
        defer { socket.stop() }
        var st = stat()
        #expect(stat(path, &st) == 0 && st.st_mode & 0o777 == 0o660, "mode \(String(st.st_mode & 0o777, radix: 8))")
        let reply = try await offPool { () -> [Int?] in
            let r = try ControlClient(path: path).request(#"{"command":"status"}"#)
            return [r["echo"] as? Int, r["uid"] as? Int]
        }
        #expect(reply == [20, Int(getuid())], "the line, and the peer's uid from SO_PEERCRED")
    }

    @Test func aFifthIdleClientIsTurnedAwayAndAHugeLineIsRefused() async throws {
        let path = Self.socketPath()
        // Idle clients held open for the whole test, however loaded the machine.
        var patient = ControlSocket.Timeouts()
        patient.idleSeconds = 120
        let socket = try ControlSocket(path: path, logger: Logger(label: "test"), timeouts: patient) { _, _ in "{}" }
        socket.start()
        defer { socket.stop() }
        let idle = try (0..<ControlSocket.maximumConnections).map { _ in try RawUnixClient(path: path) }
        try await Task.sleep(for: .milliseconds(200))
        let fifth = try RawUnixClient(path: path)
        #expect(await offPool { fifth.readLine() }.contains("too many control connections"))
        idle.forEach { $0.close() }
        try await Task.sleep(for: .milliseconds(200))

        let big = try RawUnixClient(path: path)
        big.send(String(repeating: "x", count: 70_000))
        #expect(await offPool { big.readLine() }.contains("request too large"))
        // Still serving afterwards.
        let served = try await offPool { try ControlClient(path: path).request(#"{"command":"status"}"#).isEmpty }
        #expect(served)
    }

    @Test func idleAndDribblingClientsAreClosedWithinSeconds() async throws {
        let path = Self.socketPath()
        let limits = ControlSocket.Timeouts()
        let socket = try ControlSocket(path: path, logger: Logger(label: "test"), timeouts: limits) { _, _ in "{}" }
        socket.start()
        defer { socket.stop() }
        let start = ContinuousClock.now
        // Four silent clients: closed by the server after the idle limit (the clients would wait
        // 30 s), so a technician gets in.
        let idle = try (0..<ControlSocket.maximumConnections).map { _ in try RawUnixClient(path: path, timeoutSeconds: 30) }
        // The close is timed on the reading thread: resuming this task can wait for a busy
        // pool (the whole suite runs in parallel on two cores) long after the server acted.
        let (reply, closedAt) = await offPool { (idle[0].readLine(), ContinuousClock.now) }
        #expect(reply.isEmpty, "closed without a reply")
        let idleFor = closedAt - start
        #expect(idleFor >= .seconds(limits.idleSeconds) && idleFor < .seconds(20), "closed after \(idleFor)")
        idle.forEach { $0.close() }
        try await Task.sleep(for: .milliseconds(200))
        // One byte a second never makes a request: refused once the line is 5 s old.
        let slow = try RawUnixClient(path: path, timeoutSeconds: 30)
        let dribble = Task.detached {
            for _ in 0..<25 { slow.send("x"); try? await Task.sleep(for: .seconds(1)) }
        }
        #expect(await offPool { slow.readLine() }.contains("request too slow"))
        dribble.cancel()
        slow.close()
        let empty = try await offPool { try ControlClient(path: path).request(#"{"command":"status"}"#).isEmpty }
        #expect(empty)
    }
}

/// Runs blocking socket I/O on its own thread: blocking a concurrency-pool thread (two on a
/// 2-core machine) could starve the server's handler, which runs on that pool.
func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { c in
        Thread { c.resume(with: Result { try work() }) }.start()
    }
}

func offPool<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { c in
        Thread { c.resume(returning: work()) }.start()
    }
}

/// A bare AF_UNIX stream client for misbehaving on purpose.
final class RawUnixClient: Sendable {
    let fd: Int32

    init(path: String, timeoutSeconds: Int = 5) throws {
        fd = UnixSocketAddress.connectStream(path)
        guard fd >= 0 else { throw ControlClient.Failure.connect(errno) }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    func send(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    }

    func readLine() -> String {
        var out: [UInt8] = []
        var b: UInt8 = 0
        while read(fd, &b, 1) == 1 {
            if b == 0x0a { break }
            out.append(b)
        }
        return String(decoding: out, as: UTF8.self)
    }

    func close() { Glibc.close(fd) }
}
