import Foundation
import Synchronization

/// Headless Chromium driven over the DevTools protocol, for tests.
///
/// Public API (every call has a timeout; nothing waits forever):
/// ```
/// try await ChromiumBrowser.with { browser in                   // launches, always closes
///     let page = try await browser.firstPage()                  // the initial tab
///     let kiosk = try await browser.newPage()                   // a second tab (own window)
///     try await page.navigate("http://127.0.0.1:\(port)/?clinician=dr-demo")
///     let state = try await page.evaluate("window.telehealth.state()")   // -> JSONValue
///     try await page.click("#start-telehealth")                 // real mouse click at the centre
///     try await page.waitFor("window.telehealth.state() === 'in-call'", timeout: .seconds(10))
///     try await page.screenshot(to: "/tmp/shots/01-list.png")   // PNG, directories created
///     page.consoleMessages                                       // console output and exceptions
/// }
/// let browser = try await ChromiumBrowser.launch()  // or by hand; then `await browser.close()`
/// ```
/// `ChromiumBrowser.launch(options:)`: headless, fake camera and microphone (the microphone
/// beeps), loopback WebRTC allowed, 1280x800 windows, a fresh profile in a temporary directory.
/// `close()` asks the browser to quit, kills its process group, and removes the profile.
public final class ChromiumBrowser: Sendable {
    public struct Options: Sendable {
        /// The browser binary (the Debian launcher script execs the real one).
        public var executable = "/usr/bin/chromium"
        public var windowWidth = 1280
        public var windowHeight = 800
        /// `--use-fake-device-for-media-stream` (camera 640x480 at this rate, beeping microphone).
        public var fakeMediaFPS = 30
        public var extraArguments: [String] = []
        public var launchTimeout: Duration = .seconds(20)
        /// Timeout of each protocol command unless a call says otherwise.
        public var commandTimeout: Duration = .seconds(10)
        /// Runs the browser in this network namespace (`ip netns exec`), driven over
        /// `--remote-debugging-pipe` since its loopback port would be out of reach.
        public var networkNamespace: String?
        public init() {}
    }

    public let options: Options
    /// Chromium's own log (stdout and stderr), for diagnosis; removed by `close()`.
    public let logPath: String
    let connection: DevToolsConnection
    private let process: ChromiumProcess
    private let root: URL
    private let closed = Mutex(false)

    private init(options: Options, connection: DevToolsConnection, process: ChromiumProcess, root: URL, logPath: String) {
        self.options = options
        self.connection = connection
        self.process = process
        self.root = root
        self.logPath = logPath
    }

    deinit {
        // A test that forgot `close()` must not leave a browser running.
        if !closed.withLock({ $0 }) {
            kill(-process.pid, SIGKILL)
            try? FileManager.default.removeItem(at: root)
        }
    }

    /// Launches the browser, closes it on every path out of `body`.
    public static func with<T: Sendable>(
        options: Options = Options(), _ body: (ChromiumBrowser) async throws -> T
    ) async throws -> T {
        let browser = try await launch(options: options)
        do {
            let result = try await body(browser)
            await browser.close()
            return result
        } catch {
            await browser.close()
            throw error
        }
    }

    public static func launch(options: Options = Options()) async throws -> ChromiumBrowser {
        guard FileManager.default.isExecutableFile(atPath: options.executable) else {
            throw DevToolsError.launchFailed("\(options.executable) is missing (apt-get install chromium)")
        }
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("devtools-chromium-\(UUID().uuidString)")
        let profile = root.appendingPathComponent("profile")
        try FileManager.default.createDirectory(at: profile, withIntermediateDirectories: true)
        let logPath = root.appendingPathComponent("chromium.log").path
        let arguments = [
            "--headless=new", "--no-sandbox", "--no-first-run", "--no-default-browser-check",
            "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream=fps=\(options.fakeMediaFPS)",
            "--autoplay-policy=no-user-gesture-required", "--allow-loopback-in-peer-connection",
            "--user-data-dir=\(profile.path)", "--remote-debugging-port=0",
            // The WebSocket client sends an Origin; the endpoint listens on loopback only.
            "--remote-allow-origins=*",
            "--window-size=\(options.windowWidth),\(options.windowHeight)",
            "--disable-gpu", "--mute-audio", "--disable-background-networking",
            // Two tabs in one browser must both run at full speed (timers, rAF, video frames).
            "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
            "--disable-backgrounding-occluded-windows",
        ] + options.extraArguments + ["about:blank"]
        if let namespace = options.networkNamespace {
            return try await launchInNamespace(namespace, options: options, arguments: arguments, root: root, logPath: logPath)
        }
        let process = try ChromiumProcess.spawn(executable: options.executable, arguments: arguments, logPath: logPath)

        func fail(_ why: String) async -> DevToolsError {
            let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
            let tail = log.split(separator: "\n").suffix(15).joined(separator: "\n")
            await process.killTree()
            try? FileManager.default.removeItem(at: root)
            return .launchFailed("\(why)\n\(tail)")
        }

        // With port 0 Chromium picks a free port and writes "port\n/devtools/browser/<id>" here.
        let portFile = profile.appendingPathComponent("DevToolsActivePort").path
        let deadline = ContinuousClock.now + options.launchTimeout
        var endpoint: String?
        while endpoint == nil {
            if let text = try? String(contentsOfFile: portFile, encoding: .utf8) {
                let lines = text.split(separator: "\n")
                if lines.count >= 2, let port = Int(lines[0]), port > 0 {
                    endpoint = "ws://127.0.0.1:\(port)\(lines[1])"
                    break
                }
            }
            guard process.isRunning() else { throw await fail("the browser exited during start-up") }
            guard ContinuousClock.now < deadline else { throw await fail("no DevToolsActivePort within \(options.launchTimeout)") }
            try? await Task.sleep(for: .milliseconds(50))
        }
        guard let endpoint else { throw await fail("no DevTools endpoint") }
        let connection: DevToolsConnection
        do {
            connection = try await DevToolsConnection.open(url: endpoint, timeout: .seconds(10))
        } catch {
            throw await fail("\(error)")
        }
        return ChromiumBrowser(options: options, connection: connection, process: process, root: root, logPath: logPath)
    }

    private static func launchInNamespace(_ namespace: String, options: Options, arguments: [String], root: URL,
                                          logPath: String) async throws -> ChromiumBrowser {
        var toBrowser: [Int32] = [-1, -1], fromBrowser: [Int32] = [-1, -1]
        guard pipe(&toBrowser) == 0, pipe(&fromBrowser) == 0 else { throw DevToolsError.launchFailed("pipe: \(errno)") }
        // Our ends must not leak into the browser (it would never see end-of-file).
        _ = fcntl(toBrowser[1], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fromBrowser[0], F_SETFD, FD_CLOEXEC)
        let pipeArguments = arguments.map { $0 == "--remote-debugging-port=0" ? "--remote-debugging-pipe" : $0 }
        let process: ChromiumProcess
        do {
            process = try ChromiumProcess.spawn(executable: "/usr/sbin/ip", arguments: ["netns", "exec", namespace, options.executable] + pipeArguments,
                                                logPath: logPath, debuggingPipe: (toBrowser[0], fromBrowser[1]))
        } catch {
            for fd in toBrowser + fromBrowser { Glibc.close(fd) }
            try? FileManager.default.removeItem(at: root)
            throw error
        }
        Glibc.close(toBrowser[0])
        Glibc.close(fromBrowser[1])
        let connection = DevToolsConnection.openPipe(readFD: fromBrowser[0], writeFD: toBrowser[1])
        let browser = ChromiumBrowser(options: options, connection: connection, process: process, root: root, logPath: logPath)
        // The pipe is open at once; the browser is up when it answers.
        let deadline = ContinuousClock.now + options.launchTimeout
        while true {
            if (try? await connection.send("Browser.getVersion", timeout: .seconds(2))) != nil { return browser }
            if !process.isRunning() || ContinuousClock.now >= deadline {
                let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
                await browser.close()
                throw DevToolsError.launchFailed("the browser in \(namespace) did not answer on its pipe\n\(log.split(separator: "\n").suffix(15).joined(separator: "\n"))")
            }
        }
    }

    /// The tab the browser opened at launch (`about:blank`).
    public func firstPage() async throws -> ChromiumPage {
        let deadline = ContinuousClock.now + options.commandTimeout
        while true {
            let targets = try await connection.send("Target.getTargets", timeout: options.commandTimeout)["targetInfos"].array ?? []
            if let page = targets.first(where: { $0["type"].string == "page" }), let id = page["targetId"].string {
                return try await ChromiumPage.attach(browser: self, targetId: id)
            }
            guard ContinuousClock.now < deadline else { throw DevToolsError.timeout("the browser has no page target") }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Opens another tab in its own window (so neither is a throttled background tab).
    public func newPage(url: String = "about:blank") async throws -> ChromiumPage {
        let created = try await connection.send("Target.createTarget", [
            "url": .string(url), "newWindow": true,
            "width": .number(Double(options.windowWidth)), "height": .number(Double(options.windowHeight)),
        ], timeout: options.commandTimeout)
        guard let id = created["targetId"].string else { throw DevToolsError.launchFailed("Target.createTarget returned \(created)") }
        return try await ChromiumPage.attach(browser: self, targetId: id)
    }

    /// Quits the browser (gracefully for up to 2 s), kills what is left of its process group and
    /// deletes the profile. Safe to call twice.
    public func close() async {
        guard closed.withLock({ was in defer { was = true }; return !was }) else { return }
        _ = try? await connection.send("Browser.close", timeout: .seconds(2))
        for _ in 0..<40 where process.isRunning() {
            try? await Task.sleep(for: .milliseconds(50))
        }
        await connection.shutdown()
        await process.killTree()
        try? FileManager.default.removeItem(at: root)
    }
}
