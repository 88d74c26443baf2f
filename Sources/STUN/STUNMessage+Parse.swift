import SessionCore

extension STUNMessage {
    /// Parses one message that fills `bytes[range]` exactly (a UDP datagram, or a relayed
    /// payload). FINGERPRINT, when present, is checked here; MESSAGE-INTEGRITY needs the key,
    /// so it is checked later with `verifyIntegrity(key:)`. Attributes after MESSAGE-INTEGRITY
    /// other than FINGERPRINT are ignored (RFC 8489 §14.5).
    public static func parse(_ bytes: [UInt8], range: Range<Int>? = nil) throws(STUNError) -> STUNMessage {
        let r = range ?? 0..<bytes.count
        guard r.lowerBound >= 0, r.upperBound <= bytes.count else { throw .tooShort }
        let result: Result<STUNMessage, STUNError> = bytes.withUnsafeBytes { all in
            let raw = UnsafeRawBufferPointer(rebasing: all[r])
            do throws(STUNError) {
                return .success(try parse(raw, bytes: bytes, base: r.lowerBound))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    private static func parse(_ raw: UnsafeRawBufferPointer, bytes: [UInt8], base: Int) throws(STUNError) -> STUNMessage {
        guard raw.count >= headerLength else { throw .tooShort }
        var r = ByteReader(raw)
        guard let typeRaw = r.u16(), let length = r.u16(), let cookie = r.u32(),
              let high = r.u32(), let low = r.u64() else { throw .tooShort }
        guard typeRaw & 0xC000 == 0, cookie == magicCookie else { throw .notSTUN }
        guard let type = STUNMessageType(rawValue: typeRaw) else { throw .badMessageType }
        guard length % 4 == 0, headerLength + Int(length) == raw.count else { throw .badLength }

        var message = STUNMessage(type: type, transactionID: STUNTransactionID(high: high, low: low))
        var sawIntegrity = false
        var sawFingerprint = false
        while r.remaining > 0 {
            let start = r.offset
            guard let attrType = r.u16() else { throw .truncatedAttribute(type: 0) }
            guard let attrLength = r.u16(), let valueRange = r.range(Int(attrLength)) else {
                throw .truncatedAttribute(type: attrType)
            }
            guard r.skip((4 - Int(attrLength) % 4) % 4) else { throw .truncatedAttribute(type: attrType) }
            if sawFingerprint { throw .attributeAfterFingerprint }
            let value = UnsafeRawBufferPointer(rebasing: raw[valueRange])

            switch attrType {
            case STUNAttributeType.messageIntegrity:
                guard !sawIntegrity else { continue }
                guard attrLength == 20 else { throw .malformedAttribute(type: attrType) }
                sawIntegrity = true
                // §14.5: the HMAC covers everything before this attribute, with the header
                // length pointing at the end of MESSAGE-INTEGRITY.
                var input = Array(bytes[base..<(base + start)])
                input.setU16(UInt16(truncatingIfNeeded: start - headerLength + 24), at: 2)
                message.integrityInput = input
                message.attributes.append(.messageIntegrity(Array(value)))
            case STUNAttributeType.fingerprint:
                guard attrLength == 4 else { throw .malformedAttribute(type: attrType) }
                var vr = ByteReader(value)
                guard let crc = vr.u32() else { throw .malformedAttribute(type: attrType) }
                // FINGERPRINT is last, so the header length already covers it.
                guard STUNFingerprint.value(bytes, base..<(base + start)) == crc else { throw .badFingerprint }
                sawFingerprint = true
                message.attributes.append(.fingerprint(crc))
            default:
                if sawIntegrity { continue }
                let attribute = try decodeAttribute(attrType, value, transactionID: message.transactionID)
                if case .data = attribute {
                    message.dataRange = (base + valueRange.lowerBound)..<(base + valueRange.upperBound)
                }
                message.attributes.append(attribute)
            }
        }
        return message
    }

    private static func decodeAttribute(_ type: UInt16, _ value: UnsafeRawBufferPointer,
                                        transactionID tid: STUNTransactionID) throws(STUNError) -> STUNAttribute {
        typealias T = STUNAttributeType
        var r = ByteReader(value)
        func exact(_ n: Int) throws(STUNError) {
            guard value.count == n else { throw .malformedAttribute(type: type) }
        }
        switch type {
        case T.mappedAddress:
            return .mappedAddress(try STUNAddressCoding.decode(value, xor: false, transactionID: tid, type: type))
        case T.alternateServer:
            return .alternateServer(try STUNAddressCoding.decode(value, xor: false, transactionID: tid, type: type))
        case T.xorMappedAddress:
            return .xorMappedAddress(try STUNAddressCoding.decode(value, xor: true, transactionID: tid, type: type))
        case T.xorRelayedAddress:
            return .xorRelayedAddress(try STUNAddressCoding.decode(value, xor: true, transactionID: tid, type: type))
        case T.xorPeerAddress:
            return .xorPeerAddress(try STUNAddressCoding.decode(value, xor: true, transactionID: tid, type: type))
        case T.username:
            return .username(try text(value, type: type, maxBytes: 513))
        case T.realm:
            return .realm(try text(value, type: type, maxBytes: 763))
        case T.nonce:
            return .nonce(try text(value, type: type, maxBytes: 763))
        case T.software:
            return .software(try text(value, type: type, maxBytes: 763))
        case T.errorCode:
            guard value.count >= 4, r.skip(2), let cls = r.u8(), let number = r.u8(),
                  (3...6).contains(cls & 0x07), number < 100 else { throw .malformedAttribute(type: type) }
            let reason = try text(UnsafeRawBufferPointer(rebasing: value[4...]), type: type, maxBytes: 763)
            return .errorCode(STUNErrorCode(Int(cls & 0x07) * 100 + Int(number), reason))
        case T.unknownAttributes:
            guard value.count % 2 == 0 else { throw .malformedAttribute(type: type) }
            var list: [UInt16] = []
            while let t = r.u16() { list.append(t) }
            return .unknownAttributes(list)
        case T.priority:
            try exact(4)
            guard let v = r.u32() else { throw .malformedAttribute(type: type) }
            return .priority(v)
        case T.useCandidate:
            try exact(0)
            return .useCandidate
        case T.iceControlled, T.iceControlling:
            try exact(8)
            guard let v = r.u64() else { throw .malformedAttribute(type: type) }
            return type == T.iceControlled ? .iceControlled(v) : .iceControlling(v)
        case T.lifetime:
            try exact(4)
            guard let v = r.u32() else { throw .malformedAttribute(type: type) }
            return .lifetime(v)
        case T.requestedTransport:
            try exact(4)
            guard let v = r.u8() else { throw .malformedAttribute(type: type) }
            return .requestedTransport(v)
        case T.channelNumber:
            try exact(4)
            guard let v = r.u16() else { throw .malformedAttribute(type: type) }
            return .channelNumber(v)
        case T.data:
            return .data(Array(value))
        default:
            return .unknown(type: type, value: Array(value))
        }
    }

    private static func text(_ value: UnsafeRawBufferPointer, type: UInt16, maxBytes: Int) throws(STUNError) -> String {
        guard value.count <= maxBytes, let s = String(validating: value, as: UTF8.self) else {
            throw .invalidText(type: type)
        }
        return s
    }
}
