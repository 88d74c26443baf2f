import TOML

/// One documented configuration key: where it lives, what it accepts, and how it is applied.
struct ConfigKey: Sendable {
    var table: String
    var name: String
    var help: String
    var apply: @Sendable (inout KioskConfig, TOMLValue) -> Result<Void, ConfigKey.Rejection>

    var fullName: String { "\(table).\(name)" }

    /// Why a value was refused: wrong TOML type, or right type but not an allowed value.
    struct Rejection: Error {
        var message: String
    }
}

extension ConfigKey {
    static func string(_ table: String, _ name: String, _ path: WritableKeyPath<KioskConfig, String> & Sendable,
                       allowed: [String]? = nil, pattern: (@Sendable (String) -> String?)? = nil,
                       help: String) -> ConfigKey {
        ConfigKey(table: table, name: name, help: help) { config, value in
            guard case .string(let s) = value else {
                return .failure(Rejection(message: "expected a string, found \(value.typeName)"))
            }
            if let allowed, !allowed.contains(s) {
                return .failure(Rejection(message: "'\(s)' is not allowed (allowed values: \(allowed.joined(separator: ", ")))"))
            }
            if let pattern, let problem = pattern(s) {
                return .failure(Rejection(message: problem))
            }
            config[keyPath: path] = s
            return .success(())
        }
    }

    static func integer(_ table: String, _ name: String, _ path: WritableKeyPath<KioskConfig, Int> & Sendable,
                        range: ClosedRange<Int>, help: String) -> ConfigKey {
        ConfigKey(table: table, name: name, help: help) { config, value in
            guard case .integer(let n) = value else {
                return .failure(Rejection(message: "expected an integer, found \(value.typeName)"))
            }
            guard let i = Int(exactly: n), range.contains(i) else {
                return .failure(Rejection(message: "\(n) is out of range (allowed: \(range.lowerBound) to \(range.upperBound))"))
            }
            config[keyPath: path] = i
            return .success(())
        }
    }

    static func boolean(_ table: String, _ name: String, _ path: WritableKeyPath<KioskConfig, Bool> & Sendable,
                        help: String) -> ConfigKey {
        ConfigKey(table: table, name: name, help: help) { config, value in
            guard case .boolean(let b) = value else {
                return .failure(Rejection(message: "expected true or false, found \(value.typeName)"))
            }
            config[keyPath: path] = b
            return .success(())
        }
    }

    static func strings(_ table: String, _ name: String, _ path: WritableKeyPath<KioskConfig, [String]> & Sendable,
                        each: @escaping @Sendable (String) -> String?, help: String) -> ConfigKey {
        ConfigKey(table: table, name: name, help: help) { config, value in
            guard case .array(let items) = value else {
                return .failure(Rejection(message: "expected an array of strings, found \(value.typeName)"))
            }
            var out: [String] = []
            for item in items {
                guard case .string(let s) = item else {
                    return .failure(Rejection(message: "expected an array of strings, found an array of \(item.typeName)s"))
                }
                if let problem = each(s) { return .failure(Rejection(message: problem)) }
                out.append(s)
            }
            config[keyPath: path] = out
            return .success(())
        }
    }
}
