import Foundation

/// A real browser as the clinician: Debian's headless Chromium with a fake camera and
/// microphone, on loopback only (flags measured in shared/notes/peers.md). The clinician page
/// logs `TELEHEALTH-STATS {json}` to the console once a second when asked (`statsLog=1`);
/// Chromium copies console lines to stderr, where this reads them.
final class ChromiumClinician: @unchecked Sendable {
    // @unchecked: `latest` and `consoleErrors` are only touched under `lock`.
    private let process = Process()
    private let profile: URL
    private let lock = NSLock()
    private var latestStats: String?
    private var errors: [String] = []
    private var buffer = Data()

    static func executable() -> String? {
        ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    init(url: String) throws {
        guard let chromium = ChromiumClinician.executable() else {
            throw DemoError.missingTool("chromium (apt-get install chromium)")
        }
        profile = FileManager.default.temporaryDirectory.appendingPathComponent("kioskd-chromium-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: profile, withIntermediateDirectories: true)
        process.executableURL = URL(fileURLWithPath: chromium)
        process.arguments = [
            "--headless=new", "--no-sandbox", "--no-first-run", "--no-default-browser-check",
            "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream=fps=30",
            "--autoplay-policy=no-user-gesture-required", "--allow-loopback-in-peer-connection",
            "--user-data-dir=\(profile.path)", "--enable-logging=stderr", "--v=0",
            "--disable-gpu", "--mute-audio", url,
        ]
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        err.fileHandleForReading.readabilityHandler = { [weak self] handle in
            self?.consume(handle.availableData)
        }
        try process.run()
    }

    private func consume(_ data: Data) {
        lock.lock()
        defer { lock.unlock() }
        buffer.append(data)
        while let newline = buffer.firstIndex(of: 0x0a) {
            let line = String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self)
            buffer.removeSubrange(buffer.startIndex...newline)
            if let range = line.range(of: "TELEHEALTH-STATS ") {
                var json = String(line[range.upperBound...])
                // Chromium appends `", source: URL (line)` to console lines.
                if let end = json.range(of: "\", source:") { json = String(json[..<end.lowerBound]) }
                latestStats = json
            } else if line.contains("CONSOLE") && (line.contains("Uncaught") || line.contains("TELEHEALTH-ERROR")) {
                errors.append(line)
            }
        }
    }

    /// The page's most recent stats summary, parsed.
    var stats: [String: Any]? {
        lock.lock()
        let text = latestStats
        lock.unlock()
        guard let text, let data = text.data(using: .utf8) else { return nil }
        return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
    }

    var consoleErrors: [String] {
        lock.lock()
        defer { lock.unlock() }
        return errors
    }

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: profile)
    }

    deinit { stop() }
}

enum DemoError: Error, CustomStringConvertible {
    case missingTool(String)
    case practiceDidNotStart
    case callFailed(String)

    var description: String {
        switch self {
        case .missingTool(let t): "missing \(t)"
        case .practiceDidNotStart: "practice-dev did not start listening"
        case .callFailed(let why): "the call failed: \(why)"
        }
    }
}
