import DevTools
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
@testable import KioskCore

/// The telehealth workflow end to end, with every part real: practice-dev (the reference
/// endpoint) with an appointment created over its API, the clinician in headless Chromium on
/// the practice's page, and the real `kioskd run` binary with synthetic camera and microphone
/// and an off-screen display, tapped through its control socket (hit-tested like the touch
/// panel). Each step's kiosk screen and page is saved as PNG under .build/screenshots/workflow.
@Suite(.serialized) struct WorkflowEndToEndTests {
    static let patientName = "Ada Lovelace-Byron"
    static let shots = KioskdProcess.repoRoot.appendingPathComponent(".build/screenshots/workflow").path

    @Test func clinicianStartsKioskJoinsMuteEndAndRejoinNeedsBoth() async throws {
        try? FileManager.default.removeItem(atPath: Self.shots)  // numbered steps: no stale ones
        try FileManager.default.createDirectory(atPath: Self.shots, withIntermediateDirectories: true)
        let practice = try PracticeDevProcess(executableDirectory: KioskdProcess.buildDirectory)
        defer { practice.stop() }

        // The front desk: an appointment now, with a clinician, sent to this kiosk.
        let created = try await practiceAPI(practice, "POST", "/api/appointments", [
            "id": "e2e-1", "type": "Individual", "scheduledAt": PracticeClock.iso(Date()), "timeZone": "America/Chicago",
            "status": "Scheduled", "patient": ["name": Self.patientName, "portalAccount": true],
            "clinician": ["id": "dr-rivera", "name": "Dr. Rivera", "role": "Clinician"],
        ])
        #expect(created.status == 201)
        let assigned = try await practiceAPI(practice, "POST", "/api/kiosks/kiosk-e2e/assignment", ["appointmentId": "e2e-1"])
        #expect(assigned.status == 200)

        let kiosk = try RunningKiosk(practice: practice)
        defer { kiosk.stop() }
        let control = kiosk.control
        var step = 0
        func shootKiosk(_ name: String) throws {
            step += 1
            try control.screenshot(to: "\(Self.shots)/\(String(format: "%02d", step))-kiosk-\(name).png")
        }

        // The kiosk shows the appointment: clinician and time, a Join button, no patient name.
        try await eventually("the kiosk shows the appointment") { try control.status().screen == "appointment" }
        let appointment = try control.status()
        #expect(appointment.texts.first == "Your visit with Dr. Rivera")
        #expect(appointment.buttons.map(\.button) == ["join"])
        #expect(!appointment.texts.joined().contains("Ada"))
        #expect(appointment.call.videoFramesCaptured == 0, "the camera stays closed until the patient taps Join")
        try shootKiosk("appointment")

        try await ChromiumBrowser.with { browser in
            let page = try await browser.firstPage()
            func shootPage(_ name: String) async throws {
                step += 1
                try await page.screenshot(to: "\(Self.shots)/\(String(format: "%02d", step))-page-\(name).png")
            }
            // The clinician: scheduling list → appointment → Start → device dialog → Join.
            try await page.navigate("\(practice.baseURL)/?clinician=dr-rivera")
            try await page.waitFor("document.querySelector('[data-appointment-id=\"e2e-1\"]') !== null")
            try await shootPage("list")
            try await page.click("[data-appointment-id=\"e2e-1\"]")
            try await page.waitFor("document.querySelector('#start-telehealth') !== null")
            try await shootPage("appointment")
            try await page.click("#start-telehealth")
            try await page.waitFor("window.telehealth.state() === 'device-check'")
            try await page.waitFor("document.querySelector('#preview').videoWidth > 0")
            try await shootPage("device-check")
            try await page.click("#join-session")
            try await page.waitFor("window.telehealth.state() === 'waiting'")
            try await shootPage("waiting")

            // The patient taps Join, checks the devices, taps Continue: the call connects by itself.
            #expect(try control.press("join") == "join")
            try await eventually("device check with Continue") {
                try control.status().buttons.map(\.button) == ["continueToCall"]
            }
            try await eventually("the self preview has frames") { try control.status().call.videoFramesCaptured > 5 }
            try shootKiosk("device-check")
            #expect(try control.press("continueToCall") == "continueToCall")
            try await eventually("the kiosk is in the call", timeout: 25) { try control.status().screen == "in-call" }
            try await page.waitFor("window.telehealth.state() === 'in-call'", timeout: .seconds(20))
            try await Self.mediaFlows(control, page, "after joining")
            try shootKiosk("in-call")
            try await shootPage("in-call")

            // The clinician mutes: the kiosk says so.
            try await page.click("#toggle-mute")
            try await eventually("the kiosk shows the clinician muted") {
                let s = try control.status()
                return s.remote.microphone == "muted" && s.texts.contains("Dr. Rivera muted their microphone")
            }
            try shootKiosk("clinician-muted")
            try await page.click("#toggle-mute")
            try await eventually("the kiosk shows the clinician unmuted") { try control.status().remote.microphone == "unmuted" }

            // The patient turns the camera off and mutes: the clinician's page says so.
            #expect(try control.press("cameraToggle") == "cameraToggle")
            #expect(try control.press("microphoneToggle") == "microphoneToggle")
            try await page.waitFor("""
                (t => t.includes('camera is off') && t.includes('muted'))(document.querySelector('#remote-state').textContent)
                """)
            try await shootPage("patient-camera-off-muted")
            #expect(try control.press("cameraToggle") == "cameraToggle")
            #expect(try control.press("microphoneToggle") == "microphoneToggle")
            try await page.waitFor("document.querySelector('#remote-state').textContent.trim() === ''")

            // The kiosk ends: both sides are removed and show the ended dialog.
            #expect(try control.press("endCall") == "endCall")
            try await eventually("the kiosk shows the ended screen") { try control.status().screen == "ended" }
            #expect(try control.status().texts == ["Your Telehealth Session Has Ended"])
            try await page.waitFor("window.telehealth.state() === 'ended' && getComputedStyle(document.querySelector('#ended-dialog')).display !== 'none'")
            try shootKiosk("ended")
            try await shootPage("ended")

            // Only the clinician rejoins: no media.
            try await page.click("#rejoin-session")
            try await page.waitFor("window.telehealth.state() === 'waiting'")
            let before = try control.status().call.videoFramesDecoded
            try await Task.sleep(for: .seconds(3))
            let alone = try control.status()
            #expect(alone.screen == "ended")
            #expect(alone.call.videoFramesDecoded == before, "no media while only the clinician has rejoined")
            #expect(try await page.evaluate("window.telehealth.state()").string == "waiting")
            try await shootPage("rejoined-alone")

            // The kiosk rejoins too: media flows again.
            #expect(try control.press("rejoin") == "rejoin")
            try await eventually("the kiosk is back in the call", timeout: 25) { try control.status().screen == "in-call" }
            try await page.waitFor("window.telehealth.state() === 'in-call'", timeout: .seconds(20))
            try await Self.mediaFlows(control, page, "after both rejoined")
            try shootKiosk("rejoined")
            try await shootPage("rejoined")

            // This time the clinician ends: the kiosk is removed too and closes its camera.
            try await page.click("#end-session")
            try await eventually("the kiosk shows the ended screen after the clinician ended") { try control.status().screen == "ended" }
            try await page.waitFor("window.telehealth.state() === 'ended'")
            let captured = try control.status().call.videoFramesCaptured
            try await Task.sleep(for: .seconds(1))
            #expect(try control.status().call.videoFramesCaptured == captured, "the camera is closed on the ended screen")
            try shootKiosk("ended-by-clinician")
        }

        // Privacy: kioskd never logged the patient's name or an address.
        kiosk.stop()
        let log = kiosk.log
        #expect(log.contains("kioskd ready"))
        #expect(!log.contains("Ada"), "no patient name in kioskd's log")
        #expect(log.range(of: #"\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b"#, options: .regularExpression) == nil, "no IP address in kioskd's log")
    }

    /// Frames keep arriving on both sides (a loaded CI machine decodes fewer than 30 a second,
    /// but never none while media flows).
    static func mediaFlows(_ control: ControlClient, _ page: ChromiumPage, _ when: String) async throws {
        let kioskBefore = try control.status().call.videoFramesDecoded
        let pageBefore = try await page.evaluate("window.telehealth.stats().then(s => s.inbound?.video?.framesDecoded || 0)").int ?? 0
        try await Task.sleep(for: .seconds(3))
        let kioskAfter = try control.status().call.videoFramesDecoded
        let pageAfter = try await page.evaluate("window.telehealth.stats().then(s => s.inbound?.video?.framesDecoded || 0)").int ?? 0
        #expect(kioskAfter - kioskBefore >= 5, "kiosk decoded \(kioskAfter - kioskBefore) frames in 3 s \(when)")
        #expect(pageAfter - pageBefore >= 5, "clinician decoded \(pageAfter - pageBefore) frames in 3 s \(when)")
    }
}
