import Foundation
import Signaling

/// A JSON value for the HTTP API: Session's JSON value (parsed with a depth limit, objects
/// sorted by key; written with the keys in the order they were set, so equal records give
/// byte-identical responses).
public typealias PracticeJSON = SignalingJSON

/// One key and value of an object.
typealias PracticeJSONMember = (key: String, value: PracticeJSON)

extension SignalingJSON {
    /// API bodies are shallow; deeper nesting is refused before the recursive decoder sees it.
    static let maximumBodyDepth = 16

    /// Parses one API body; nil when the bytes are not JSON (or nest too deeply).
    public static func parse(_ bytes: [UInt8]) -> PracticeJSON? {
        try? parse(bytes, maximumDepth: maximumBodyDepth)
    }

    /// The JSON type's name with its article, for the API's error sentences ("not a boolean").
    var typeNameWithArticle: String {
        switch self {
        case .null: return "null"
        case .array, .object: return "an \(typeName)"
        default: return "a \(typeName)"
        }
    }
}

/// Builds an object with keys in insertion order.
struct PracticeJSONObject {
    private(set) var members: [PracticeJSONMember] = []

    mutating func set(_ key: String, _ value: PracticeJSON) { members.append((key: key, value: value)) }
    mutating func set(_ key: String, _ value: String) { set(key, .string(value)) }
    mutating func set(_ key: String, _ value: Bool) { set(key, .bool(value)) }
    mutating func set(_ key: String, _ value: Int) { set(key, .number(Double(value))) }
    /// Omits the key when nil.
    mutating func setIfPresent(_ key: String, _ value: PracticeJSON?) { if let value { set(key, value) } }

    var json: PracticeJSON { .object(members) }
}
