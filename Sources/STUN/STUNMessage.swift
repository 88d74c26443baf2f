import SessionCore

/// A STUN message (RFC 8489 §5, §6) as plain values: built by the agents and encoded with
/// `encode(integrityKey:fingerprint:)`, or produced by `parse(_:)` from a datagram.
public struct STUNMessage: Sendable {
    public static let magicCookie: UInt32 = 0x2112_A442
    public static let headerLength = 20

    public var type: STUNMessageType
    public var transactionID: STUNTransactionID
    public var attributes: [STUNAttribute]

    /// Set by `parse`: the bytes MESSAGE-INTEGRITY covers, with the header length already
    /// adjusted to end at that attribute (RFC 8489 §14.5). Nil for built messages.
    public internal(set) var integrityInput: [UInt8]?
    /// Set by `parse`: where DATA's value lies in the parsed buffer, so a relayed payload can be
    /// handed on without another copy.
    public internal(set) var dataRange: Range<Int>?

    public init(type: STUNMessageType, transactionID: STUNTransactionID, attributes: [STUNAttribute] = []) {
        self.type = type
        self.transactionID = transactionID
        self.attributes = attributes
    }

    /// RFC 7983 demultiplexing: a first byte of 0–3 and the magic cookie at offset 4. Cheap
    /// enough to run on every datagram before deciding which protocol gets it.
    public static func isSTUN(_ bytes: [UInt8], range: Range<Int>? = nil) -> Bool {
        let r = range ?? 0..<bytes.count
        guard r.count >= headerLength, r.lowerBound >= 0, r.upperBound <= bytes.count else { return false }
        let b = r.lowerBound
        return bytes[b] <= 3 && bytes[b + 4] == 0x21 && bytes[b + 5] == 0x12
            && bytes[b + 6] == 0xA4 && bytes[b + 7] == 0x42
    }

    /// Checks MESSAGE-INTEGRITY with `key`; false when the message has none or was not parsed.
    public func verifyIntegrity(key: [UInt8]) -> Bool {
        guard let input = integrityInput, let mac = messageIntegrity else { return false }
        return STUNCrypto.constantTimeEqual(STUNCrypto.hmacSHA1(key: key, input, 0..<input.count), mac)
    }
}

extension STUNMessage: Equatable {
    /// Compares what the message says, not how it was received.
    public static func == (a: STUNMessage, b: STUNMessage) -> Bool {
        a.type == b.type && a.transactionID == b.transactionID && a.attributes == b.attributes
    }
}

extension STUNMessage: CustomStringConvertible {
    /// Type and attribute codes only: values may hold addresses and usernames.
    public var description: String {
        let codes = attributes.map { "0x" + String($0.type, radix: 16) }.joined(separator: ",")
        return "STUN(\(type.method.rawValue)/\(type.messageClass) [\(codes)])"
    }
}

// MARK: - Attribute accessors (the first occurrence wins, RFC 8489 §14)

extension STUNMessage {
    public var username: String? {
        for case .username(let v) in attributes { return v }
        return nil
    }
    public var realm: String? {
        for case .realm(let v) in attributes { return v }
        return nil
    }
    public var nonce: String? {
        for case .nonce(let v) in attributes { return v }
        return nil
    }
    public var software: String? {
        for case .software(let v) in attributes { return v }
        return nil
    }
    public var mappedAddress: TransportAddress? {
        for case .mappedAddress(let v) in attributes { return v }
        return nil
    }
    public var alternateServer: TransportAddress? {
        for case .alternateServer(let v) in attributes { return v }
        return nil
    }
    public var xorMappedAddress: TransportAddress? {
        for case .xorMappedAddress(let v) in attributes { return v }
        return nil
    }
    public var xorRelayedAddress: TransportAddress? {
        for case .xorRelayedAddress(let v) in attributes { return v }
        return nil
    }
    public var xorPeerAddress: TransportAddress? {
        for case .xorPeerAddress(let v) in attributes { return v }
        return nil
    }
    public var errorCode: STUNErrorCode? {
        for case .errorCode(let v) in attributes { return v }
        return nil
    }
    public var priority: UInt32? {
        for case .priority(let v) in attributes { return v }
        return nil
    }
    public var useCandidate: Bool {
        attributes.contains(.useCandidate)
    }
    public var iceControlling: UInt64? {
        for case .iceControlling(let v) in attributes { return v }
        return nil
    }
    public var iceControlled: UInt64? {
        for case .iceControlled(let v) in attributes { return v }
        return nil
    }
    public var lifetime: UInt32? {
        for case .lifetime(let v) in attributes { return v }
        return nil
    }
    public var channelNumber: UInt16? {
        for case .channelNumber(let v) in attributes { return v }
        return nil
    }
    public var data: [UInt8]? {
        for case .data(let v) in attributes { return v }
        return nil
    }
    public var messageIntegrity: [UInt8]? {
        for case .messageIntegrity(let v) in attributes { return v }
        return nil
    }
    public var fingerprint: UInt32? {
        for case .fingerprint(let v) in attributes { return v }
        return nil
    }
    /// Comprehension-required attributes this code does not know (for a 420 answer).
    public var unknownComprehensionRequired: [UInt16] {
        attributes.compactMap { attribute in
            if case .unknown(let type, _) = attribute, STUNAttributeType.isComprehensionRequired(type) {
                return type
            }
            return nil
        }
    }
}
