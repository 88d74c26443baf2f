import DevTools
import Foundation

/// A real browser as the clinician: headless Chromium with a fake camera and microphone, on
/// loopback only, launched and driven by `DevTools` (the same launcher the tests use). The
/// clinician page logs `TELEHEALTH-STATS {json}` to the console once a second when asked
/// (`statsLog=1`); this reads the page's console.
final class ChromiumClinician: Sendable {
    private let browser: ChromiumBrowser
    private let page: ChromiumPage

    private init(browser: ChromiumBrowser, page: ChromiumPage) {
        self.browser = browser
        self.page = page
    }

    /// Launches the browser and opens `url` in its first tab.
    static func start(url: String) async throws -> ChromiumClinician {
        let options = ChromiumBrowser.Options()
        guard FileManager.default.isExecutableFile(atPath: options.executable) else {
            throw DemoError.missingTool("\(options.executable) (apt-get install chromium)")
        }
        let browser = try await ChromiumBrowser.launch(options: options)
        do {
            let page = try await browser.firstPage()
            try await page.navigate(url)
            return ChromiumClinician(browser: browser, page: page)
        } catch {
            await browser.close()
            throw error
        }
    }

    /// The page's most recent stats summary, parsed.
    var stats: [String: Any]? {
        guard let line = page.consoleMessages.last(where: { $0.contains("TELEHEALTH-STATS ") }),
              let range = line.range(of: "TELEHEALTH-STATS ") else { return nil }
        let data = Data(line[range.upperBound...].utf8)
        return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
    }

    /// Uncaught exceptions and the page's own error reports.
    var consoleErrors: [String] {
        page.consoleMessages.filter { $0.hasPrefix("exception:") || $0.contains("TELEHEALTH-ERROR") }
    }

    func stop() async { await browser.close() }
}

enum DemoError: Error, CustomStringConvertible {
    case missingTool(String)

    var description: String {
        switch self {
        case .missingTool(let t): "missing \(t)"
        }
    }
}
