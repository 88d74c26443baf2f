import DevTools
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
@testable import KioskCore

struct PracticeReply { var status: Int; var body: [String: Any] }

/// One request to practice-dev's API (JSON in, JSON out).
func practiceAPI(_ practice: PracticeDevProcess, _ method: String, _ path: String, _ body: [String: Any]) async throws -> PracticeReply {
    var request = URLRequest(url: URL(string: practice.baseURL + path)!)
    request.httpMethod = method
    request.setValue("application/json", forHTTPHeaderField: "Content-Type")
    request.httpBody = try JSONSerialization.data(withJSONObject: body)
    let (data, response) = try await URLSession.shared.data(for: request)
    let status = (response as? HTTPURLResponse)?.statusCode ?? 0
    return PracticeReply(status: status, body: (try? JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:])
}

/// Polls `condition` until true or the timeout, then records a failure naming what was awaited.
func eventually(_ what: String, timeout: TimeInterval = 20, _ condition: () throws -> Bool) async throws {
    let deadline = Date().addingTimeInterval(timeout)
    var lastError: (any Error)?
    while Date() < deadline {
        do {
            if try condition() { return }
        } catch {
            lastError = error
        }
        try await Task.sleep(for: .milliseconds(100))
    }
    Issue.record("timed out waiting for: \(what)\(lastError.map { " (last error: \($0))" } ?? "")")
    throw CancellationError()
}

enum PracticeClock {
    static func iso(_ d: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f.string(from: d)
    }
}

/// `kioskd run` with synthetic devices, an off-screen display and a control socket, its log
/// in a file (never a pipe that could fill and stall it).
final class RunningKiosk: @unchecked Sendable {
    private(set) var process = Process()
    let directory: String
    let control: ControlClient

    convenience init(practice: PracticeDevProcess, kioskId: String = "kiosk-e2e", camera: String = "synthetic") throws {
        try self.init(signalingURL: practice.signalingURL, kioskId: kioskId, camera: camera)
    }

    /// Runs `kioskd run` in this network namespace (`ip netns exec`), e.g. the network lab's.
    let namespace: String?

    /// - Parameters: `token` the kiosk's credential; `practiceCA` a PEM file trusted for the
    ///   practice's wss://; `callSettings` extra `[call]` lines.
    init(signalingURL: String, kioskId: String = "kiosk-e2e", camera: String = "synthetic", token: String = "dev",
         practiceCA: String? = nil, callSettings: String = "", namespace: String? = nil) throws {
        self.namespace = namespace
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("kioskd-e2e-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try "\(token)\n".write(toFile: "\(directory)/token", atomically: true, encoding: .utf8)
        let config = """
        [kiosk]
        id = "\(kioskId)"
        [practice]
        url = "\(signalingURL)"
        token_file = "\(directory)/token"
        \(practiceCA.map { "ca_file = \"\($0)\"" } ?? "")
        [call]
        \(callSettings)
        [devices]
        camera = "\(camera)"
        microphone = "synthetic"
        speaker = "synthetic"
        touch = "none"
        [display]
        device = "offscreen"
        mode = "1280x720"
        [service]
        state_directory = "\(directory)"
        control_socket = "\(directory)/control.sock"
        control_screenshots = true
        """
        try config.write(toFile: "\(directory)/kioskd.toml", atomically: true, encoding: .utf8)
        _ = FileManager.default.createFile(atPath: "\(directory)/kioskd.log", contents: nil)
        control = ControlClient(path: "\(directory)/control.sock")
        try launch()
    }

    /// Starts `kioskd run` on this kiosk's configuration and state directory, its log appended
    /// to the same file, and waits for its control socket.
    private func launch() throws {
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: "\(directory)/kioskd.log"))
        log.seekToEndOfFile()
        process = Process()
        let run = ["run", "--config", "\(directory)/kioskd.toml"]
        if let namespace {
            process.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
            process.arguments = ["netns", "exec", namespace, KioskdProcess.binary.path] + run
        } else {
            process.executableURL = KioskdProcess.binary
            process.arguments = run
        }
        var env = ProcessInfo.processInfo.environment
        env["NOTIFY_SOCKET"] = nil
        env["WATCHDOG_USEC"] = nil
        env["JOURNAL_STREAM"] = nil
        process.environment = env
        process.standardOutput = log
        process.standardError = log
        try? FileManager.default.removeItem(atPath: "\(directory)/control.sock")
        try process.run()
        // A debug build on a loaded 2-core machine can take many seconds to come up.
        let deadline = Date().addingTimeInterval(30)
        while !FileManager.default.fileExists(atPath: "\(directory)/control.sock") && Date() < deadline { usleep(20_000) }
    }

    /// What systemd does after a crash (`Restart=on-failure`): the same kiosk again.
    func restart() throws {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        try launch()
    }

    func signal(_ number: Int32) {
        kill(process.processIdentifier, number)
    }

    var log: String { (try? String(contentsOfFile: "\(directory)/kioskd.log", encoding: .utf8)) ?? "" }

    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }

    deinit { stop() }
}
