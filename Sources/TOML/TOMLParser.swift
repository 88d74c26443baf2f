/// A parser for the subset of TOML v1.0 that configuration needs: comments, `[table]` and
/// `[a.b]` headers, bare and quoted keys, basic and literal strings, integers, floats,
/// booleans and (multi-line) arrays. Inline tables, dotted keys, dates and multi-line strings
/// are refused with a clear error rather than misread. It never traps on any input.
public enum TOMLParser {
    public static func parse(_ text: String) throws(TOMLError) -> TOMLDocument {
        var cursor = TOMLCursor(Array(text.utf8))
        return try cursor.document()
    }

    public static func parse(bytes: [UInt8]) throws(TOMLError) -> TOMLDocument {
        guard String(validating: bytes, as: UTF8.self) != nil else {
            throw TOMLError(.invalidUTF8, line: 1, column: 1)
        }
        var cursor = TOMLCursor(bytes)
        return try cursor.document()
    }
}

struct TOMLCursor {
    let bytes: [UInt8]
    var index = 0
    var line = 1
    var lineStart = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var column: Int { index - lineStart + 1 }
    var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

    func error(_ reason: TOMLError.Reason) -> TOMLError { TOMLError(reason, line: line, column: column) }

    mutating func advance() {
        if bytes[index] == UInt8(ascii: "\n") {
            line += 1
            lineStart = index + 1
        }
        index += 1
    }

    mutating func skipSpaces() {
        while let c = peek, c == UInt8(ascii: " ") || c == UInt8(ascii: "\t") { advance() }
    }

    /// Skips spaces and a comment, then requires the end of the line (or of the file).
    mutating func endOfLine() throws(TOMLError) {
        skipSpaces()
        if peek == UInt8(ascii: "#") {
            while let c = peek, c != UInt8(ascii: "\n") { advance() }
        }
        if peek == UInt8(ascii: "\r") { advance() }
        guard let c = peek else { return }
        guard c == UInt8(ascii: "\n") else { throw error(.trailingCharacters) }
        advance()
    }

    /// Skips blank lines, comments and whitespace, including newlines (inside arrays).
    mutating func skipTrivia() {
        while let c = peek {
            if c == UInt8(ascii: " ") || c == UInt8(ascii: "\t") || c == UInt8(ascii: "\n") || c == UInt8(ascii: "\r") {
                advance()
            } else if c == UInt8(ascii: "#") {
                while let d = peek, d != UInt8(ascii: "\n") { advance() }
            } else {
                return
            }
        }
    }

    mutating func document() throws(TOMLError) -> TOMLDocument {
        var tables = [TOMLTable(name: "", line: 0, entries: [])]
        while true {
            skipTrivia()
            guard let c = peek else { break }
            if c == UInt8(ascii: "[") {
                let headerLine = line
                let name = try tableHeader()
                if tables.contains(where: { $0.name == name }) {
                    throw TOMLError(.duplicateTable(name), line: headerLine, column: 1)
                }
                tables.append(TOMLTable(name: name, line: headerLine, entries: []))
            } else {
                let entryLine = line
                let entryColumn = column
                let key = try self.key()
                skipSpaces()
                if peek == UInt8(ascii: ".") { throw error(.unsupported("a dotted key")) }
                guard peek == UInt8(ascii: "=") else { throw error(.expectedEquals) }
                advance()
                skipSpaces()
                let value = try self.value(depth: 0)
                try endOfLine()
                // Invariant: `tables` starts non-empty and only grows.
                let last = tables.count - 1
                if tables[last][key] != nil {
                    throw TOMLError(.duplicateKey(key), line: entryLine, column: entryColumn)
                }
                tables[last].entries.append(TOMLEntry(key: key, value: value, line: entryLine))
            }
        }
        return TOMLDocument(tables: tables)
    }

    mutating func tableHeader() throws(TOMLError) -> String {
        advance() // [
        if peek == UInt8(ascii: "[") { throw error(.unsupported("an array of tables ([[...]])")) }
        var parts: [String] = []
        while true {
            skipSpaces()
            parts.append(try key())
            skipSpaces()
            if peek == UInt8(ascii: ".") { advance(); continue }
            guard peek == UInt8(ascii: "]") else { throw error(.invalidTableHeader) }
            advance()
            break
        }
        try endOfLine()
        return parts.joined(separator: ".")
    }

    static func isBareKeyByte(_ c: UInt8) -> Bool {
        (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z"))
            || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) || c == UInt8(ascii: "_") || c == UInt8(ascii: "-")
    }

    mutating func key() throws(TOMLError) -> String {
        guard let c = peek else { throw error(.expectedKey) }
        if c == UInt8(ascii: "\"") { return try basicString() }
        if c == UInt8(ascii: "'") { return try literalString() }
        let start = index
        while let d = peek, TOMLCursor.isBareKeyByte(d) { advance() }
        guard index > start else { throw error(.expectedKey) }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    mutating func value(depth: Int) throws(TOMLError) -> TOMLValue {
        guard depth < 16 else { throw error(.tooDeep) }
        guard let c = peek else { throw error(.expectedValue) }
        switch c {
        case UInt8(ascii: "\""): return .string(try basicString())
        case UInt8(ascii: "'"): return .string(try literalString())
        case UInt8(ascii: "["): return try array(depth: depth)
        case UInt8(ascii: "{"): throw error(.unsupported("an inline table"))
        default: return try scalar()
        }
    }

    mutating func array(depth: Int) throws(TOMLError) -> TOMLValue {
        advance() // [
        var items: [TOMLValue] = []
        while true {
            skipTrivia()
            guard let c = peek else { throw error(.unterminatedArray) }
            if c == UInt8(ascii: "]") { advance(); break }
            let item = try value(depth: depth + 1)
            if let first = items.first, first.typeName != item.typeName { throw error(.mixedArray) }
            items.append(item)
            skipTrivia()
            if peek == UInt8(ascii: ",") { advance(); continue }
            guard peek == UInt8(ascii: "]") else { throw error(.unterminatedArray) }
            advance()
            break
        }
        return .array(items)
    }

    mutating func basicString() throws(TOMLError) -> String {
        advance() // "
        if peek == UInt8(ascii: "\""), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "\"") {
            throw error(.unsupported("a multi-line string"))
        }
        var out: [UInt8] = []
        while true {
            guard let c = peek, c != UInt8(ascii: "\n") else { throw error(.unterminatedString) }
            advance()
            if c == UInt8(ascii: "\"") { break }
            if c != UInt8(ascii: "\\") { out.append(c); continue }
            guard let e = peek else { throw error(.unterminatedString) }
            advance()
            switch e {
            case UInt8(ascii: "\""): out.append(UInt8(ascii: "\""))
            case UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\"))
            case UInt8(ascii: "n"): out.append(UInt8(ascii: "\n"))
            case UInt8(ascii: "t"): out.append(UInt8(ascii: "\t"))
            case UInt8(ascii: "r"): out.append(UInt8(ascii: "\r"))
            case UInt8(ascii: "b"): out.append(8)
            case UInt8(ascii: "f"): out.append(12)
            case UInt8(ascii: "u"), UInt8(ascii: "U"):
                let digits = e == UInt8(ascii: "u") ? 4 : 8
                var scalar: UInt32 = 0
                for _ in 0..<digits {
                    guard let h = peek, let v = TOMLCursor.hexValue(h) else { throw error(.invalidEscape) }
                    scalar = scalar << 4 | v
                    advance()
                }
                guard let u = Unicode.Scalar(scalar) else { throw error(.invalidEscape) }
                out.append(contentsOf: Array(String(Character(u)).utf8))
            default:
                throw error(.invalidEscape)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    mutating func literalString() throws(TOMLError) -> String {
        advance() // '
        let start = index
        while true {
            guard let c = peek, c != UInt8(ascii: "\n") else { throw error(.unterminatedString) }
            if c == UInt8(ascii: "'") { break }
            advance()
        }
        let s = String(decoding: bytes[start..<index], as: UTF8.self)
        advance()
        return s
    }

    static func hexValue(_ c: UInt8) -> UInt32? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(c - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt32(c - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt32(c - UInt8(ascii: "A") + 10)
        default: nil
        }
    }

    /// true/false, integers (decimal with `_`, 0x hex) and floats.
    mutating func scalar() throws(TOMLError) -> TOMLValue {
        let start = index
        let startColumn = column
        while let c = peek, c != UInt8(ascii: ","), c != UInt8(ascii: "]"), c != UInt8(ascii: "#"),
              c != UInt8(ascii: " "), c != UInt8(ascii: "\t"), c != UInt8(ascii: "\n"), c != UInt8(ascii: "\r") {
            advance()
        }
        let word = String(decoding: bytes[start..<index], as: UTF8.self)
        if word.isEmpty { throw error(.expectedValue) }
        if word == "true" { return .boolean(true) }
        if word == "false" { return .boolean(false) }
        let invalid = TOMLError(.invalidNumber(word), line: line, column: startColumn)
        if word.hasPrefix("0x") {
            guard let v = Int64(word.dropFirst(2).filter { $0 != "_" }, radix: 16) else { throw invalid }
            return .integer(v)
        }
        guard let first = word.first, first.isNumber || first == "+" || first == "-" else {
            throw error(.expectedValue)
        }
        let digits = word.filter { $0 != "_" }
        if word.contains("_") && (word.hasPrefix("_") || word.hasSuffix("_") || word.contains("__")) { throw invalid }
        if let v = Int64(digits) { return .integer(v) }
        if digits.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }), let v = Double(digits), v.isFinite,
           digits.last?.isNumber == true {
            return .float(v)
        }
        if word.contains("-") || word.contains(":") { throw TOMLError(.unsupported("a date or time"), line: line, column: startColumn) }
        throw invalid
    }
}
