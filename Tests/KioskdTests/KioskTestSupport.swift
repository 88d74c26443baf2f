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
    let process = Process()
    let directory: String
    let control: ControlClient

    convenience init(practice: PracticeDevProcess, kioskId: String = "kiosk-e2e", camera: String = "synthetic") throws {
        try self.init(signalingURL: practice.signalingURL, kioskId: kioskId, camera: camera)
    }

    init(signalingURL: String, kioskId: String = "kiosk-e2e", camera: String = "synthetic") throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("kioskd-e2e-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try "dev\n".write(toFile: "\(directory)/token", atomically: true, encoding: .utf8)
        let config = """
        [kiosk]
        id = "\(kioskId)"
        [practice]
        url = "\(signalingURL)"
        token_file = "\(directory)/token"
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
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: "\(directory)/kioskd.log"))
        process.executableURL = KioskdProcess.binary
        process.arguments = ["run", "--config", "\(directory)/kioskd.toml"]
        var env = ProcessInfo.processInfo.environment
        env["NOTIFY_SOCKET"] = nil
        env["WATCHDOG_USEC"] = nil
        env["JOURNAL_STREAM"] = nil
        process.environment = env
        process.standardOutput = log
        process.standardError = log
        try process.run()
        control = ControlClient(path: "\(directory)/control.sock")
        // A debug build on a loaded 2-core machine can take many seconds to come up.
        let deadline = Date().addingTimeInterval(30)
        while !FileManager.default.fileExists(atPath: "\(directory)/control.sock") && Date() < deadline { usleep(50_000) }
    }

    var log: String { (try? String(contentsOfFile: "\(directory)/kioskd.log", encoding: .utf8)) ?? "" }

    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }

    deinit { stop() }
}
