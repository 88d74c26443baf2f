import Foundation
import Logging

/// What the hub asks one WebSocket connection's writer to do.
enum HubCommand: Sendable, Equatable {
    case text(String)
    case close
}

/// Owns the `Relay` value and performs its outputs: writes to connections' outbound queues and
/// logs. Every WebSocket handler and API route goes through this actor, so the relay logic
/// runs one input at a time.
actor PracticeHub {
    private var relay: Relay
    private var writers: [RelayConnectionID: AsyncStream<HubCommand>.Continuation] = [:]
    private var nextConnection: UInt64 = 1
    private let logger: Logger
    /// The clock, replaceable so tests can move time.
    private let clock: @Sendable () -> Date

    init(relay: Relay, logger: Logger, clock: @escaping @Sendable () -> Date = { Date() }) {
        self.relay = relay
        self.logger = logger
        self.clock = clock
    }

    /// A new WebSocket connection; its writer drains the returned stream.
    func open(clinicianFromURL: String?, signedInClinician: String? = nil) -> (RelayConnectionID, AsyncStream<HubCommand>) {
        let id = RelayConnectionID(raw: nextConnection)
        nextConnection += 1
        let (stream, continuation) = AsyncStream<HubCommand>.makeStream(bufferingPolicy: .bufferingNewest(1024))
        writers[id] = continuation
        perform(relay.opened(id, clinicianFromURL: clinicianFromURL, signedInClinician: signedInClinician, at: clock()))
        return (id, stream)
    }

    func received(_ id: RelayConnectionID, text: String) {
        perform(relay.received(id, text: text, at: clock()))
    }

    func receivedBinary(_ id: RelayConnectionID) {
        perform(relay.receivedBinary(id, at: clock()))
    }

    func closed(_ id: RelayConnectionID) {
        writers.removeValue(forKey: id)?.finish()
        perform(relay.closed(id, at: clock()))
    }

    func signedOut(clinicianId: String) {
        perform(relay.signedOut(clinicianId: clinicianId, at: clock()))
    }

    func tick() {
        perform(relay.tick(at: clock()))
    }

    // MARK: - Appointment book (the HTTP API)

    var now: Date { clock() }

    /// Saved appointments with their unsaved edits, by time.
    func appointments() -> [(Appointment, AppointmentChange?)] {
        relay.book.all.map { ($0, relay.book.draft(for: $0.id)) }
    }

    func appointment(_ id: String) -> (Appointment, AppointmentChange?)? {
        relay.book[id].map { ($0, relay.book.draft(for: id)) }
    }

    /// Saves a new appointment (the id, if absent, is generated); 409 when the id exists.
    func create(_ change: AppointmentChange) throws(APIError) -> Appointment {
        var generated = "appt-" + String(UInt32.random(in: 0...UInt32.max), radix: 36)
        while relay.book[generated] != nil { generated = "appt-" + String(UInt32.random(in: 0...UInt32.max), radix: 36) }
        let a = try change.newAppointment(generatedId: generated)
        guard relay.book[a.id] == nil else { throw .conflict("id", "appointment \(a.id) already exists") }
        perform(relay.upsert(a, at: clock()).outputs)
        return a
    }

    /// Saves `change` to appointment `id` and discards its draft: all or nothing, in one
    /// actor turn so no other edit interleaves.
    func save(_ change: AppointmentChange, to id: String) throws(APIError) -> Appointment {
        guard let saved = relay.book[id] else { throw .notFound("id", "no appointment \(id)") }
        if let other = change.id, other != id { throw .invalidField("id", "id cannot be changed (the appointment is \(id))") }
        let a = change.applied(to: saved)
        relay.book.setDraft(nil, for: id)
        perform(relay.upsert(a, at: clock()).outputs)
        return a
    }

    /// Stores (nil: discards) the unsaved edit of appointment `id`. Kiosks are not told: the
    /// rules ignore drafts.
    func setDraft(_ change: AppointmentChange?, for id: String) throws(APIError) {
        guard relay.book[id] != nil else { throw .notFound("id", "no appointment \(id)") }
        if let other = change?.id, other != id { throw .invalidField("id", "id cannot be changed (the appointment is \(id))") }
        relay.book.setDraft(change, for: id)
    }

    func assignment(kioskId: String) -> String? { relay.book.assignments[kioskId] }

    func assign(kioskId: String, appointmentId: String?) {
        perform(relay.assign(kioskId: kioskId, appointmentId: appointmentId, at: clock()))
    }

    // MARK: - Effects

    private func perform(_ outputs: [Relay.Output]) {
        for o in outputs {
            switch o {
            case .send(let c, let text):
                writers[c]?.yield(.text(text))
            case .close(let c):
                writers[c]?.yield(.close)
            case .log(let level, let message, let metadata):
                logger.log(level: level, "\(message)", metadata: metadata.mapValues { .string($0) })
            }
        }
    }
}
