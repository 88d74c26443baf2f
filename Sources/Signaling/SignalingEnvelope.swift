/// One message on the wire: `{"v":1,"type":…,"id"?:…, …fields}` as one WebSocket text frame.
public struct SignalingEnvelope: Sendable, Equatable {
    /// The protocol version this build speaks.
    public static let version = 1
    /// Largest accepted text, in UTF-8 bytes (an SDP with many candidates is ~10 KB).
    public static let maximumLength = 65_536
    /// Deepest accepted JSON nesting (the deepest real message nests 4).
    public static let maximumDepth = 16

    /// Sender-chosen correlation id; echoed as `inReplyTo` by an `error` and as `id` by a `pong`.
    public var id: String?
    public var message: SignalingMessage

    public init(_ message: SignalingMessage, id: String? = nil) {
        self.message = message
        self.id = id
    }

    /// The message as compact JSON text.
    public var text: String { json.text }

    var json: SignalingJSON {
        var o = SignalingObjectBuilder()
        o.set("v", SignalingEnvelope.version)
        o.set("type", message.type.rawValue)
        o.set("id", id)
        message.encodeFields(into: &o)
        return o.json
    }

    /// Decodes one received text. Never traps; every failure is a typed `SignalingError`.
    public static func decode(_ text: String) throws(SignalingError) -> SignalingEnvelope {
        try decode(bytes: Array(text.utf8))
    }

    public static func decode(bytes: [UInt8]) throws(SignalingError) -> SignalingEnvelope {
        guard bytes.count <= maximumLength else { throw .tooLarge(bytes: bytes.count, limit: maximumLength) }
        return try decode(json: SignalingJSON.parse(bytes, maximumDepth: maximumDepth))
    }

    static func decode(json: SignalingJSON) throws(SignalingError) -> SignalingEnvelope {
        let f = try SignalingFieldReader(json, path: "")
        // Version first: a v2 message may not even have a v1 shape.
        let v = try f.int("v", in: 0...Int(Int32.max))
        guard v == version else { throw .unsupportedVersion(v) }
        let typeName = try f.string("type", maxLength: 64)
        guard let type = SignalingMessageType(rawValue: typeName) else { throw .unknownType(typeName) }
        guard let idValue = f.fields["id"], idValue != .null else {
            return SignalingEnvelope(try SignalingMessage.decode(type, f))
        }
        guard case .string(let id) = idValue, SignalingText.isIdentifier(id, maxLength: 64) else {
            throw .invalidField("id", expected: "identifier of at most 64 characters")
        }
        return SignalingEnvelope(try SignalingMessage.decode(type, f), id: id)
    }

    /// The `id` of a message that failed to decode, if one can be read, so the `error` reply
    /// can carry `inReplyTo`. Returns nil for anything doubtful.
    public static func idHint(in text: String) -> String? {
        let bytes = Array(text.utf8)
        guard bytes.count <= maximumLength,
              let json = try? SignalingJSON.parse(bytes, maximumDepth: maximumDepth),
              case .object(let members) = json,
              let m = members.first(where: { $0.key == "id" }),
              case .string(let id) = m.value,
              SignalingText.isIdentifier(id, maxLength: 64) else { return nil }
        return id
    }
}

extension SignalingEnvelope: Codable {
    public init(from decoder: any Decoder) throws {
        let json = try decoder.singleValueContainer().decode(SignalingJSON.self)
        self = try SignalingEnvelope.decode(json: json)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(json)
    }
}

extension SignalingMessage: Codable {
    /// Decodes a message without an envelope `id` (use `SignalingEnvelope` to keep it).
    public init(from decoder: any Decoder) throws {
        self = try SignalingEnvelope(from: decoder).message
    }

    public func encode(to encoder: any Encoder) throws {
        try SignalingEnvelope(self).encode(to: encoder)
    }
}

extension SignalingJSON: Encodable {
    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { return nil }
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .null:
            var c = encoder.singleValueContainer()
            try c.encodeNil()
        case .bool(let b):
            var c = encoder.singleValueContainer()
            try c.encode(b)
        case .number(let n):
            var c = encoder.singleValueContainer()
            if n == n.rounded(), abs(n) < 9.0e15 { try c.encode(Int64(n)) } else { try c.encode(n) }
        case .string(let s):
            var c = encoder.singleValueContainer()
            try c.encode(s)
        case .array(let a):
            var c = encoder.unkeyedContainer()
            for v in a { try c.encode(v) }
        case .object(let o):
            var c = encoder.container(keyedBy: Key.self)
            for m in o { try c.encode(m.value, forKey: Key(stringValue: m.key)) }
        }
    }
}
