#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A parsed JSON value: the untyped middle layer between the text and `SignalingMessage`
/// (and practice-dev's API bodies). Parsing uses Foundation's `JSONDecoder` (after a depth
/// pre-check); encoding is done here so key order is stable (`v`, `type`, `id` first) and
/// needs no Foundation.
public enum SignalingJSON: Equatable, Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([SignalingJSON])
    /// Ordered when built for encoding; parsed objects keep the decoder's order.
    case object([(key: String, value: SignalingJSON)])

    public static func == (a: SignalingJSON, b: SignalingJSON) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case (.bool(let x), .bool(let y)): return x == y
        case (.number(let x), .number(let y)): return x == y
        case (.string(let x), .string(let y)): return x == y
        case (.array(let x), .array(let y)): return x == y
        case (.object(let x), .object(let y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: return false
        }
    }

    /// The JSON type's name, for error messages.
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .number: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }
}

// MARK: - Parsing

extension SignalingJSON: Decodable {
    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() {
            self = .null
        } else if let b = try? c.decode(Bool.self) {
            self = .bool(b)
        } else if let n = try? c.decode(Double.self) {
            self = .number(n)
        } else if let s = try? c.decode(String.self) {
            self = .string(s)
        } else if let a = try? c.decode([SignalingJSON].self) {
            self = .array(a)
        } else {
            let o = try c.decode([String: SignalingJSON].self)
            // Sorted so a parsed value is deterministic (dictionary order is not).
            self = .object(o.sorted { $0.key < $1.key }.map { (key: $0.key, value: $0.value) })
        }
    }

    /// Parses `bytes` as one JSON value. Rejects nesting deeper than `maximumDepth` before
    /// handing the text to the recursive decoder, so hostile input cannot exhaust the stack.
    public static func parse(_ bytes: [UInt8], maximumDepth: Int) throws(SignalingError) -> SignalingJSON {
        guard nestingDepth(bytes, limit: maximumDepth) <= maximumDepth else { throw .malformedJSON }
        do {
            return try JSONDecoder().decode(SignalingJSON.self, from: Data(bytes))
        } catch {
            throw .malformedJSON
        }
    }

    /// The deepest `[`/`{` nesting outside strings, stopping early once past `limit`.
    static func nestingDepth(_ bytes: [UInt8], limit: Int) -> Int {
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
                if depth > deepest { deepest = depth; if deepest > limit { return deepest } }
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                depth -= 1
            default: break
            }
        }
        return deepest
    }
}

// MARK: - Encoding (RFC 8259)

extension SignalingJSON {
    /// Compact JSON text.
    public var text: String {
        var out = ""
        write(into: &out)
        return out
    }

    func write(into out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .number(let n):
            // The protocol only carries integers; print them without a fraction.
            if n.isFinite, n == n.rounded(), abs(n) < 9.0e15 {
                out += String(Int64(n))
            } else if n.isFinite {
                out += "\(n)"
            } else {
                out += "null"  // RFC 8259 §6: NaN and infinities are not representable.
            }
        case .string(let s): SignalingJSON.writeString(s, into: &out)
        case .array(let a):
            out += "["
            for (i, v) in a.enumerated() {
                if i > 0 { out += "," }
                v.write(into: &out)
            }
            out += "]"
        case .object(let o):
            out += "{"
            for (i, member) in o.enumerated() {
                if i > 0 { out += "," }
                SignalingJSON.writeString(member.key, into: &out)
                out += ":"
                member.value.write(into: &out)
            }
            out += "}"
        }
    }

    /// RFC 8259 §7: escape the quote, the backslash and control characters.
    static func writeString(_ s: String, into out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
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
