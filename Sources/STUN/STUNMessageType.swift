/// The class bits of a STUN message type (RFC 8489 §5).
public enum STUNClass: UInt8, Sendable {
    case request = 0
    case indication = 1
    case successResponse = 2
    case errorResponse = 3
}

/// The 12-bit method of a STUN message type: Binding (RFC 8489) and TURN's (RFC 8656 §18).
public struct STUNMethod: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue & 0x0FFF }

    public static let binding = STUNMethod(rawValue: 0x001)
    public static let allocate = STUNMethod(rawValue: 0x003)
    public static let refresh = STUNMethod(rawValue: 0x004)
    public static let send = STUNMethod(rawValue: 0x006)
    public static let data = STUNMethod(rawValue: 0x007)
    public static let createPermission = STUNMethod(rawValue: 0x008)
    public static let channelBind = STUNMethod(rawValue: 0x009)
}

/// Method and class, interleaved on the wire as M11..M7 C1 M6..M4 C0 M3..M0 (RFC 8489 §5).
public struct STUNMessageType: Hashable, Sendable {
    public var method: STUNMethod
    public var messageClass: STUNClass

    public init(_ method: STUNMethod, _ messageClass: STUNClass) {
        self.method = method
        self.messageClass = messageClass
    }

    /// Nil when the two most significant bits are set (then it is not STUN).
    public init?(rawValue: UInt16) {
        guard rawValue & 0xC000 == 0 else { return nil }
        let m = (rawValue & 0x000F) | ((rawValue >> 1) & 0x0070) | ((rawValue >> 2) & 0x0F80)
        let c = UInt8(truncatingIfNeeded: ((rawValue >> 4) & 0x1) | ((rawValue >> 7) & 0x2))
        // Two bits always name a case; the guard keeps the unwrap honest.
        guard let cls = STUNClass(rawValue: c) else { return nil }
        self.init(STUNMethod(rawValue: m), cls)
    }

    public var rawValue: UInt16 {
        let m = method.rawValue
        let c = UInt16(messageClass.rawValue)
        return (m & 0x000F) | ((c & 0x1) << 4) | ((m & 0x0070) << 1) | ((c & 0x2) << 7) | ((m & 0x0F80) << 2)
    }

    public static let bindingRequest = STUNMessageType(.binding, .request)
    public static let bindingSuccess = STUNMessageType(.binding, .successResponse)
    public static let bindingError = STUNMessageType(.binding, .errorResponse)
    public static let bindingIndication = STUNMessageType(.binding, .indication)
}
