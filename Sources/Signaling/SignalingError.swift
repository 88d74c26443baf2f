/// Why a signaling text could not be decoded. Every case names what was wrong (the dotted
/// field path, e.g. `appointment.telehealth.reasons[0].code`) so the endpoint can reply with
/// a useful `error` and the kiosk can log it without echoing the (possibly personal) value.
public enum SignalingError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The text is longer than `SignalingEnvelope.maximumLength` bytes.
    case tooLarge(bytes: Int, limit: Int)
    /// Not JSON (syntax error, bad UTF-8) or nested deeper than `SignalingEnvelope.maximumDepth`.
    case malformedJSON
    /// Valid JSON whose top level is not an object.
    case notAnObject
    /// A required field is absent (or null).
    case missingField(String)
    /// A field is present with the wrong JSON type or an out-of-range value.
    case invalidField(String, expected: String)
    /// `v` is not a version this side speaks.
    case unsupportedVersion(Int)
    /// `type` names no message of this version.
    case unknownType(String)

    public var description: String {
        switch self {
        case .tooLarge(let bytes, let limit): return "message of \(bytes) bytes exceeds \(limit)"
        case .malformedJSON: return "not valid JSON"
        case .notAnObject: return "message is not a JSON object"
        case .missingField(let path): return "missing field \(path)"
        case .invalidField(let path, let expected): return "field \(path): expected \(expected)"
        case .unsupportedVersion(let v): return "unsupported protocol version \(v)"
        case .unknownType(let t): return "unknown message type \(SignalingText.loggable(t))"
        }
    }

    /// The protocol error code an endpoint replies with for this decode failure.
    public var code: SignalingErrorCode {
        switch self {
        case .tooLarge: return .tooLarge
        case .malformedJSON, .notAnObject: return .malformed
        case .missingField, .invalidField: return .invalidField
        case .unsupportedVersion: return .unsupportedVersion
        case .unknownType: return .unknownType
        }
    }
}

/// The `code` of an `error` message. Open set: a newer endpoint may send codes this build does
/// not know, so this is a string wrapper with well-known values rather than a closed enum.
public struct SignalingErrorCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    // Decoding (see `SignalingError.code`).
    public static let malformed = SignalingErrorCode(rawValue: "malformed")
    public static let tooLarge = SignalingErrorCode(rawValue: "too-large")
    public static let invalidField = SignalingErrorCode(rawValue: "invalid-field")
    public static let unsupportedVersion = SignalingErrorCode(rawValue: "unsupported-version")
    public static let unknownType = SignalingErrorCode(rawValue: "unknown-type")
    // Order and authority.
    public static let notAuthenticated = SignalingErrorCode(rawValue: "not-authenticated")
    public static let alreadyAuthenticated = SignalingErrorCode(rawValue: "already-authenticated")
    public static let unauthorized = SignalingErrorCode(rawValue: "unauthorized")
    public static let unexpected = SignalingErrorCode(rawValue: "unexpected")
    // The appointment and the room.
    public static let unknownAppointment = SignalingErrorCode(rawValue: "unknown-appointment")
    public static let notEligible = SignalingErrorCode(rawValue: "not-eligible")
    public static let notInSession = SignalingErrorCode(rawValue: "not-in-session")
    /// The kiosk's call could not connect (no media path within its connect limit, or ICE
    /// failed); the message says which. Sent by the kiosk to the endpoint, not in reply.
    public static let connectFailed = SignalingErrorCode(rawValue: "connect-failed")
    public static let peerAbsent = SignalingErrorCode(rawValue: "peer-absent")
    public static let noSessionToRejoin = SignalingErrorCode(rawValue: "no-session-to-rejoin")
    // Connection management.
    public static let superseded = SignalingErrorCode(rawValue: "superseded")
    public static let internalError = SignalingErrorCode(rawValue: "internal")
}

/// Helpers for text that came from the wire.
enum SignalingText {
    /// Identifiers (ids, roles, types) are restricted to this alphabet so they are safe to log
    /// and to put in file names: letters, digits and `._:-`.
    static func isIdentifier(_ s: String, maxLength: Int = 128) -> Bool {
        var count = 0
        for u in s.utf8 {
            count += 1
            if count > maxLength { return false }
            switch u {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: ":"), UInt8(ascii: "-"):
                continue
            default:
                return false
            }
        }
        return count > 0
    }

    /// A peer-chosen word as it may appear in a log line: an identifier of at most 32
    /// characters, else a placeholder (so a hostile `type` cannot forge log lines).
    static func loggable(_ s: String) -> String {
        isIdentifier(s, maxLength: 32) ? s : "<unprintable>"
    }
}

/// `error`: a request failed or a message was rejected.
public struct SignalingErrorPayload: Sendable, Equatable {
    public var code: SignalingErrorCode
    /// Human-readable, in English; never contains personal data.
    public var message: String
    /// The `id` of the message this answers, if it had one.
    public var inReplyTo: String?

    public init(code: SignalingErrorCode, message: String, inReplyTo: String? = nil) {
        self.code = code
        self.message = message
        self.inReplyTo = inReplyTo
    }
}
