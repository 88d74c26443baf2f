import Foundation

/// Runs the built `kioskd` binary as a child process, as systemd or a person would.
enum KioskdProcess {
    static var repoRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// The build folder the tests run from (practice-dev and the other products are there).
    static var buildDirectory: URL {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: dir.appendingPathComponent("kioskd").path), dir.path != "/" {
            dir.deleteLastPathComponent()
        }
        return dir
    }

    /// The `kioskd` executable in the build folder, or `KIOSKD_BINARY` (`make bench` measures
    /// a release build's cost that way).
    static var binary: URL {
        if let path = ProcessInfo.processInfo.environment["KIOSKD_BINARY"], !path.isEmpty { return URL(fileURLWithPath: path) }
        return buildDirectory.appendingPathComponent("kioskd")
    }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func run(_ arguments: [String], environment: [String: String] = [:], timeout: TimeInterval = 20) throws -> Result {
        let process = try start(arguments, environment: environment)
        let deadline = Date().addingTimeInterval(timeout)
        while process.process.isRunning && Date() < deadline { usleep(10_000) }
        if process.process.isRunning { process.process.terminate() }
        process.process.waitUntilExit()
        return Result(
            status: process.process.terminationStatus,
            stdout: String(decoding: process.out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self),
            stderr: String(decoding: process.err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        )
    }

    struct Running {
        var process: Process
        var out: Pipe
        var err: Pipe
    }

    static func start(_ arguments: [String], environment: [String: String] = [:]) throws -> Running {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["JOURNAL_STREAM"] = nil
        env["NOTIFY_SOCKET"] = nil
        env["WATCHDOG_USEC"] = nil
        for (k, v) in environment { env[k] = v }
        process.environment = env
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        return Running(process: process, out: out, err: err)
    }

    /// Writes a config file into a fresh temporary folder and returns its path.
    static func writeConfig(_ text: String, name: String = "kioskd.toml") throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kioskd-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent(name).path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}
