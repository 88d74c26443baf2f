/// Typed, path-aware access to one JSON object's fields while decoding a message. Every failure
/// is a `SignalingError` naming the field by its dotted path.
struct SignalingFieldReader {
    let fields: [String: SignalingJSON]
    /// Path of this object, "" at the top level, else e.g. "appointment.telehealth.".
    let prefix: String

    init(_ value: SignalingJSON, path: String) throws(SignalingError) {
        guard case .object(let members) = value else {
            if path.isEmpty { throw .notAnObject }
            throw .invalidField(path, expected: "object")
        }
        var fields: [String: SignalingJSON] = [:]
        for m in members { fields[m.key] = m.value }
        self.fields = fields
        self.prefix = path.isEmpty ? "" : path + "."
    }

    private func present(_ key: String) -> SignalingJSON? {
        switch fields[key] {
        case .none, .some(.null): return nil
        case .some(let v): return v
        }
    }

    func path(_ key: String) -> String { prefix + key }

    func optionalString(_ key: String, maxLength: Int = 4096) throws(SignalingError) -> String? {
        guard let v = present(key) else { return nil }
        guard case .string(let s) = v else { throw .invalidField(path(key), expected: "string") }
        guard s.utf8.count <= maxLength else { throw .invalidField(path(key), expected: "string of at most \(maxLength) bytes") }
        return s
    }

    func string(_ key: String, maxLength: Int = 4096) throws(SignalingError) -> String {
        guard let s = try optionalString(key, maxLength: maxLength) else { throw .missingField(path(key)) }
        return s
    }

    /// A string restricted to identifier characters (`SignalingText.isIdentifier`).
    func optionalIdentifier(_ key: String) throws(SignalingError) -> String? {
        guard let s = try optionalString(key, maxLength: 128) else { return nil }
        guard SignalingText.isIdentifier(s) else {
            throw .invalidField(path(key), expected: "identifier (1-128 of A-Z a-z 0-9 . _ : -)")
        }
        return s
    }

    func identifier(_ key: String) throws(SignalingError) -> String {
        guard let s = try optionalIdentifier(key) else { throw .missingField(path(key)) }
        return s
    }

    func optionalBool(_ key: String) throws(SignalingError) -> Bool? {
        guard let v = present(key) else { return nil }
        guard case .bool(let b) = v else { throw .invalidField(path(key), expected: "boolean") }
        return b
    }

    func bool(_ key: String) throws(SignalingError) -> Bool {
        guard let b = try optionalBool(key) else { throw .missingField(path(key)) }
        return b
    }

    func optionalInt(_ key: String, in range: ClosedRange<Int>) throws(SignalingError) -> Int? {
        guard let v = present(key) else { return nil }
        guard case .number(let n) = v, n.isFinite, n == n.rounded(),
              n >= Double(range.lowerBound), n <= Double(range.upperBound) else {
            throw .invalidField(path(key), expected: "integer in \(range.lowerBound)...\(range.upperBound)")
        }
        return Int(n)
    }

    func int(_ key: String, in range: ClosedRange<Int>) throws(SignalingError) -> Int {
        guard let n = try optionalInt(key, in: range) else { throw .missingField(path(key)) }
        return n
    }

    func optionalEnum<E: RawRepresentable & CaseIterable>(_ key: String, _: E.Type) throws(SignalingError) -> E?
    where E.RawValue == String {
        guard let s = try optionalString(key, maxLength: 64) else { return nil }
        guard let e = E(rawValue: s) else {
            throw .invalidField(path(key), expected: "one of " + E.allCases.map(\.rawValue).joined(separator: ", "))
        }
        return e
    }

    func enumValue<E: RawRepresentable & CaseIterable>(_ key: String, _ type: E.Type) throws(SignalingError) -> E
    where E.RawValue == String {
        guard let e = try optionalEnum(key, type) else { throw .missingField(path(key)) }
        return e
    }

    func optionalObject(_ key: String) throws(SignalingError) -> SignalingFieldReader? {
        guard let v = present(key) else { return nil }
        return try SignalingFieldReader(v, path: path(key))
    }

    func object(_ key: String) throws(SignalingError) -> SignalingFieldReader {
        guard let o = try optionalObject(key) else { throw .missingField(path(key)) }
        return o
    }

    /// The elements of an array field with each element's path (`key[i]`).
    func array(_ key: String, maxCount: Int = 64) throws(SignalingError) -> [(path: String, value: SignalingJSON)] {
        guard let v = present(key) else { throw .missingField(path(key)) }
        guard case .array(let a) = v else { throw .invalidField(path(key), expected: "array") }
        guard a.count <= maxCount else { throw .invalidField(path(key), expected: "at most \(maxCount) elements") }
        return a.enumerated().map { (path: "\(path(key))[\($0.offset)]", value: $0.element) }
    }
}

/// Builds one JSON object in a fixed key order, skipping nil optionals.
struct SignalingObjectBuilder {
    var members: [(key: String, value: SignalingJSON)] = []

    mutating func set(_ key: String, _ value: String?) {
        if let value { members.append((key, .string(value))) }
    }
    mutating func set(_ key: String, _ value: Bool) { members.append((key, .bool(value))) }
    mutating func set(_ key: String, _ value: Int?) {
        if let value { members.append((key, .number(Double(value)))) }
    }
    mutating func set(_ key: String, _ value: SignalingJSON) { members.append((key, value)) }

    var json: SignalingJSON { .object(members) }
}
