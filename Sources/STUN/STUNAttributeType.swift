import SessionCore

/// Attribute type codes (RFC 8489 §18.3, RFC 8445 §16.1, RFC 8656 §18).
public enum STUNAttributeType {
    public static let mappedAddress: UInt16 = 0x0001
    public static let username: UInt16 = 0x0006
    public static let messageIntegrity: UInt16 = 0x0008
    public static let errorCode: UInt16 = 0x0009
    public static let unknownAttributes: UInt16 = 0x000A
    public static let channelNumber: UInt16 = 0x000C
    public static let lifetime: UInt16 = 0x000D
    public static let xorPeerAddress: UInt16 = 0x0012
    public static let data: UInt16 = 0x0013
    public static let realm: UInt16 = 0x0014
    public static let nonce: UInt16 = 0x0015
    public static let xorRelayedAddress: UInt16 = 0x0016
    public static let requestedTransport: UInt16 = 0x0019
    public static let messageIntegritySHA256: UInt16 = 0x001C
    public static let xorMappedAddress: UInt16 = 0x0020
    public static let priority: UInt16 = 0x0024
    public static let useCandidate: UInt16 = 0x0025
    public static let software: UInt16 = 0x8022
    public static let alternateServer: UInt16 = 0x8023
    public static let fingerprint: UInt16 = 0x8028
    public static let iceControlled: UInt16 = 0x8029
    public static let iceControlling: UInt16 = 0x802A

    /// 0x0000–0x7FFF must be understood, or a request is answered with 420 (RFC 8489 §14).
    public static func isComprehensionRequired(_ type: UInt16) -> Bool { type < 0x8000 }
}

/// ERROR-CODE's value (RFC 8489 §14.8).
public struct STUNErrorCode: Hashable, Sendable {
    public var code: Int
    public var reason: String

    public init(_ code: Int, _ reason: String = "") {
        self.code = code
        self.reason = reason
    }

    /// 300 Try Alternate: use the server in ALTERNATE-SERVER instead (RFC 8489 §10).
    public static let tryAlternate = 300
    public static let badRequest = 400
    public static let unauthorized = 401
    public static let unknownAttribute = 420
    public static let allocationMismatch = 437
    public static let staleNonce = 438
    public static let roleConflict = 487
    public static let serverError = 500
}

/// One decoded attribute. MESSAGE-INTEGRITY and FINGERPRINT appear in parsed messages; the
/// encoder computes them itself and skips them in the list.
public enum STUNAttribute: Hashable, Sendable {
    case mappedAddress(TransportAddress)
    case xorMappedAddress(TransportAddress)
    case username(String)
    case messageIntegrity([UInt8])
    case fingerprint(UInt32)
    case errorCode(STUNErrorCode)
    case unknownAttributes([UInt16])
    case realm(String)
    case nonce(String)
    case software(String)
    /// RFC 8489 §14.15: where a 300 Try Alternate sends the client (not XOR-ed).
    case alternateServer(TransportAddress)
    // ICE (RFC 8445 §7.1).
    case priority(UInt32)
    case useCandidate
    case iceControlled(UInt64)
    case iceControlling(UInt64)
    // TURN (RFC 8656 §18).
    case xorRelayedAddress(TransportAddress)
    case xorPeerAddress(TransportAddress)
    case lifetime(UInt32)
    case requestedTransport(UInt8)
    case data([UInt8])
    case channelNumber(UInt16)
    /// Anything else, kept so a request with an unknown comprehension-required attribute can
    /// be answered with 420 and UNKNOWN-ATTRIBUTES.
    case unknown(type: UInt16, value: [UInt8])

    public var type: UInt16 {
        typealias T = STUNAttributeType
        switch self {
        case .mappedAddress: return T.mappedAddress
        case .alternateServer: return T.alternateServer
        case .xorMappedAddress: return T.xorMappedAddress
        case .username: return T.username
        case .messageIntegrity: return T.messageIntegrity
        case .fingerprint: return T.fingerprint
        case .errorCode: return T.errorCode
        case .unknownAttributes: return T.unknownAttributes
        case .realm: return T.realm
        case .nonce: return T.nonce
        case .software: return T.software
        case .priority: return T.priority
        case .useCandidate: return T.useCandidate
        case .iceControlled: return T.iceControlled
        case .iceControlling: return T.iceControlling
        case .xorRelayedAddress: return T.xorRelayedAddress
        case .xorPeerAddress: return T.xorPeerAddress
        case .lifetime: return T.lifetime
        case .requestedTransport: return T.requestedTransport
        case .data: return T.data
        case .channelNumber: return T.channelNumber
        case .unknown(let type, _): return type
        }
    }
}
