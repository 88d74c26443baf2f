import Foundation
import Synchronization

/// One tab, attached as a flat session on the browser's DevTools connection.
/// See `ChromiumBrowser` for the whole API in one place.
public final class ChromiumPage: Sendable {
    public let browser: ChromiumBrowser
    public let targetId: String
    let sessionId: String
    private let console = Mutex<[String]>([])

    private init(browser: ChromiumBrowser, targetId: String, sessionId: String) {
        self.browser = browser
        self.targetId = targetId
        self.sessionId = sessionId
    }

    static func attach(browser: ChromiumBrowser, targetId: String) async throws -> ChromiumPage {
        let timeout = browser.options.commandTimeout
        let attached = try await browser.connection.send("Target.attachToTarget", ["targetId": .string(targetId), "flatten": true],
                                                         timeout: timeout)
        guard let sessionId = attached["sessionId"].string else {
            throw DevToolsError.launchFailed("Target.attachToTarget returned \(attached)")
        }
        let page = ChromiumPage(browser: browser, targetId: targetId, sessionId: sessionId)
        await browser.connection.addListener { [weak page] event in
            guard let page, event.sessionId == sessionId else { return }
            page.record(event)
        }
        _ = try await page.command("Page.enable")
        _ = try await page.command("Runtime.enable")
        _ = try await page.command("Emulation.setFocusEmulationEnabled", ["enabled": true])
        _ = try await page.command("Emulation.setDeviceMetricsOverride", [
            "width": .number(Double(browser.options.windowWidth)), "height": .number(Double(browser.options.windowHeight)),
            "deviceScaleFactor": 1, "mobile": false,
        ])
        return page
    }

    /// Console output (`"log: …"`, `"error: …"`) and uncaught exceptions (`"exception: …"`), in order.
    public var consoleMessages: [String] { console.withLock { $0 } }

    /// Sends any protocol command to this tab and returns its `result`.
    public func command(_ method: String, _ params: JSONValue = [:], timeout: Duration? = nil) async throws -> JSONValue {
        try await browser.connection.send(method, params, sessionId: sessionId, timeout: timeout ?? browser.options.commandTimeout)
    }

    /// Loads `url` and returns once its `load` event fired.
    public func navigate(_ url: String, timeout: Duration = .seconds(15)) async throws {
        let token = await browser.connection.expectEvent("Page.loadEventFired", sessionId: sessionId)
        let result = try await command("Page.navigate", ["url": .string(url)], timeout: timeout)
        if let error = result["errorText"].string, !error.isEmpty {
            throw DevToolsError.protocolError(method: "Page.navigate", code: 0, message: "\(error) loading \(url)")
        }
        _ = try await browser.connection.awaitEvent(token, timeout: timeout)
    }

    /// Evaluates a JavaScript expression (promises awaited) and returns its value as JSON
    /// (`undefined` becomes `.null`). Throws `DevToolsError.javascript` when it throws.
    @discardableResult
    public func evaluate(_ expression: String, timeout: Duration = .seconds(10)) async throws -> JSONValue {
        let result = try await command("Runtime.evaluate", [
            "expression": .string(expression), "returnByValue": true, "awaitPromise": true, "userGesture": true,
        ], timeout: timeout)
        if case .object(let details) = result["exceptionDetails"] {
            let thrown = details["exception"]?["description"].string ?? details["exception"]?["value"].description
            throw DevToolsError.javascript("\(thrown ?? details["text"]?.string ?? "exception") in `\(expression.prefix(120))`")
        }
        return result["result"]["value"]
    }

    /// Polls `condition` (a JavaScript expression) every `interval` until it is truthy; returns
    /// that value. Errors while polling (a page still loading) are retried until the timeout.
    @discardableResult
    public func waitFor(_ condition: String, timeout: Duration = .seconds(10),
                        interval: Duration = .milliseconds(100)) async throws -> JSONValue {
        let deadline = ContinuousClock.now + timeout
        var last = "never evaluated"
        while true {
            do {
                let value = try await evaluate(condition, timeout: max(.seconds(1), min(timeout, .seconds(5))))
                if value.isTruthy { return value }
                last = "last value \(value)"
            } catch let error as DevToolsError {
                if case .connectionClosed = error { throw error }
                last = "\(error)"
            }
            guard ContinuousClock.now < deadline else {
                throw DevToolsError.timeout("`\(condition)` not true within \(timeout) (\(last))")
            }
            try await Task.sleep(for: interval)
        }
    }

    /// Clicks the centre of the first element matching the CSS `selector` with real mouse
    /// events, once it is visible and not covered (waits up to `timeout` for that).
    public func click(_ selector: String, timeout: Duration = .seconds(5)) async throws {
        let find = """
            (() => { const el = document.querySelector(\(JSONValue.string(selector)));
              if (!el) return 'missing';
              el.scrollIntoView({ block: 'center', inline: 'center' });
              const r = el.getBoundingClientRect();
              if (r.width === 0 || r.height === 0) return 'not visible';
              const x = r.left + r.width / 2, y = r.top + r.height / 2;
              const top = document.elementFromPoint(x, y);
              if (!top || !(el === top || el.contains(top))) return 'covered by ' + (top ? top.tagName + (top.id ? '#' + top.id : '') : 'nothing');
              if (el.disabled) return 'disabled';
              return { x, y }; })()
            """
        let deadline = ContinuousClock.now + timeout
        var point = try await evaluate(find)
        while point.object == nil {
            guard ContinuousClock.now < deadline else {
                throw DevToolsError.noSuchElement("\(selector) (\(point.string ?? "\(point)") after \(timeout))")
            }
            try await Task.sleep(for: .milliseconds(100))
            point = try await evaluate(find)
        }
        let x = point["x"], y = point["y"]
        _ = try await command("Input.dispatchMouseEvent", ["type": "mouseMoved", "x": x, "y": y])
        _ = try await command("Input.dispatchMouseEvent", ["type": "mousePressed", "x": x, "y": y, "button": "left", "clickCount": 1])
        _ = try await command("Input.dispatchMouseEvent", ["type": "mouseReleased", "x": x, "y": y, "button": "left", "clickCount": 1])
    }

    /// Writes a PNG of the viewport to `path` (parent directories created).
    public func screenshot(to path: String) async throws {
        _ = try? await command("Page.bringToFront")
        let shot = try await command("Page.captureScreenshot", ["format": "png"], timeout: .seconds(15))
        guard let base64 = shot["data"].string, let data = Data(base64Encoded: base64) else {
            throw DevToolsError.protocolError(method: "Page.captureScreenshot", code: 0, message: "no image data")
        }
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try data.write(to: url)
    }

    /// Closes the tab (the browser keeps running).
    public func close() async {
        _ = try? await browser.connection.send("Target.closeTarget", ["targetId": .string(targetId)], timeout: .seconds(5))
    }

    private func record(_ event: DevToolsConnection.Event) {
        switch event.method {
        case "Runtime.consoleAPICalled":
            let args = (event.params["args"].array ?? []).map { a in
                a["value"].string ?? (a["value"].isNull ? a["description"].string ?? a["type"].string ?? "?" : a["value"].description)
            }
            let line = "\(event.params["type"].string ?? "log"): \(args.joined(separator: " "))"
            console.withLock { $0.append(line) }
        case "Runtime.exceptionThrown":
            let d = event.params["exceptionDetails"]
            let line = "exception: \(d["exception"]["description"].string ?? d["text"].string ?? "\(d)")"
            console.withLock { $0.append(line) }
        default:
            break
        }
    }
}
