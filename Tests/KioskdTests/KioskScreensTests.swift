import DevTools
import Foundation
import Testing
@testable import KioskCore

/// The kiosk's other screens, from the real `kioskd run` binary against practice-dev: idle,
/// "opens at", the appointment becoming joinable when the front desk saves a new time, waiting,
/// "Cannot reach the practice" with Try again, and a missing camera. Each is saved as PNG under
/// .build/screenshots/kiosk.
@Suite(.serialized) struct KioskScreensTests {
    static let shots = KioskdProcess.repoRoot.appendingPathComponent(".build/screenshots/kiosk").path

    @Test func idleOpensAtWaitingAndAnUnreachablePractice() async throws {
        try FileManager.default.createDirectory(atPath: Self.shots, withIntermediateDirectories: true)
        let binDir = KioskdProcess.buildDirectory
        var practice = try PracticeDevProcess(executableDirectory: binDir)
        defer { practice.stop() }
        let kiosk = try RunningKiosk(practice: practice, kioskId: "kiosk-screens")
        defer { kiosk.stop() }
        let control = kiosk.control

        // Nothing assigned: the privacy screen, camera closed.
        try await eventually("idle") { try control.status().screen == "idle" }
        #expect(try control.status().texts.first == "Welcome")
        try control.screenshot(to: "\(Self.shots)/01-idle.png")

        // Assigned 8 hours ahead: the patient is told when it opens, in the appointment's zone.
        let later = Date().addingTimeInterval(8 * 3600)
        let created = try await practiceAPI(practice, "POST", "/api/appointments", [
            "id": "screens-1", "type": "Individual", "scheduledAt": PracticeClock.iso(later), "timeZone": "America/New_York",
            "status": "Scheduled", "patient": ["name": "Grace Hopper", "portalAccount": true],
            "clinician": ["id": "dr-okafor", "name": "Dr. Okafor", "role": "Intern"],
        ])
        #expect(created.status == 201)
        _ = try await practiceAPI(practice, "POST", "/api/kiosks/kiosk-screens/assignment", ["appointmentId": "screens-1"])
        let opens = Self.clock(later.addingTimeInterval(-5 * 3600), zone: "America/New_York")
        try await eventually("the opens-at screen") { try control.status().texts.last == "Your session opens at \(opens)" }
        let early = try control.status()
        #expect(early.texts.first == "Your visit with Dr. Okafor")
        #expect(early.texts[1] == "Scheduled for \(Self.clock(later, zone: "America/New_York"))")
        #expect(early.buttons.isEmpty, "no Join before the window opens")
        #expect(try control.tap(x: 640, y: 500) == nil)
        try control.screenshot(to: "\(Self.shots)/02-opens-at.png")

        // The front desk saves a new time: the kiosk offers Join without a restart.
        let saved = try await practiceAPI(practice, "PATCH", "/api/appointments/screens-1", ["scheduledAt": PracticeClock.iso(Date())])
        #expect(saved.status == 200)
        try await eventually("Join after the saved change") { try control.status().buttons.map(\.button) == ["join"] }

        #expect(try control.press("join") == "join")
        try await eventually("device check") { try control.status().buttons.map(\.button) == ["continueToCall"] }
        #expect(try control.press("continueToCall") == "continueToCall")
        try await eventually("waiting for the clinician") { try control.status().screen == "waiting" }
        #expect(try control.status().texts.first == "Waiting for Dr. Okafor")
        try control.screenshot(to: "\(Self.shots)/03-waiting.png")

        // The practice goes away: a plain error screen after a few seconds, with Try again.
        let port = practice.port
        practice.stop()
        try await eventually("the unreachable screen", timeout: 20) { try control.status().screen == "error" }
        let error = try control.status()
        #expect(error.texts.first == "Cannot reach the practice")
        #expect(error.buttons.map(\.button) == ["retry"])
        try control.screenshot(to: "\(Self.shots)/04-unreachable.png")

        // It comes back; Try again reconnects at once instead of waiting out the back-off.
        practice = try PracticeDevProcess(executableDirectory: binDir, port: port)
        _ = try control.press("retry")
        try await eventually("the error screen goes", timeout: 10) { try control.status().screen != "error" }
        kiosk.stop()
        #expect(!kiosk.log.contains("Grace"), "no patient name in kioskd's log")
    }

    @Test func aMissingCameraIsSaidPlainlyAndRetried() async throws {
        try FileManager.default.createDirectory(atPath: Self.shots, withIntermediateDirectories: true)
        let practice = try PracticeDevProcess(executableDirectory: KioskdProcess.buildDirectory)
        defer { practice.stop() }
        _ = try await practiceAPI(practice, "POST", "/api/appointments", [
            "id": "nocam-1", "type": "Individual", "scheduledAt": PracticeClock.iso(Date()), "timeZone": "UTC",
            "status": "Scheduled", "patient": ["name": "Alan Turing", "portalAccount": true],
            "clinician": ["id": "dr-okafor", "name": "Dr. Okafor", "role": "Clinician"],
        ])
        _ = try await practiceAPI(practice, "POST", "/api/kiosks/kiosk-nocam/assignment", ["appointmentId": "nocam-1"])
        let kiosk = try RunningKiosk(practice: practice, kioskId: "kiosk-nocam", camera: "none")
        defer { kiosk.stop() }
        let control = kiosk.control
        try await eventually("the appointment") { try control.status().screen == "appointment" }
        #expect(try control.press("join") == "join")
        try await eventually("the camera error") { try control.status().screen == "error" }
        let s = try control.status()
        #expect(s.texts.prefix(2) == ["The camera is not working", "Trying again. Please ask the front desk for help."])
        try control.screenshot(to: "\(Self.shots)/05-no-camera.png")
        // It keeps trying (every 2 s) rather than giving up.
        try await Task.sleep(for: .seconds(5))
        kiosk.stop()
        let attempts = kiosk.log.components(separatedBy: "cannot open the camera or microphone").count - 1
        #expect(attempts >= 2, "\(attempts) attempts to open the camera in 5 s")
    }

    static func clock(_ d: Date, zone: String) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: zone)
        f.dateFormat = "h:mm a"
        return f.string(from: d)
    }
}
