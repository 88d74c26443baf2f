import Foundation

/// A JSON value for the HTTP API: parsed by hand-checked steps so errors can name the field,
/// and written with a fixed key order so equal records give byte-identical responses.
enum PracticeJSON: Equatable, Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([PracticeJSON])
    /// Keys in the order they are written; parsed objects are sorted by key.
    case object([PracticeJSONMember])

    /// The JSON type's name, for error messages.
    var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}

struct PracticeJSONMember: Equatable, Sendable {
    var key: String
    var value: PracticeJSON
}

// MARK: - Parsing

extension PracticeJSON: Decodable {
    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        // Bool before Double: Foundation's decoder refuses a number as Bool and `true` as Double.
        if c.decodeNil() {
            self = .null
        } else if let b = try? c.decode(Bool.self) {
            self = .bool(b)
        } else if let n = try? c.decode(Double.self) {
            self = .number(n)
        } else if let s = try? c.decode(String.self) {
            self = .string(s)
        } else if let a = try? c.decode([PracticeJSON].self) {
            self = .array(a)
        } else {
            let o = try c.decode([String: PracticeJSON].self)
            self = .object(o.sorted { $0.key < $1.key }.map { PracticeJSONMember(key: $0.key, value: $0.value) })
        }
    }

    /// API bodies are shallow; deeper nesting is refused before the recursive decoder sees it.
    static let maximumDepth = 16

    /// Parses one JSON value; nil when the bytes are not JSON (or nest too deeply).
    static func parse(_ bytes: [UInt8]) -> PracticeJSON? {
        guard nestingDepth(bytes) <= maximumDepth else { return nil }
        return try? JSONDecoder().decode(PracticeJSON.self, from: Data(bytes))
    }

    private static func nestingDepth(_ bytes: [UInt8]) -> Int {
        var depth = 0, deepest = 0
        var inString = false, escaped = false
        for b in bytes {
            if inString {
                if escaped { escaped = false } else if b == UInt8(ascii: "\\") { escaped = true } else if b == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch b {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                deepest = max(deepest, depth)
                if deepest > maximumDepth { return deepest }
            case UInt8(ascii: "]"), UInt8(ascii: "}"): depth -= 1
            default: break
            }
        }
        return deepest
    }
}

// MARK: - Writing (RFC 8259)

extension PracticeJSON {
    var text: String {
        var out = ""
        write(into: &out)
        return out
    }

    private func write(into out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .number(let n):
            if n.isFinite, n == n.rounded(), abs(n) < 9.0e15 {
                out += String(Int64(n))
            } else if n.isFinite {
                out += "\(n)"
            } else {
                out += "null"  // RFC 8259 §6: no NaN or infinities.
            }
        case .string(let s): Self.writeString(s, into: &out)
        case .array(let a):
            out += "["
            for (i, v) in a.enumerated() {
                if i > 0 { out += "," }
                v.write(into: &out)
            }
            out += "]"
        case .object(let members):
            out += "{"
            for (i, m) in members.enumerated() {
                if i > 0 { out += "," }
                Self.writeString(m.key, into: &out)
                out += ":"
                m.value.write(into: &out)
            }
            out += "}"
        }
    }

    /// RFC 8259 §7: escape the quote, the backslash and control characters.
    private static func writeString(_ s: String, into out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }
}

/// Builds an object with keys in insertion order.
struct PracticeJSONObject {
    private(set) var members: [PracticeJSONMember] = []

    mutating func set(_ key: String, _ value: PracticeJSON) { members.append(PracticeJSONMember(key: key, value: value)) }
    mutating func set(_ key: String, _ value: String) { set(key, .string(value)) }
    mutating func set(_ key: String, _ value: Bool) { set(key, .bool(value)) }
    mutating func set(_ key: String, _ value: Int) { set(key, .number(Double(value))) }
    /// Omits the key when nil.
    mutating func setIfPresent(_ key: String, _ value: PracticeJSON?) { if let value { set(key, value) } }

    var json: PracticeJSON { .object(members) }
}
