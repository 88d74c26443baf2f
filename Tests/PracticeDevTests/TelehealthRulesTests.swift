import Foundation
import Testing
@testable import PracticeKit

/// Every workflow rule (issue 6, DESIGN.md "Workflow rules") as one table run through
/// `TelehealthRules.evaluate`.
@Suite struct TelehealthRulesTests {
    static func at(_ s: String) -> Date { PracticeTime.parse(s)! }

    /// Scheduled 17:00 in Chicago (23:00Z): the window is 12:00 PM–10:00 PM local.
    static let chicago = Appointment(
        id: "a1", type: "Individual", scheduledAt: at("2025-03-04T17:00:00-06:00"), timeZone: "America/Chicago",
        status: .scheduled, patient: .init(name: "Pat Example", portalAccount: true),
        clinician: .init(id: "dr-a", name: "Dr. A", role: .clinician))

    /// 05:00 EDT on 2025-03-09, the morning US clocks jump from 02:00 EST to 03:00 EDT.
    static let dst: Appointment = {
        var a = chicago
        a.scheduledAt = at("2025-03-09T05:00:00-04:00")
        a.timeZone = "America/New_York"
        return a
    }()

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var appointment: Appointment = TelehealthRulesTests.chicago
        var at: Date = TelehealthRulesTests.chicago.scheduledAt
        var clinician: String?
        var codes: [String]
        /// The first reason's sentence, when the case pins it.
        var message: String?
        var testDescription: String { name }

        func with(_ change: (inout Appointment) -> Void) -> Case {
            var c = self
            change(&c.appointment)
            return c
        }
    }

    static let base = Case(name: "eligible at the scheduled time", codes: [])

    static let cases: [Case] = [
        base,
        Case(name: "type Group Therapy", codes: ["type-not-eligible"], message: "Group Therapy appointments have no telehealth session.")
            .with { $0.type = "Group Therapy" },
        Case(name: "type GROUP THERAPY", codes: ["type-not-eligible"]).with { $0.type = "GROUP THERAPY" },
        Case(name: "type Scheduled Event", codes: ["type-not-eligible"]).with { $0.type = "Scheduled Event" },
        Case(name: "type scheduled event", codes: ["type-not-eligible"]).with { $0.type = "scheduled event" },
        Case(name: "type Vacation or Blackout Period", codes: ["type-not-eligible"]).with { $0.type = "Vacation or Blackout Period" },
        Case(name: "type vacation OR blackout PERIOD", codes: ["type-not-eligible"]).with { $0.type = "vacation OR blackout PERIOD" },
        Case(name: "type Intake", codes: []).with { $0.type = "Intake" },
        Case(name: "type Group Therapy Intake (not an excluded type)", codes: []).with { $0.type = "Group Therapy Intake" },
        Case(name: "status Missed", codes: ["missed"], message: "The appointment is marked Missed.").with { $0.status = .missed },
        Case(name: "status Cancelled", codes: ["cancelled"], message: "The appointment is marked Cancelled.").with { $0.status = .cancelled },
        Case(name: "no portal account", codes: ["no-portal-account"], message: "The patient has no client portal account.")
            .with { $0.patient.portalAccount = false },
        Case(name: "the wrong clinician", clinician: "dr-b", codes: ["not-the-clinician"],
             message: "Only the clinician on this appointment can start its session."),
        Case(name: "the right clinician", clinician: "dr-a", codes: []),
        Case(name: "the right clinician, role Intern", clinician: "dr-a", codes: []).with { $0.clinician.role = .intern },
        Case(name: "exactly -5 h (12:00 PM)", at: at("2025-03-04T12:00:00-06:00"), codes: []),
        Case(name: "exactly +5 h (10:00 PM)", at: at("2025-03-04T22:00:00-06:00"), codes: []),
        Case(name: "one second before -5 h", at: at("2025-03-04T11:59:59-06:00"), codes: ["too-early"],
             message: "Telehealth opens at 12:00 PM (America/Chicago)."),
        Case(name: "one second after +5 h", at: at("2025-03-04T22:00:01-06:00"), codes: ["too-late"],
             message: "Telehealth closed at 10:00 PM (America/Chicago)."),
        Case(name: "a day early", at: at("2025-03-03T17:00:00-06:00"), codes: ["too-early"]),
        // DST inside the window: 5 h of elapsed time each side, not of wall-clock time.
        Case(name: "DST: opens at 04:00Z = 11:00 PM EST the day before", appointment: dst, at: at("2025-03-09T04:00:00Z"), codes: []),
        Case(name: "DST: one second before the opening", appointment: dst, at: at("2025-03-09T03:59:59Z"), codes: ["too-early"],
             message: "Telehealth opens at 11:00 PM (America/New_York)."),
        Case(name: "DST: 11:30 PM EST is open though the wall clock says 5.5 h before", appointment: dst,
             at: at("2025-03-08T23:30:00-05:00"), codes: []),
        Case(name: "DST: closes at 14:00Z = 10:00 AM EDT", appointment: dst, at: at("2025-03-09T10:00:00-04:00"), codes: []),
        Case(name: "DST: one second after the closing", appointment: dst, at: at("2025-03-09T14:00:01Z"), codes: ["too-late"],
             message: "Telehealth closed at 10:00 AM (America/New_York)."),
        Case(name: "every rule failing, in a stable order", at: at("2025-03-05T09:00:00Z"), clinician: "dr-b",
             codes: ["type-not-eligible", "no-portal-account", "cancelled", "not-the-clinician", "too-late"])
            .with { $0.type = "Group Therapy"; $0.status = .cancelled; $0.patient.portalAccount = false },
        Case(name: "missed, too early", at: at("2025-03-04T08:00:00-06:00"), codes: ["missed", "too-early"]).with { $0.status = .missed },
    ]

    @Test(arguments: cases)
    func rule(_ c: Case) {
        let d = TelehealthRules.evaluate(c.appointment, at: c.at, clinicianId: c.clinician)
        #expect(d.reasons.map(\.code) == c.codes)
        #expect(d.eligible == c.codes.isEmpty)
        if let message = c.message { #expect(d.reasons.first?.message == message) }
        #expect(!d.reasons.contains { $0.message.contains("Pat Example") }, "no patient data in reasons")
        #expect(d.onlyOutsideWindow == (!c.codes.isEmpty && c.codes.allSatisfy { $0.hasPrefix("too-") }))
    }

    @Test func theWindowAndItsLocalTimes() {
        let d = TelehealthRules.evaluate(Self.chicago, at: Self.chicago.scheduledAt)
        #expect(PracticeTime.format(d.opensAt) == "2025-03-04T18:00:00Z")
        #expect(PracticeTime.format(d.closesAt) == "2025-03-05T04:00:00Z")
        #expect(d.opensAtLocal == "12:00 PM" && d.closesAtLocal == "10:00 PM" && d.timeZone == "America/Chicago")
    }

    @Test func aDSTChangeInsideTheWindowNeitherStretchesNorShrinksIt() {
        let d = TelehealthRules.evaluate(Self.dst, at: Self.dst.scheduledAt)
        #expect(d.closesAt.timeIntervalSince(d.opensAt) == 10 * 3600)
        #expect(PracticeTime.format(d.opensAt) == "2025-03-09T04:00:00Z")
        #expect(PracticeTime.format(d.closesAt) == "2025-03-09T14:00:00Z")
        // 11:00 PM EST on the 8th to 10:00 AM EDT on the 9th: 11 h on the wall clock, 10 h elapsed.
        #expect(d.opensAtLocal == "11:00 PM" && d.closesAtLocal == "10:00 AM")
    }

    /// Only the saved appointment counts: an unsaved edit (draft) that would make it
    /// ineligible changes nothing until it is saved.
    @Test(arguments: [
        AppointmentChange(type: "Group Therapy"),
        AppointmentChange(status: .cancelled),
        AppointmentChange(scheduledAt: at("2025-03-05T17:00:00-06:00")),
        AppointmentChange(patientPortalAccount: false),
        AppointmentChange(clinicianId: "dr-b"),
    ])
    func anUnsavedEditChangesNothingUntilSaved(_ edit: AppointmentChange) {
        var book = AppointmentBook()
        book.upsert(Self.chicago)
        let stored = book.setDraft(edit, for: "a1")
        #expect(stored)
        #expect(book.draft(for: "a1") == edit)
        let saved = book["a1"]!
        #expect(saved == Self.chicago)
        #expect(TelehealthRules.evaluate(saved, at: Self.chicago.scheduledAt, clinicianId: "dr-a").eligible)
        book.upsert(edit.applied(to: saved))
        #expect(!TelehealthRules.evaluate(book["a1"]!, at: Self.chicago.scheduledAt, clinicianId: "dr-a").eligible)
    }

    @Test(arguments: [
        ("2025-03-04T17:00:00Z", "2025-03-04T17:00:00Z"),
        ("2025-03-04T17:00:00-06:00", "2025-03-04T23:00:00Z"),
        ("2025-03-04t17:00:00.250+05:30", "2025-03-04T11:30:00Z"),
        ("2024-02-29T00:00:00Z", "2024-02-29T00:00:00Z"),
        ("2000-02-29T23:59:59+00:00", "2000-02-29T23:59:59Z"),
    ])
    func rfc3339DateTimesParse(_ text: String, _ utc: String) throws {
        #expect(PracticeTime.format(try PracticeTime.parseChecked(text)) == utc)
    }

    @Test(arguments: [
        ("2025-03-04T17:00:00", PracticeTime.ParseError.noOffset),
        ("2025-03-04T17:00:00.5", .noOffset),
        ("2025-02-30T10:00:00Z", .outOfRange),
        ("2025-02-29T10:00:00Z", .outOfRange),
        ("1900-02-29T10:00:00Z", .outOfRange),
        ("2025-04-31T10:00:00Z", .outOfRange),
        ("2025-13-01T10:00:00Z", .outOfRange),
        ("2025-03-04T24:00:00Z", .outOfRange),
        ("2025-03-04T23:60:00Z", .outOfRange),
        ("2025-03-04T23:59:60Z", .outOfRange),
        ("2025-03-04T17:00:00+24:00", .outOfRange),
        ("2025-03-04 17:00:00Z", .malformed),
        ("2025-03-04", .malformed),
        ("2025-3-4T17:00:00Z", .malformed),
        ("2025-03-04T17:00:00+0600", .malformed),
        ("2025-03-04T17:00:00Z ", .malformed),
        ("2025-03-04T17:00:00.Z", .malformed),
        ("yesterday", .malformed),
        ("", .malformed),
        ("٢٠٢٥-03-04T17:00:00Z", .malformed),
    ])
    func badDateTimesAreRefused(_ text: String, _ error: PracticeTime.ParseError) {
        #expect(throws: error) { try PracticeTime.parseChecked(text) }
    }
}
