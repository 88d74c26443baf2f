import Foundation
import Testing

/// `kioskd run` under a systemd-like harness: a datagram socket stands in for $NOTIFY_SOCKET.
@Suite struct DaemonTests {
    @Test func notifiesReadyPetsWatchdogAndStopsOnSIGTERM() throws {
        let socketPath = FileManager.default.temporaryDirectory.appendingPathComponent("notify-\(UUID().uuidString.prefix(8))").path
        let notify = try NotifySocket(path: socketPath)
        defer { notify.close() }
        let config = KioskdProcess.repoRoot.appendingPathComponent("examples/kioskd.toml").path
        let running = try KioskdProcess.start(["run", "--config", config], environment: [
            "NOTIFY_SOCKET": socketPath,
            "WATCHDOG_USEC": "200000",
        ])
        defer { if running.process.isRunning { running.process.terminate() } }

        let ready = notify.receive(until: { $0.contains("READY=1") }, timeout: 15)
        #expect(ready.contains { $0.contains("READY=1") }, "no READY=1; got \(ready)")
        let pets = notify.receive(until: { $0 == "WATCHDOG=1" }, timeout: 5)
        #expect(pets.contains("WATCHDOG=1"), "no WATCHDOG=1; got \(pets)")

        kill(running.process.processIdentifier, SIGTERM)
        let start = Date()
        while running.process.isRunning && Date().timeIntervalSince(start) < 5 { usleep(5_000) }
        let elapsed = Date().timeIntervalSince(start)
        #expect(!running.process.isRunning)
        #expect(elapsed < 2.0, "took \(elapsed) s to stop")
        running.process.waitUntilExit()
        #expect(running.process.terminationStatus == 0)
        let stopping = notify.receive(until: { $0.contains("STOPPING=1") }, timeout: 1)
        #expect(stopping.contains { $0.contains("STOPPING=1") })
        let stderr = String(decoding: running.err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(stderr.contains("kioskd ready"))
    }

    @Test func logsUnderJournaldCarryPriorityAndNoTimestamp() throws {
        let config = KioskdProcess.repoRoot.appendingPathComponent("examples/kioskd.toml").path
        let running = try KioskdProcess.start(["run", "--config", config], environment: ["JOURNAL_STREAM": "8:1234"])
        usleep(1_500_000)
        kill(running.process.processIdentifier, SIGTERM)
        running.process.waitUntilExit()
        let stderr = String(decoding: running.err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let lines = stderr.split(separator: "\n")
        #expect(!lines.isEmpty)
        for line in lines {
            #expect(line.hasPrefix("<"), "no priority prefix: \(line)")
            #expect(!line.contains("T0") && !line.contains("Z info"), "timestamp under journald: \(line)")
        }
        #expect(lines.contains { $0.hasPrefix("<5>kioskd: kioskd ready") })
    }
}

/// A bound AF_UNIX datagram socket that collects sd_notify messages.
final class NotifySocket {
    let fd: Int32
    let path: String

    init(path: String) throws {
        self.path = path
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard rc == 0 else { throw POSIXError(.init(rawValue: errno) ?? .EINVAL) }
    }

    func receive(until done: (String) -> Bool, timeout: TimeInterval) -> [String] {
        var messages: [String] = []
        let deadline = Date().addingTimeInterval(timeout)
        var buffer = [UInt8](repeating: 0, count: 4096)
        while Date() < deadline {
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, 50) > 0 else { continue }
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { continue }
            let text = String(decoding: buffer[0..<n], as: UTF8.self)
            messages.append(contentsOf: text.split(separator: "\n").map(String.init))
            if messages.contains(where: done) { break }
        }
        return messages
    }

    func close() {
        Glibc.close(fd)
        unlink(path)
    }
}
