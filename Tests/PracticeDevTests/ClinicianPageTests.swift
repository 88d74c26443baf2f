import DevTools
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

/// The clinician's page in headless Chromium against practice-dev in-process, with a second tab
/// playing the kiosk (`/?role=kiosk`). Each step leaves a PNG in
/// `<package>/.build/screenshots/clinician/NN-step.png`.
@Suite(.serialized) struct ClinicianPageTests {
    static let clinician = "dr-page"
    static let patient = "Ada Lovelace"
    static let shots = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent(".build/screenshots/clinician")

    @Test(.timeLimit(.minutes(2))) func clinicianWorkflowWithABrowserKiosk() async throws {
        let logs = LogCapture()
        try? FileManager.default.removeItem(at: Self.shots)
        try await withPracticeServer(logger: logs.logger(level: .info)) { port in
            let base = "http://127.0.0.1:\(port)"
            let now = Date()
            try await Self.create(base, id: "page-ok", type: "Individual", at: now.addingTimeInterval(30 * 60))
            try await Self.create(base, id: "page-early", type: "Individual", at: now.addingTimeInterval(8 * 3600))
            try await Self.create(base, id: "page-group", type: "Group Therapy", at: now)
            let assigned = try await Self.http("POST", "\(base)/api/kiosks/kiosk-page/assignment", json: #"{"appointmentId":"page-ok"}"#)
            #expect(assigned.status == 200, "\(assigned.body)")

            try await ChromiumBrowser.with { browser in
                let page = try await browser.firstPage()
                try await Self.run(page: page, browser: browser, base: base)
            }
        }
        #expect(!logs.all.contains { $0.contains(Self.patient) }, "practice-dev logged the patient's name")
    }

    static func run(page: ChromiumPage, browser: ChromiumBrowser, base: String) async throws {
        // 1. The schedule.
        try await page.navigate("\(base)/?clinician=\(clinician)")
        try await page.waitFor("telehealth.state() === 'list' && document.querySelectorAll('#appointments [data-appointment-id]').length === 3")
        let ids = try await page.evaluate("[...document.querySelectorAll('#appointments [data-appointment-id]')].map(e => e.dataset.appointmentId).sort()")
        #expect(ids == ["page-early", "page-group", "page-ok"])
        #expect(try await page.evaluate("document.querySelector('[data-appointment-id=\"page-ok\"]').textContent").string?.contains(patient) == true)
        try await shot(page, 1, "list")

        // 2. Too early: the banner gives the opening time, no start button.
        try await page.click("[data-appointment-id='page-early']")
        try await page.waitFor("telehealth.state() === 'appointment' && document.querySelector('#telehealth-banner.blocked')")
        let early = try await http("GET", "\(base)/api/appointments/page-early/telehealth?clinician=\(clinician)")
        let earlyReasons = try JSONValue.parse(early.body)["reasons"]
        #expect(earlyReasons[0]["code"] == "too-early")
        let earlyBanner = try await page.evaluate("document.getElementById('telehealth-banner').textContent").string ?? ""
        #expect(earlyBanner.contains("Telehealth opens at"), "banner: \(earlyBanner)")
        #expect(earlyBanner == (earlyReasons.array ?? []).compactMap { $0["message"].string }.joined(separator: " "))
        #expect(try await page.evaluate("document.getElementById('start-telehealth') === null") == true)
        try await shot(page, 2, "too-early")

        // 3. An excluded type: the reason sentence, no start button.
        try await page.click("#back-to-list")
        try await page.click("[data-appointment-id='page-group']")
        try await page.waitFor("telehealth.appointmentId === 'page-group' && document.querySelector('#telehealth-banner.blocked')")
        let group = try JSONValue.parse(try await http("GET", "\(base)/api/appointments/page-group/telehealth?clinician=\(clinician)").body)
        #expect(group["reasons"][0]["code"] == "type-not-eligible")
        let groupBanner = try await page.evaluate("document.getElementById('telehealth-banner').textContent").string ?? ""
        #expect(!groupBanner.isEmpty && groupBanner == (group["reasons"].array ?? []).compactMap { $0["message"].string }.joined(separator: " "))
        #expect(try await page.evaluate("document.getElementById('start-telehealth') === null") == true)
        try await shot(page, 3, "excluded-type")

        // 4. Someone else's appointment, opened directly: not-the-clinician.
        try await page.navigate("\(base)/?clinician=dr-other&appointment=page-ok")
        try await page.waitFor("telehealth.state() === 'appointment' && document.querySelector('#telehealth-banner.blocked')")
        let other = try JSONValue.parse(try await http("GET", "\(base)/api/appointments/page-ok/telehealth?clinician=dr-other").body)
        #expect(other["reasons"][0]["code"] == "not-the-clinician")
        let otherBanner = try await page.evaluate("document.getElementById('telehealth-banner').textContent").string ?? ""
        #expect(!otherBanner.isEmpty && otherBanner == (other["reasons"].array ?? []).compactMap { $0["message"].string }.joined(separator: " "))
        #expect(try await page.evaluate("document.getElementById('start-telehealth') === null") == true)

        // 5. Eligible: "Start Telehealth Session".
        try await page.navigate("\(base)/?clinician=\(clinician)")
        try await page.waitFor("telehealth.state() === 'list' && document.querySelector('[data-appointment-id=\"page-ok\"]')")
        try await page.click("[data-appointment-id='page-ok']")
        let start = try await page.waitFor("document.getElementById('start-telehealth')?.textContent")
        #expect(start == "Start Telehealth Session")
        try await shot(page, 4, "eligible")

        // 6. The device dialog: live preview, a meter that moves with the fake microphone's beep, pickers.
        try await page.click("#start-telehealth")
        try await page.waitFor("telehealth.state() === 'device-check' && document.getElementById('device-dialog').open")
        #expect(try await page.evaluate("document.querySelector('#device-dialog h2').textContent") == "Select Your Camera and Microphone")
        try await page.waitFor("document.getElementById('preview').videoWidth > 0", timeout: .seconds(20))
        let level = try await page.waitFor(
            "(l => l > 0.05 ? l : 0)(Number(document.getElementById('audio-meter').dataset.level))", timeout: .seconds(20), interval: .milliseconds(50))
        #expect((level.double ?? 0) > 0.05 && (level.double ?? 0) <= 1)
        #expect((try await page.evaluate("document.getElementById('camera-select').options.length").int ?? 0) >= 1)
        #expect((try await page.evaluate("document.getElementById('microphone-select').options.length").int ?? 0) >= 1)
        try await shot(page, 5, "device-check")
        // Changing a picker re-acquires the device (a new track).
        let before = try await page.evaluate("telehealth.localStream.getAudioTracks()[0].id")
        try await page.evaluate("document.getElementById('microphone-select').dispatchEvent(new Event('change'))")
        try await page.waitFor("telehealth.localStream && telehealth.localStream.getAudioTracks()[0].id !== \(before)")

        // 7. Join: waiting for the patient.
        try await page.click("#join-session")
        try await page.waitFor("telehealth.state() === 'waiting' && telehealth.details().joined && 'joined' in telehealth.timings")
        #expect(try await page.evaluate("document.getElementById('remote-placeholder').textContent").string?.contains("Waiting for the patient") == true)
        try await shot(page, 6, "waiting")

        // 8. The kiosk (a second tab) joins its assignment; media flows both ways.
        let kiosk = try await browser.newPage()
        try await kiosk.navigate("\(base)/?role=kiosk&kiosk=kiosk-page&autojoin=1")
        try await waitForMedia(page, kiosk)
        let layout = try await page.evaluate("""
            (() => { const s = document.getElementById('self-view').getBoundingClientRect(),
                           r = document.getElementById('remote-view').getBoundingClientRect();
                     return { selfLeft: s.left, selfTop: s.top, selfWidth: s.width, remoteWidth: r.width,
                              remoteCentre: r.left + r.width / 2, viewport: innerWidth }; })()
            """)
        #expect((layout["selfLeft"].double ?? 999) < 40 && (layout["selfTop"].double ?? 999) < 40)
        #expect((layout["selfWidth"].double ?? 999) < (layout["remoteWidth"].double ?? 0) / 3)
        #expect(abs((layout["remoteCentre"].double ?? 0) - (layout["viewport"].double ?? 0) / 2) < 2)
        #expect(try await page.evaluate("document.getElementById('remote-state').textContent") == "")
        try await shot(page, 7, "in-call")
        try await shot(kiosk, 8, "kiosk-in-call")

        // 9. The patient mutes; the clinician turns the camera off: each side sees the other's state.
        try await kiosk.click("#toggle-mute")
        try await page.waitFor("document.getElementById('remote-state').textContent === \"Patient's microphone is muted\"")
        try await page.click("#toggle-camera")
        try await kiosk.waitFor("document.getElementById('remote-state').textContent === \"Clinician's camera is off\"")
        #expect(try await page.evaluate("document.getElementById('toggle-camera').getAttribute('aria-pressed')") == "true")
        try await shot(page, 9, "patient-muted")
        try await kiosk.click("#toggle-mute")
        try await page.click("#toggle-camera")
        try await page.waitFor("document.getElementById('remote-state').textContent === ''")

        // 10. The kiosk ends: both sides show the ended dialog.
        try await kiosk.click("#end-session")
        for p in [page, kiosk] {
            try await p.waitFor("telehealth.state() === 'ended' && document.getElementById('ended-dialog').open")
            #expect(try await p.evaluate("document.querySelector('#ended-dialog h2').textContent") == "Your Telehealth Session Has Ended")
            #expect(try await p.evaluate("document.getElementById('rejoin-session').textContent") == "Rejoin Session")
        }
        try await shot(page, 10, "ended")

        // 11. Only the clinician rejoins: waiting, no media.
        try await page.click("#rejoin-session")
        try await page.waitFor("telehealth.state() === 'waiting' && 'joined' in telehealth.timings && telehealth.details().joined")
        try await Task.sleep(for: .seconds(2))
        #expect(try await page.evaluate("telehealth.state()") == "waiting")
        #expect(try await kiosk.evaluate("telehealth.state()") == "ended")
        #expect(try await page.evaluate("telehealth.stats().then(s => s.connectionState)") == "none")
        #expect(try await page.evaluate("document.getElementById('remote-view').srcObject === null") == true)
        #expect(try await page.evaluate("document.getElementById('remote-placeholder').textContent").string?.contains("rejoin") == true)
        try await shot(page, 11, "rejoined-alone")

        // 12. The kiosk rejoins too: media flows again.
        try await kiosk.click("#rejoin-session")
        try await waitForMedia(page, kiosk)
        try await shot(page, 12, "in-call-again")

        for p in [page, kiosk] {
            #expect(try await p.evaluate("telehealth.errors") == [], "page errors")
            #expect(!p.consoleMessages.contains { $0.contains(patient) }, "the patient's name reached the console")
            #expect(!p.consoleMessages.contains { $0.hasPrefix("exception") || $0.hasPrefix("error") }, "\(p.consoleMessages)")
        }
    }

    /// The parameters the kioskd demo and older automation use: `autojoin=1` straight into the
    /// call with default devices, `offer=0` (the kiosk offers), `statsLog=1` (stats on the console),
    /// and a browser kiosk (`role=kiosk`) that joins its assignment by itself.
    @Test(.timeLimit(.minutes(1))) func automationURLParametersStillWork() async throws {
        try await withPracticeServer(logger: LogCapture().logger(level: .info)) { port in
            let base = "http://127.0.0.1:\(port)"
            try await ChromiumBrowser.with { browser in
                let page = try await browser.firstPage()
                try await page.navigate("\(base)/?clinician=dr-demo&appointment=demo-1&autojoin=1&statsLog=1&offer=0")
                try await page.waitFor("telehealth.state() === 'waiting'")
                let kiosk = try await browser.newPage()
                try await kiosk.navigate("\(base)/?role=kiosk&kiosk=kiosk-1&autojoin=1")
                try await Self.waitForMedia(page, kiosk)
                #expect(try await kiosk.evaluate("'offerSent' in telehealth.timings") == true, "offer=0: the kiosk offers")
                #expect(try await page.evaluate("'answerSent' in telehealth.timings") == true)
                try await Task.sleep(for: .milliseconds(1200))
                let line = page.consoleMessages.last { $0.contains("TELEHEALTH-STATS ") }
                #expect(line?.contains("\"framesDecoded\"") == true, "statsLog=1 printed \(line ?? "nothing")")
                #expect(try await page.evaluate("telehealth.errors") == [])
            }
        }
    }

    /// The driver fails fast and says why: a JavaScript exception, a missing element, a condition
    /// that never holds; values come back as JSON (strings with quotes and control characters too).
    @Test(.timeLimit(.minutes(1))) func devToolsDriverReportsFailuresClearly() async throws {
        try await ChromiumBrowser.with { browser in
            let page = try await browser.firstPage()
            try await page.navigate("data:text/html,<button id=b onclick=\"window.clicked=(window.clicked||0)+1\">Go</button>")
            let tricky = "quote \" backslash \\ newline \n tab \t \u{1} é 🎉"
            #expect(try await page.evaluate("(\(JSONValue.string(tricky)))") == .string(tricky))
            #expect(try await page.evaluate("({ a: [1, 2.5, null, true], b: 'x' })") == ["a": [1, 2.5, nil, true], "b": "x"])
            #expect(try await page.evaluate("Promise.resolve(42)").int == 42)
            try await page.click("#b")
            #expect(try await page.evaluate("window.clicked") == 1)
            do {
                try await page.evaluate("(() => { throw new Error('boom') })()")
                Issue.record("no error")
            } catch DevToolsError.javascript(let message) {
                #expect(message.contains("boom"))
            }
            let started = ContinuousClock.now
            do {
                try await page.click("#missing", timeout: .milliseconds(300))
                Issue.record("no error")
            } catch DevToolsError.noSuchElement(let message) {
                #expect(message.contains("#missing") && message.contains("missing"))
            }
            do {
                try await page.waitFor("window.never === true", timeout: .milliseconds(300))
                Issue.record("no error")
            } catch DevToolsError.timeout(let message) {
                #expect(message.contains("window.never"))
            }
            #expect(ContinuousClock.now - started < .seconds(3))
            let second = try await browser.newPage()
            try await second.navigate("data:text/html,<title>two</title>")
            #expect(try await second.evaluate("document.title") == "two")
            #expect(try await page.evaluate("document.title") == "")
            try await second.evaluate("console.log('hello', 7)")
            try await second.waitFor("true")
            try await Task.sleep(for: .milliseconds(100))
            #expect(second.consoleMessages.contains("log: hello 7"), "\(second.consoleMessages)")
        }
    }

    /// Both tabs in the call and each decoding the other's video (a fresh connection's counters).
    static func waitForMedia(_ a: ChromiumPage, _ b: ChromiumPage) async throws {
        let decoding = """
            telehealth.state() === 'in-call' && telehealth.stats().then(s => (s.inbound.video?.framesDecoded ?? 0) > 10
              && (s.inbound.audio?.packetsReceived ?? 0) > 10)
            """
        try await a.waitFor(decoding, timeout: .seconds(30), interval: .milliseconds(250))
        try await b.waitFor(decoding, timeout: .seconds(30), interval: .milliseconds(250))
        #expect(try await a.evaluate("document.getElementById('remote-view').videoWidth > 0") == true)
    }

    static func shot(_ page: ChromiumPage, _ n: Int, _ name: String) async throws {
        let file = Self.shots.appendingPathComponent((n < 10 ? "0\(n)" : "\(n)") + "-\(name).png")
        try await page.screenshot(to: file.path)
    }

    /// POST an appointment (docs/practice-api.md).
    static func create(_ base: String, id: String, type: String, at date: Date) async throws {
        let body: JSONValue = [
            "id": .string(id), "type": .string(type), "scheduledAt": .string(ISO8601DateFormatter().string(from: date)),
            "timeZone": "America/Chicago", "status": "Scheduled", "patient": ["name": .string(patient), "portalAccount": true],
            "clinician": ["id": .string(clinician), "name": "Dr. Page", "role": "Clinician"],
        ]
        let response = try await http("POST", "\(base)/api/appointments", json: body.description)
        #expect(response.status == 201, "POST \(id): \(response.body)")
    }

    static func http(_ method: String, _ url: String, json: String? = nil) async throws -> (status: Int, body: String) {
        var request = URLRequest(url: try #require(URL(string: url)), timeoutInterval: 5)
        request.httpMethod = method
        if let json {
            request.httpBody = Data(json.utf8)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        return try await withCheckedThrowingContinuation { continuation in
            URLSession.shared.dataTask(with: request) { data, response, error in
                if let error { continuation.resume(throwing: error); return }
                let status = (response as? HTTPURLResponse)?.statusCode ?? 0
                continuation.resume(returning: (status, String(decoding: data ?? Data(), as: UTF8.self)))
            }.resume()
        }
    }
}
