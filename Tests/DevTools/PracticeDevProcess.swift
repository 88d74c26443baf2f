import Foundation

/// The project's reference practice endpoint, started as a child process on loopback (by the
/// tests and by `kioskd-demo`).
public final class PracticeDevProcess: @unchecked Sendable {
    // @unchecked: the Process is only started and stopped from the owning task.
    private let process = Process()
    public let port: Int
    /// Its log (stdout and stderr), for diagnosis.
    public let logFile: String

    public enum Failure: Error, CustomStringConvertible {
        case missing(String)
        case didNotStart

        public var description: String {
            switch self {
            case .missing(let path): "missing \(path) (swift build --product practice-dev)"
            case .didNotStart: "practice-dev did not start listening"
            }
        }
    }

    /// Starts `practice-dev --dev` from `executableDirectory` on a free loopback port.
    public init(executableDirectory: URL, port: Int? = nil, arguments: [String] = []) throws {
        let binary = executableDirectory.appendingPathComponent("practice-dev")
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            throw Failure.missing(binary.path)
        }
        self.port = port ?? PracticeDevProcess.freePort()
        process.executableURL = binary
        process.arguments = ["--dev", "--host", "127.0.0.1", "--port", String(self.port)] + arguments
        logFile = FileManager.default.temporaryDirectory.appendingPathComponent("practice-dev-\(self.port).log").path
        _ = FileManager.default.createFile(atPath: logFile, contents: nil)
        let log = FileHandle(forWritingAtPath: logFile) ?? FileHandle.nullDevice
        process.standardOutput = log
        process.standardError = log
        try process.run()
        guard PracticeDevProcess.waitForListen(port: self.port, timeout: 15) else {
            process.terminate()
            throw Failure.didNotStart
        }
    }

    public var log: String { (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? "" }

    public var baseURL: String { "http://127.0.0.1:\(port)" }
    public var signalingURL: String { "ws://127.0.0.1:\(port)/ws" }

    public func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }

    deinit { stop() }

    public static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var sin = sockaddr_in()
        sin.sin_family = sa_family_t(AF_INET)
        sin.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &sin) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        _ = withUnsafeMutablePointer(to: &sin) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return Int(UInt16(bigEndian: sin.sin_port))
    }

    public static func waitForListen(port: Int, timeout: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var sin = sockaddr_in()
            sin.sin_family = sa_family_t(AF_INET)
            sin.sin_port = UInt16(port).bigEndian
            sin.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
            let rc = withUnsafePointer(to: &sin) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            close(fd)
            if rc == 0 { return true }
            usleep(100_000)
        }
        return false
    }
}
