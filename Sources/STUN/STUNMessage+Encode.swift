extension STUNMessage {
    /// The message on the wire. With `integrityKey`, MESSAGE-INTEGRITY is appended (HMAC-SHA1,
    /// RFC 8489 §14.5); with `fingerprint`, FINGERPRINT last (§14.7). Any of those two already in
    /// `attributes` are skipped: they are always recomputed.
    public func encode(integrityKey: [UInt8]? = nil, fingerprint: Bool = false) -> [UInt8] {
        var out: [UInt8] = []
        encode(into: &out, integrityKey: integrityKey, fingerprint: fingerprint)
        return out
    }

    /// As `encode`, into a buffer the caller reuses (its old contents are replaced).
    public func encode(into out: inout [UInt8], integrityKey: [UInt8]? = nil, fingerprint: Bool = false) {
        out.removeAll(keepingCapacity: true)
        out.appendU16(type.rawValue)
        out.appendU16(0)
        out.appendU32(Self.magicCookie)
        out.appendU32(transactionID.high)
        out.appendU64(transactionID.low)
        for attribute in attributes {
            switch attribute {
            case .messageIntegrity, .fingerprint: continue
            default: Self.append(attribute, transactionID: transactionID, to: &out)
            }
        }
        if let key = integrityKey {
            out.setU16(UInt16(truncatingIfNeeded: out.count - Self.headerLength + 24), at: 2)
            let mac = STUNCrypto.hmacSHA1(key: key, out, 0..<out.count)
            out.appendU16(STUNAttributeType.messageIntegrity)
            out.appendU16(20)
            out.append(contentsOf: mac)
        }
        if fingerprint {
            out.setU16(UInt16(truncatingIfNeeded: out.count - Self.headerLength + 8), at: 2)
            let crc = STUNFingerprint.value(out, 0..<out.count)
            out.appendU16(STUNAttributeType.fingerprint)
            out.appendU16(4)
            out.appendU32(crc)
        }
        out.setU16(UInt16(truncatingIfNeeded: out.count - Self.headerLength), at: 2)
    }

    private static func append(_ attribute: STUNAttribute, transactionID tid: STUNTransactionID, to out: inout [UInt8]) {
        out.appendU16(attribute.type)
        let lengthAt = out.count
        out.appendU16(0)
        let start = out.count
        switch attribute {
        case .mappedAddress(let a), .alternateServer(let a):
            STUNAddressCoding.encode(a, xor: false, transactionID: tid, into: &out)
        case .xorMappedAddress(let a), .xorRelayedAddress(let a), .xorPeerAddress(let a):
            STUNAddressCoding.encode(a, xor: true, transactionID: tid, into: &out)
        case .username(let s), .realm(let s), .nonce(let s), .software(let s):
            out.append(contentsOf: s.utf8)
        case .errorCode(let e):
            out.appendU16(0)
            out.append(UInt8(truncatingIfNeeded: (e.code / 100) & 0x07))
            out.append(UInt8(truncatingIfNeeded: e.code % 100))
            out.append(contentsOf: e.reason.utf8)
        case .unknownAttributes(let list):
            for t in list { out.appendU16(t) }
        case .priority(let v), .lifetime(let v):
            out.appendU32(v)
        case .useCandidate:
            break
        case .iceControlled(let v), .iceControlling(let v):
            out.appendU64(v)
        case .requestedTransport(let p):
            out.append(p); out.append(0); out.appendU16(0)
        case .channelNumber(let n):
            out.appendU16(n); out.appendU16(0)
        case .data(let d), .unknown(_, let d), .messageIntegrity(let d):
            out.append(contentsOf: d)
        case .fingerprint(let v):
            out.appendU32(v)
        }
        let length = out.count - start
        out.setU16(UInt16(truncatingIfNeeded: length), at: lengthAt)
        for _ in 0..<((4 - length % 4) % 4) { out.append(0) }
    }
}
