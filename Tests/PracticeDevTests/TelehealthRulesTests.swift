import Foundation
import Testing
@testable import practice_dev

@Suite struct TelehealthRulesTests {
    static let five = PracticeTime.parse("2025-03-04T17:00:00Z")!  // scheduled 17:00 UTC

    static func appointment(type: String = "Individual", status: String = "Confirmed", saved: Bool = true,
                            portal: Bool = true) -> AppointmentRecord {
        AppointmentRecord(id: "a1", type: type, status: status, saved: saved, patientHasPortalAccount: portal,
                          patientName: "Pat Example", scheduledAt: five, timeZone: "America/Chicago",
                          clinicianId: "dr-a", clinicianDisplayName: "Dr. A")
    }

    static func at(_ s: String) -> Date { PracticeTime.parse(s)! }

    @Test func windowIsFiveHoursEitherSideInclusive() {
        let a = Self.appointment()
        #expect(TelehealthRules.evaluate(a, at: Self.at("2025-03-04T12:00:00Z")).eligible)
        #expect(TelehealthRules.evaluate(a, at: Self.at("2025-03-04T17:00:00Z")).eligible)
        #expect(TelehealthRules.evaluate(a, at: Self.at("2025-03-04T22:00:00Z")).eligible)
        let early = TelehealthRules.evaluate(a, at: Self.at("2025-03-04T11:59:59Z"))
        #expect(early.reasons.map(\.code) == ["too-early"])
        #expect(early.onlyOutsideWindow)
        // "outside that window the kiosk says when it opens": in the appointment's own zone.
        #expect(early.reasons.first?.message == "Telehealth opens at 06:00 (America/Chicago).")
        #expect(TelehealthRules.evaluate(a, at: Self.at("2025-03-04T22:00:01Z")).reasons.map(\.code) == ["too-late"])
        let d = TelehealthRules.evaluate(a, at: Self.five)
        #expect(PracticeTime.format(d.opensAt) == "2025-03-04T12:00:00Z")
        #expect(PracticeTime.format(d.closesAt) == "2025-03-04T22:00:00Z")
    }

    @Test(arguments: ["Group Therapy", "group therapy", "Scheduled Event", "Vacation or Blackout Period", "Vacation/Blackout Period"])
    func excludedTypesNeverQualify(_ type: String) {
        let d = TelehealthRules.evaluate(Self.appointment(type: type), at: Self.five)
        #expect(d.reasons.map(\.code) == ["type-not-eligible"])
        #expect(!d.onlyOutsideWindow)
    }

    @Test(arguments: ["Individual", "Intake", "Family Therapy", "Couples"])
    func otherTypesQualify(_ type: String) {
        #expect(TelehealthRules.evaluate(Self.appointment(type: type), at: Self.five).eligible)
    }

    @Test func patientNeedsAPortalAccount() {
        #expect(TelehealthRules.evaluate(Self.appointment(portal: false), at: Self.five).reasons.map(\.code) == ["no-portal-account"])
    }

    @Test func missedAndCancelledDoNotQualify() {
        #expect(TelehealthRules.evaluate(Self.appointment(status: "Missed"), at: Self.five).reasons.map(\.code) == ["missed"])
        #expect(TelehealthRules.evaluate(Self.appointment(status: "Cancelled"), at: Self.five).reasons.map(\.code) == ["cancelled"])
        #expect(TelehealthRules.evaluate(Self.appointment(status: "Arrived"), at: Self.five).eligible)
    }

    @Test func onlyTheSavedAppointmentCounts() {
        #expect(TelehealthRules.evaluate(Self.appointment(saved: false), at: Self.five).reasons.map(\.code) == ["not-saved"])
    }

    @Test func everyFailedRuleIsReportedInOrder() {
        let a = Self.appointment(type: "Group Therapy", status: "Cancelled", saved: false, portal: false)
        let d = TelehealthRules.evaluate(a, at: Self.at("2025-03-05T09:00:00Z"))
        #expect(d.reasons.map(\.code) == ["type-not-eligible", "no-portal-account", "cancelled", "not-saved", "too-late"])
        #expect(!d.reasons.contains { $0.message.contains("Pat Example") }, "no patient data in reasons")
    }
}
