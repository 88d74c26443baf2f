import Foundation
import PracticeKit

/// The practice API's request bodies (untrusted HTTP input), parsed by PracticeKit, the library
/// behind practice-dev.
/// Parsing must never trap; any JSON that parses must print as text that parses to the same
/// value; a body that parses as an appointment must apply, evaluate under the rules at both
/// window edges, and name a field in every error.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let json = PracticeJSON.parse(bytes) {
        let again = PracticeJSON.parse(Array(json.text.utf8))
        precondition(again == json, "parse → print → parse changed the value")
    }
    do {
        let change = try AppointmentInput.change(bytes)
        if let a = try? change.newAppointment(generatedId: "fuzz-1") {
            let d = TelehealthRules.evaluate(a, at: a.scheduledAt, clinicianId: a.clinician.id)
            precondition(d.opensAt <= a.scheduledAt && a.scheduledAt <= d.closesAt)
            _ = TelehealthRules.evaluate(change.applied(to: a), at: d.opensAt.addingTimeInterval(-1), clinicianId: "someone-else")
        }
    } catch {
        precondition((400..<500).contains(error.status), "a bad body is a client error")
        precondition(!error.code.isEmpty && !error.message.isEmpty)
    }
    _ = try? AppointmentInput.assignment(bytes)
    _ = PracticeTime.parse(String(decoding: bytes, as: UTF8.self))
    return 0
}
