/// Wraps personal data (a patient's name, an address, a token) so it can be carried around
/// but never printed: every textual form is a fixed placeholder. Log IDs, not people.
struct Redacted<Value>: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    let value: Value

    init(_ value: Value) { self.value = value }

    var description: String { "<redacted>" }
    var debugDescription: String { "<redacted>" }
    var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}

extension Redacted: Sendable where Value: Sendable {}
extension Redacted: Equatable where Value: Equatable {}
