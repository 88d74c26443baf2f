import TOML

/// Reads `kioskd.toml`: a missing file means the defaults; anything wrong in a present file
/// is an error naming the file, the line and the key. Unknown keys are errors, not ignored,
/// so a typo never silently leaves a kiosk on a default.
enum ConfigLoader {
    static func load(path: String, mustExist: Bool) throws(ConfigError) -> KioskConfig {
        let bytes: [UInt8]
        switch FileBytes.read(path) {
        case .success(let b):
            bytes = b
        case .failure(.notFound) where !mustExist:
            return KioskConfig()
        case .failure(let e):
            throw ConfigError(file: path, line: 0, key: nil, message: e.description)
        }
        return try parse(bytes: bytes, file: path)
    }

    static func parse(bytes: [UInt8], file: String) throws(ConfigError) -> KioskConfig {
        let document: TOMLDocument
        do {
            document = try TOMLParser.parse(bytes: bytes)
        } catch {
            throw ConfigError(file: file, syntax: error)
        }
        return try apply(document, file: file)
    }

    static func apply(_ document: TOMLDocument, file: String) throws(ConfigError) -> KioskConfig {
        let keys = ConfigKeys.all
        let tableNames = Set(keys.map(\.table))
        var config = KioskConfig()
        for table in document.tables {
            if table.name.isEmpty, let first = table.entries.first {
                throw ConfigError(file: file, line: first.line, key: first.key,
                                  message: "key outside any table (allowed tables: \(tableNames.sorted().joined(separator: ", ")))")
            }
            if !table.name.isEmpty && !tableNames.contains(table.name) {
                throw ConfigError(file: file, line: table.line, key: nil,
                                  message: "unknown table [\(table.name)] (allowed tables: \(tableNames.sorted().joined(separator: ", ")))")
            }
            for entry in table.entries {
                let full = "\(table.name).\(entry.key)"
                guard let key = keys.first(where: { $0.table == table.name && $0.name == entry.key }) else {
                    let known = keys.filter { $0.table == table.name }.map(\.name)
                    var message = "unknown key (known keys in [\(table.name)]: \(known.joined(separator: ", ")))"
                    if let guess = closest(entry.key, in: known) { message = "unknown key, did you mean '\(guess)'? " + message.dropFirst("unknown key ".count) }
                    throw ConfigError(file: file, line: entry.line, key: full, message: message)
                }
                if case .failure(let rejection) = key.apply(&config, entry.value) {
                    throw ConfigError(file: file, line: entry.line, key: full, message: rejection.message)
                }
            }
        }
        return config
    }

    /// The known key nearest to a typo, if it is close enough to be a plausible suggestion.
    static func closest(_ word: String, in candidates: [String]) -> String? {
        let scored = candidates.map { ($0, editDistance(Array(word), Array($0))) }.min { $0.1 < $1.1 }
        guard let (best, distance) = scored, distance <= max(2, word.count / 3) else { return nil }
        return best
    }

    static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + [Int](repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}
