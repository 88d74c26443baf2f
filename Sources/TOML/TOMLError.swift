/// Why a document could not be read, and where. Lines and columns count from 1.
public struct TOMLError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Reason: Equatable, Sendable {
        case expectedKey
        case expectedEquals
        case expectedValue
        case unterminatedString
        case invalidEscape
        case invalidNumber(String)
        case invalidTableHeader
        case duplicateKey(String)
        case duplicateTable(String)
        case trailingCharacters
        case unterminatedArray
        case mixedArray
        case unsupported(String)
        case invalidUTF8
        case tooDeep
    }

    public var reason: Reason
    public var line: Int
    public var column: Int

    public init(_ reason: Reason, line: Int, column: Int) {
        self.reason = reason
        self.line = line
        self.column = column
    }

    public var message: String {
        switch reason {
        case .expectedKey: "expected a key"
        case .expectedEquals: "expected '=' after the key"
        case .expectedValue: "expected a value (a \"string\", number, true/false or [array])"
        case .unterminatedString: "string is not closed on this line"
        case .invalidEscape: "invalid escape sequence in string"
        case .invalidNumber(let s): "'\(s)' is not a valid number"
        case .invalidTableHeader: "invalid table header (expected [name])"
        case .duplicateKey(let k): "key '\(k)' is set twice"
        case .duplicateTable(let t): "table [\(t)] appears twice"
        case .trailingCharacters: "unexpected characters after the value"
        case .unterminatedArray: "array is not closed with ']'"
        case .mixedArray: "array mixes value types"
        case .unsupported(let what): "\(what) is not supported in kioskd configuration"
        case .invalidUTF8: "file is not valid UTF-8"
        case .tooDeep: "arrays nested too deeply"
        }
    }

    public var description: String { "line \(line), column \(column): \(message)" }
}
