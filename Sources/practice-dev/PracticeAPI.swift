import Foundation
import Hummingbird
import HummingbirdWebSocket

/// The appointment book's HTTP API (docs/signaling.md §"practice-dev HTTP API").
struct PracticeAPI: Sendable {
    let hub: PracticeHub
    let dev: Bool
    let apiToken: String?

    /// POST /api/appointments body. Omitted fields take the defaults noted.
    struct AppointmentInput: Decodable {
        var id: String?                         // generated when absent
        var type: String?                       // "Individual"
        var status: String?                     // "Scheduled"
        var saved: Bool?                        // true
        var patientHasPortalAccount: Bool
        var patientName: String?
        var scheduledAt: String                 // RFC 3339
        var timeZone: String?                   // "UTC"
        var clinicianId: String
        var clinicianDisplayName: String
    }

    struct Telehealth: ResponseCodable {
        var appointmentId: String
        var evaluatedAt: String
        var eligible: Bool
        var reasons: [TelehealthRules.Reason]
        var opensAt: String
        var closesAt: String
    }

    struct AppointmentOutput: ResponseCodable {
        var id: String
        var type: String
        var status: String
        var saved: Bool
        var patientHasPortalAccount: Bool
        var patientName: String?
        var scheduledAt: String
        var timeZone: String
        var clinicianId: String
        var clinicianDisplayName: String
        var telehealth: Telehealth
    }

    struct AssignmentInput: Decodable {
        var appointmentId: String?
    }

    struct AssignmentOutput: ResponseCodable {
        var kioskId: String
        var appointmentId: String?
    }

    func register(on router: Router<BasicWebSocketRequestContext>) {
        let api = router.group("api")
        api.get("appointments") { request, _ -> [AppointmentOutput] in
            try authorize(request)
            let now = await hub.now
            let clinician = request.uri.queryParameters["clinician"].map(String.init)
            return await hub.appointments()
                .filter { clinician == nil || $0.clinicianId == clinician }
                .map { output($0, at: now) }
        }
        api.post("appointments") { request, context -> EditedResponse<AppointmentOutput> in
            try authorize(request)
            let input = try await request.decode(as: AppointmentInput.self, context: context)
            let record = try record(from: input)
            let created = await hub.upsert(record)
            return EditedResponse(status: created ? .created : .ok, response: output(record, at: await hub.now))
        }
        api.get("appointments/:id") { request, context -> AppointmentOutput in
            try authorize(request)
            let id = try context.parameters.require("id")
            guard let a = await hub.appointment(id) else { throw HTTPError(.notFound, message: "no such appointment") }
            return output(a, at: await hub.now)
        }
        api.get("appointments/:id/telehealth") { request, context -> Telehealth in
            try authorize(request)
            let id = try context.parameters.require("id")
            guard let a = await hub.appointment(id) else { throw HTTPError(.notFound, message: "no such appointment") }
            var at = await hub.now
            if let text = request.uri.queryParameters["at"] {
                guard dev else { throw HTTPError(.badRequest, message: "?at= is honoured in --dev mode only") }
                guard let parsed = PracticeTime.parse(String(text)) else {
                    throw HTTPError(.badRequest, message: "?at= must be an RFC 3339 date-time")
                }
                at = parsed
            }
            return telehealth(a, at: at)
        }
        api.get("kiosks/:kioskId/assignment") { request, context -> AssignmentOutput in
            try authorize(request)
            let kiosk = try context.parameters.require("kioskId")
            return AssignmentOutput(kioskId: kiosk, appointmentId: await hub.assignment(kioskId: kiosk))
        }
        api.post("kiosks/:kioskId/assignment") { request, context -> AssignmentOutput in
            try authorize(request)
            let kiosk = try context.parameters.require("kioskId")
            guard PracticeAPI.isIdentifier(kiosk) else { throw HTTPError(.badRequest, message: "bad kiosk id") }
            let input = try await request.decode(as: AssignmentInput.self, context: context)
            if let appt = input.appointmentId, await hub.appointment(appt) == nil {
                throw HTTPError(.notFound, message: "no such appointment")
            }
            await hub.assign(kioskId: kiosk, appointmentId: input.appointmentId)
            return AssignmentOutput(kioskId: kiosk, appointmentId: input.appointmentId)
        }
    }

    private func authorize(_ request: Request) throws {
        if dev { return }
        guard let apiToken else { throw HTTPError(.forbidden, message: "the API is closed: start with --api-token") }
        guard request.headers[.authorization] == "Bearer \(apiToken)" else { throw HTTPError(.unauthorized) }
    }

    private func record(from i: AppointmentInput) throws -> AppointmentRecord {
        guard let scheduledAt = PracticeTime.parse(i.scheduledAt) else {
            throw HTTPError(.badRequest, message: "scheduledAt must be an RFC 3339 date-time")
        }
        let id = i.id ?? "appt-" + String(UInt32.random(in: 0...UInt32.max), radix: 36)
        guard PracticeAPI.isIdentifier(id) else { throw HTTPError(.badRequest, message: "id: 1-128 of A-Z a-z 0-9 . _ : -") }
        guard PracticeAPI.isIdentifier(i.clinicianId) else { throw HTTPError(.badRequest, message: "clinicianId: 1-128 of A-Z a-z 0-9 . _ : -") }
        let zone = i.timeZone ?? "UTC"
        guard TimeZone(identifier: zone) != nil else { throw HTTPError(.badRequest, message: "timeZone: not an IANA zone") }
        return AppointmentRecord(
            id: id, type: i.type ?? "Individual", status: i.status ?? "Scheduled", saved: i.saved ?? true,
            patientHasPortalAccount: i.patientHasPortalAccount, patientName: i.patientName,
            scheduledAt: scheduledAt, timeZone: zone,
            clinicianId: i.clinicianId, clinicianDisplayName: i.clinicianDisplayName)
    }

    private func telehealth(_ a: AppointmentRecord, at now: Date) -> Telehealth {
        let d = TelehealthRules.evaluate(a, at: now)
        return Telehealth(appointmentId: a.id, evaluatedAt: PracticeTime.format(now), eligible: d.eligible,
                          reasons: d.reasons, opensAt: PracticeTime.format(d.opensAt), closesAt: PracticeTime.format(d.closesAt))
    }

    private func output(_ a: AppointmentRecord, at now: Date) -> AppointmentOutput {
        AppointmentOutput(
            id: a.id, type: a.type, status: a.status, saved: a.saved, patientHasPortalAccount: a.patientHasPortalAccount,
            patientName: a.patientName, scheduledAt: PracticeTime.format(a.scheduledAt), timeZone: a.timeZone,
            clinicianId: a.clinicianId, clinicianDisplayName: a.clinicianDisplayName, telehealth: telehealth(a, at: now))
    }

    static func isIdentifier(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.count <= 128 && s.utf8.allSatisfy { b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a)
                || b == 0x2e || b == 0x5f || b == 0x3a || b == 0x2d
        }
    }
}
