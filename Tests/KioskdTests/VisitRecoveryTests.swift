import DevTools
import Foundation
import Testing
@testable import KioskCore

/// What happens to a visit when kioskd itself goes away mid-call, with every part real:
/// practice-dev, the clinician in headless Chromium, `kioskd run` on synthetic devices.
/// - kill -9, then started again the way systemd's `Restart=on-failure` does (after 1 s):
///   the visit resumes by itself from the state directory, no tap.
/// - SIGTERM: the kiosk sends `leave` before it exits; the page says the patient left.
@Suite(.serialized) struct VisitRecoveryTests {
    /// In a call, media flowing both ways; returns the page.
    static func inCall(_ practice: PracticeDevProcess, _ kiosk: RunningKiosk, _ browser: ChromiumBrowser,
                       appointment: String) async throws -> ChromiumPage {
        let created = try await practiceAPI(practice, "POST", "/api/appointments", [
            "id": appointment, "type": "Individual", "scheduledAt": PracticeClock.iso(Date()), "timeZone": "America/Chicago",
            "status": "Scheduled", "patient": ["name": "Grace Hopper", "portalAccount": true],
            "clinician": ["id": "dr-rivera", "name": "Dr. Rivera", "role": "Clinician"],
        ])
        #expect(created.status == 201)
        #expect(try await practiceAPI(practice, "POST", "/api/kiosks/kiosk-e2e/assignment", ["appointmentId": appointment]).status == 200)
        let control = kiosk.control
        try await eventually("the kiosk shows the appointment") { try control.status().screen == "appointment" }
        let page = try await browser.firstPage()
        try await page.navigate("\(practice.baseURL)/?clinician=dr-rivera&appointment=\(appointment)&autojoin=1")
        try await page.waitFor("window.telehealth.state() === 'waiting'", timeout: .seconds(20))
        #expect(try control.press("join") == "join")
        try await eventually("device check with Continue") { try control.status().buttons.map(\.button) == ["continueToCall"] }
        #expect(try control.press("continueToCall") == "continueToCall")
        try await eventually("the kiosk is in the call", timeout: 25) { try control.status().screen == "in-call" }
        try await page.waitFor("window.telehealth.state() === 'in-call'", timeout: .seconds(20))
        try await WorkflowEndToEndTests.mediaFlows(control, page, "before the kiosk stops")
        return page
    }

    static func pageFrames(_ page: ChromiumPage) async throws -> Int {
        try await page.evaluate("window.telehealth.stats().then(s => s.inbound?.video?.framesDecoded || 0)").int ?? 0
    }

    @Test func killNineMidCallResumesTheVisitWithoutATap() async throws {
        let practice = try PracticeDevProcess(executableDirectory: KioskdProcess.buildDirectory)
        defer { practice.stop() }
        let kiosk = try RunningKiosk(practice: practice)
        defer { kiosk.stop() }
        try await ChromiumBrowser.with { browser in
            let page = try await Self.inCall(practice, kiosk, browser, appointment: "crash-1")
            let note = try String(contentsOfFile: "\(kiosk.directory)/visit.json", encoding: .utf8)
            #expect(note.contains("\"appointmentId\":\"crash-1\""), "the state directory notes the visit: \(note)")
            #expect(!note.contains("Grace"), "the note holds IDs only")

            // Every status line the page shows from now on, to read back afterwards.
            _ = try await page.evaluate("""
                (() => { window.statusSeen = []; const el = document.querySelector('#call-status');
                  new MutationObserver(() => window.statusSeen.push(el.textContent)).observe(el, {childList: true, characterData: true, subtree: true});
                  window.callBeforeKill = telehealth.pc; return true; })()
                """)
            let tapsBefore = kiosk.log.components(separatedBy: "control tap").count
            let killedAt = Date()
            kiosk.signal(SIGKILL)
            kiosk.process.waitUntilExit()
            try await Task.sleep(for: .seconds(1))  // systemd's RestartSec
            try kiosk.restart()

            let control = kiosk.control
            // The page's new call: another RTCPeerConnection, decoding.
            let pageResumed = "telehealth.pc !== null && telehealth.pc !== window.callBeforeKill && telehealth.pc.connectionState === 'connected'"
            var resumedAt: Date?
            let deadline = Date().addingTimeInterval(20)
            while Date() < deadline {
                if let s = try? control.status(), s.screen == "in-call", s.call.videoFramesDecoded > 0,
                   try await page.evaluate(pageResumed) == true, try await Self.pageFrames(page) > 0 {
                    resumedAt = Date()
                    break
                }
                try await Task.sleep(for: .milliseconds(100))
            }
            let resumed = try #require(resumedAt, "media did not come back after the restart")
            let seconds = resumed.timeIntervalSince(killedAt)
            print("visit recovery: media both ways again \(String(format: "%.1f", seconds)) s after kill -9 (1 s restart delay included)")
            #expect(seconds <= 5, "media again \(seconds) s after the kill")
            #expect(kiosk.log.components(separatedBy: "control tap").count == tapsBefore, "no tap after the restart")
            let seen = try await page.evaluate("window.statusSeen.join(' | ')").string ?? ""
            #expect(seen.contains("Reconnecting"), "the page said it was reconnecting meanwhile: \(seen)")
            try await WorkflowEndToEndTests.mediaFlows(control, page, "after the restart")
            #expect(kiosk.log.contains("visit in progress before kioskd stopped"))
        }
    }

    @Test func sigtermMidCallTellsThePageThePatientLeftWithinASecond() async throws {
        let practice = try PracticeDevProcess(executableDirectory: KioskdProcess.buildDirectory)
        defer { practice.stop() }
        let kiosk = try RunningKiosk(practice: practice)
        defer { kiosk.stop() }
        try await ChromiumBrowser.with { browser in
            let page = try await Self.inCall(practice, kiosk, browser, appointment: "term-1")
            let sentAt = ContinuousClock.now
            kiosk.signal(SIGTERM)
            do {
                try await page.waitFor("document.querySelector('#call-status').textContent.includes('left')", timeout: .seconds(5))
            } catch {
                let status = try? await page.evaluate("document.querySelector('#call-status').textContent")
                Issue.record("the page says \(status.map { "\($0)" } ?? "?"); kioskd's log ends:\n\(kiosk.log.split(separator: "\n").suffix(12).joined(separator: "\n"))\npractice-dev's log ends:\n\(practice.log.split(separator: "\n").suffix(10).joined(separator: "\n"))")
                throw error
            }
            let elapsed = ContinuousClock.now - sentAt
            print("visit recovery: the page said the patient left \(elapsed) after SIGTERM")
            #expect(elapsed <= .seconds(1), "the page showed the patient left after \(elapsed)")
            #expect(try await page.evaluate("window.telehealth.state()").string == "waiting")
            kiosk.process.waitUntilExit()
            #expect(kiosk.process.terminationStatus == 0)
            #expect(!FileManager.default.fileExists(atPath: "\(kiosk.directory)/visit.json"),
                    "a patient who left is not walked back in by the next start")
        }
    }
}
