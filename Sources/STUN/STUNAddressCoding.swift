import SessionCore

/// (XOR-)MAPPED-ADDRESS value coding (RFC 8489 §14.1, §14.2): family, port, address; the XOR
/// form masks the port with the cookie's top half and the address with cookie ‖ transaction ID.
enum STUNAddressCoding {
    static let cookie: UInt32 = 0x2112_A442

    static func decode(_ value: UnsafeRawBufferPointer, xor: Bool, transactionID: STUNTransactionID,
                       type: UInt16) throws(STUNError) -> TransportAddress {
        var r = ByteReader(value)
        guard r.skip(1), let family = r.u8(), var port = r.u16() else {
            throw .malformedAttribute(type: type)
        }
        if xor { port ^= UInt16(truncatingIfNeeded: cookie >> 16) }
        switch (family, value.count) {
        case (0x01, 8):
            guard var a = r.u32() else { throw .malformedAttribute(type: type) }
            if xor { a ^= cookie }
            return TransportAddress(ip: .v4(a), port: port)
        case (0x02, 20):
            guard var hi = r.u64(), var lo = r.u64() else { throw .malformedAttribute(type: type) }
            if xor {
                hi ^= UInt64(cookie) << 32 | UInt64(transactionID.high)
                lo ^= transactionID.low
            }
            return TransportAddress(ip: .v6(hi, lo), port: port)
        default:
            throw .malformedAttribute(type: type)
        }
    }

    static func encode(_ address: TransportAddress, xor: Bool, transactionID: STUNTransactionID,
                       into out: inout [UInt8]) {
        let port = xor ? address.port ^ UInt16(truncatingIfNeeded: cookie >> 16) : address.port
        switch address.ip {
        case .v4(let a):
            out.append(0); out.append(0x01); out.appendU16(port)
            out.appendU32(xor ? a ^ cookie : a)
        case .v6(let hi, let lo):
            out.append(0); out.append(0x02); out.appendU16(port)
            out.appendU64(xor ? hi ^ (UInt64(cookie) << 32 | UInt64(transactionID.high)) : hi)
            out.appendU64(xor ? lo ^ transactionID.low : lo)
        }
    }

    static func encodedLength(_ address: TransportAddress) -> Int { address.isIPv4 ? 8 : 20 }
}
