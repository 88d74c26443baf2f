import TOML

/// A configuration problem, phrased for the IT person who wrote the file: it names the file,
/// the line, the key, and what would have been accepted.
struct ConfigError: Error, Equatable, CustomStringConvertible {
    var file: String
    var line: Int
    var key: String?
    var message: String

    var description: String {
        if let key { return "\(file):\(line): key '\(key)': \(message)" }
        return "\(file):\(line): \(message)"
    }

    init(file: String, line: Int, key: String?, message: String) {
        self.file = file
        self.line = line
        self.key = key
        self.message = message
    }

    init(file: String, syntax: TOMLError) {
        self.init(file: file, line: syntax.line, key: nil, message: "\(syntax.message) (column \(syntax.column))")
    }
}
