import Foundation
@testable import KioskCore
import Signaling
import Testing

/// The flow's half of crash recovery (sans-IO) and the note in the state directory.
@Suite struct VisitResumeTests {
    typealias H = KioskFlowTests.Harness

    static var remembered: (H) -> [String?] {
        { h in h.actions.compactMap { if case .rememberVisit(let id, _) = $0 { return id } else { return nil } } }
    }

    @Test func theVisitIsNotedFromJoinUntilItEnds() {
        var h = KioskFlowTests.inCall()
        let notes = h.actions.compactMap { action -> (String?, String?)? in
            if case .rememberVisit(let id, let closesAt) = action { return (id, closesAt) } else { return nil }
        }
        #expect(notes.count == 1)
        #expect(notes.first?.0 == "appt-7")
        #expect(notes.first?.1 == "2025-03-05T04:00:00Z", "bounded by the appointment's window")
        h.actions = []
        h.feed(.pressed(.endCall))
        #expect(h.actions.contains(.rememberVisit(appointmentId: nil, closesAt: nil)))
    }

    @Test func aNoteIsKeptWhileAFailedConnectionWaitsToRetry() {
        var h = KioskFlowTests.inCall()
        h.feed(.call(.peerLeft(appointmentId: "appt-7")))
        h.feed(.call(.peerJoined(appointmentId: "appt-7")))
        h.actions = []
        _ = h.advance(.seconds(31))
        #expect(h.name == "connect-failed")
        #expect(!h.actions.contains { if case .rememberVisit = $0 { true } else { false } }, "still in the visit")
    }

    @Test func aResumedVisitRejoinsWhenTheSameAppointmentIsAssigned() {
        var h = H()
        h.feed(.resumeVisit(appointmentId: "appt-7"))
        #expect(h.intents.isEmpty, "nothing is sent before the practice confirms the appointment")
        h.actions = []
        h.feed(.call(.assignment(KioskFlowTests.appointment())))
        #expect(h.actions.first == .consent(appointmentId: "appt-7"))
        #expect(h.actions.contains(.openDevices))
        #expect(h.intents == [.join(appointmentId: "appt-7")])
        #expect(h.name == "waiting")
        #expect(h.flow.consentedAppointment == "appt-7")
    }

    @Test(arguments: [false, true])
    func aResumeIsDroppedForAnotherAppointmentOrAClosedWindow(otherAppointment: Bool) {
        var h = H()
        h.feed(.resumeVisit(appointmentId: "appt-7"))
        var a = KioskFlowTests.appointment(eligible: !otherAppointment ? false : true, reasons: otherAppointment ? [] : ["window-closed"])
        if otherAppointment { a.id = "appt-8" }
        h.actions = []
        h.feed(.call(.assignment(a)))
        #expect(h.intents.isEmpty)
        #expect(!h.actions.contains(.openDevices), "the camera stays closed")
        #expect(h.name == "appointment")
        #expect(h.flow.consentedAppointment == nil)
        #expect(h.actions.contains(.rememberVisit(appointmentId: nil, closesAt: nil)), "the note goes")
    }

    @Test func theStoreKeepsANoteUntilTheWindowClosesAndDropsGarbage() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("visit-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = VisitStore(directory: dir)
        let now = Date(timeIntervalSince1970: 1_741_130_000)  // 2025-03-04T23:13:20Z
        try store.save(VisitRecord(appointmentId: "appt-7", closesAt: "2025-03-05T04:00:00Z", notedAt: now))
        let attributes = try FileManager.default.attributesOfItem(atPath: store.path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect(store.load(at: now)?.appointmentId == "appt-7")
        #expect(store.load(at: now.addingTimeInterval(6 * 3600)) == nil, "past the window")
        #expect(!FileManager.default.fileExists(atPath: store.path), "a stale note is removed")

        try store.save(VisitRecord(appointmentId: "appt-7", closesAt: nil, notedAt: now))
        #expect(store.load(at: now.addingTimeInterval(3600)) != nil)
        #expect(store.load(at: now.addingTimeInterval(5 * 3600)) == nil, "no window: four hours at most")

        try Data("{\"appointmentId\": 7".utf8).write(to: URL(fileURLWithPath: store.path))
        #expect(store.load(at: now) == nil)
        #expect(!FileManager.default.fileExists(atPath: store.path))
    }
}
