/// The values of the TOML subset kioskd's configuration uses.
public enum TOMLValue: Equatable, Sendable {
    case string(String)
    case integer(Int64)
    case float(Double)
    case boolean(Bool)
    case array([TOMLValue])

    /// The type's name as TOML documentation spells it, for error messages.
    public var typeName: String {
        switch self {
        case .string: "string"
        case .integer: "integer"
        case .float: "float"
        case .boolean: "boolean"
        case .array: "array"
        }
    }
}

/// One `key = value` line, remembering where it was so errors can point at it.
public struct TOMLEntry: Equatable, Sendable {
    public var key: String
    public var value: TOMLValue
    public var line: Int
}

/// A table (`[name]`, or the unnamed root) and its entries in file order.
public struct TOMLTable: Equatable, Sendable {
    public var name: String
    /// Line of the `[name]` header; 0 for the root table.
    public var line: Int
    public var entries: [TOMLEntry]

    public subscript(key: String) -> TOMLEntry? { entries.first { $0.key == key } }
}

/// A parsed document: the root table first, then each `[table]` in file order.
public struct TOMLDocument: Equatable, Sendable {
    public var tables: [TOMLTable]

    public subscript(table name: String) -> TOMLTable? { tables.first { $0.name == name } }
}
