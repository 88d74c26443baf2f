/// Grammar of single SDP values, on UTF-8 bytes. Splitting only ever happens at ASCII bytes,
/// which never occur inside a multi-byte UTF-8 sequence, so every piece decodes cleanly.
/// Every function returns nil on malformed input; none traps.
enum SDPValueParser {
    static let space = UInt8(ascii: " ")
    static let colon = UInt8(ascii: ":")
    static let slash = UInt8(ascii: "/")

    static func string(_ b: ArraySlice<UInt8>) -> String { String(decoding: b, as: UTF8.self) }

    /// Space-separated tokens; runs of spaces count as one separator.
    static func fields(_ b: ArraySlice<UInt8>) -> [ArraySlice<UInt8>] {
        b.split(separator: space)
    }

    /// Splits at the first `byte`: (before, after) or (all, nil).
    static func splitFirst(_ b: ArraySlice<UInt8>, at byte: UInt8) -> (ArraySlice<UInt8>, ArraySlice<UInt8>?) {
        guard let i = b.firstIndex(of: byte) else { return (b, nil) }
        return (b[b.startIndex..<i], b[b.index(after: i)...])
    }

    /// Decimal digits only, nil on overflow or any other byte.
    static func number<T: FixedWidthInteger & UnsignedInteger>(_ b: ArraySlice<UInt8>, as: T.Type = T.self) -> T? {
        guard !b.isEmpty else { return nil }
        var v: T = 0
        for c in b {
            guard c >= 0x30, c <= 0x39 else { return nil }
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(T(c - 0x30))
            guard !o1, !o2 else { return nil }
            v = s
        }
        return v
    }

    /// An RTP payload type, 0...127 (RFC 3550 §5.1: 7 bits).
    static func payloadType(_ b: ArraySlice<UInt8>) -> UInt8? {
        guard let v = number(b, as: UInt8.self), v <= 127 else { return nil }
        return v
    }

    static func hexNibble(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x41...0x46: return c - 0x41 + 10
        case 0x61...0x66: return c - 0x61 + 10
        default: return nil
        }
    }

    // MARK: Attribute values

    /// RFC 8122 §5: `hash-func SP fingerprint`, fingerprint = 2HEX *(":" 2HEX).
    static func fingerprint(_ b: ArraySlice<UInt8>) -> SDPFingerprint? {
        let f = fields(b)
        guard f.count == 2, !f[0].isEmpty else { return nil }
        var bytes: [UInt8] = []
        for pair in f[1].split(separator: colon, omittingEmptySubsequences: false) {
            guard pair.count == 2, let hi = hexNibble(pair[pair.startIndex]),
                  let lo = hexNibble(pair[pair.startIndex + 1]) else { return nil }
            bytes.append(hi << 4 | lo)
        }
        guard !bytes.isEmpty, bytes.count <= 64 else { return nil }
        return SDPFingerprint(algorithm: string(f[0]), bytes: bytes)
    }

    static func rtpmap(_ b: ArraySlice<UInt8>) -> SDPRtpMap? {
        let f = fields(b)
        guard f.count == 2, let pt = payloadType(f[0]) else { return nil }
        let parts = f[1].split(separator: slash, omittingEmptySubsequences: false)
        guard parts.count == 2 || parts.count == 3, !parts[0].isEmpty,
              let clock = number(parts[1], as: UInt32.self) else { return nil }
        var channels: UInt16?
        if parts.count == 3 {
            guard let c = number(parts[2], as: UInt16.self) else { return nil }
            channels = c
        }
        return SDPRtpMap(payloadType: pt, encodingName: string(parts[0]), clockRate: clock, channels: channels)
    }

    static func fmtp(_ b: ArraySlice<UInt8>) -> SDPFmtp? {
        let (ptText, rest) = splitFirst(b, at: space)
        guard let pt = payloadType(ptText) else { return nil }
        let params = (rest ?? [])
        let trimmed = params.drop { $0 == space }
        return SDPFmtp(payloadType: pt, parameters: string(trimmed))
    }

    static func rtcpFeedback(_ b: ArraySlice<UInt8>) -> SDPRtcpFeedback? {
        let f = fields(b)
        guard f.count >= 2 else { return nil }
        var pt: UInt8?
        if f[0].elementsEqual("*".utf8) {
            pt = nil
        } else {
            guard let p = payloadType(f[0]) else { return nil }
            pt = p
        }
        let parameter = f.count > 2 ? f[2...].map(string).joined(separator: " ") : nil
        return SDPRtcpFeedback(payloadType: pt, type: string(f[1]), parameter: parameter)
    }

    static func extmap(_ b: ArraySlice<UInt8>) -> SDPExtmap? {
        let f = fields(b)
        guard f.count >= 2 else { return nil }
        let (idText, dirText) = splitFirst(f[0], at: slash)
        // RFC 8285 §5: 1-14 (one-byte), up to 255 (two-byte); 4096-4351 for negotiation.
        guard let id = number(idText, as: UInt16.self), id >= 1, id <= 4351 else { return nil }
        var direction: SDPDirection?
        if let dirText {
            guard let d = SDPDirection(rawValue: string(dirText)) else { return nil }
            direction = d
        }
        let attributes = f.count > 2 ? f[2...].map(string).joined(separator: " ") : nil
        return SDPExtmap(id: id, direction: direction, uri: string(f[1]), attributes: attributes)
    }

    static func group(_ b: ArraySlice<UInt8>) -> SDPGroup? {
        let f = fields(b)
        guard let first = f.first else { return nil }
        return SDPGroup(semantics: string(first), mids: f.dropFirst().map(string))
    }

    static func msidSemantic(_ b: ArraySlice<UInt8>) -> SDPMsidSemantic? {
        let f = fields(b)
        guard let first = f.first else { return nil }
        return SDPMsidSemantic(semantics: string(first), identifiers: f.dropFirst().map(string))
    }

    static func msid(_ b: ArraySlice<UInt8>) -> SDPMsid? {
        let f = fields(b)
        guard f.count == 1 || f.count == 2 else { return nil }
        return SDPMsid(streamID: string(f[0]), trackID: f.count == 2 ? string(f[1]) : nil)
    }

    static func ssrc(_ b: ArraySlice<UInt8>) -> SDPSSRCAttribute? {
        let (idText, rest) = splitFirst(b, at: space)
        guard let ssrc = number(idText, as: UInt32.self), let rest else { return nil }
        let (name, value) = splitFirst(rest.drop { $0 == space }, at: colon)
        guard !name.isEmpty else { return nil }
        return SDPSSRCAttribute(ssrc: ssrc, name: string(name), value: value.map(string))
    }

    static func ssrcGroup(_ b: ArraySlice<UInt8>) -> SDPSSRCGroup? {
        let f = fields(b)
        guard let first = f.first else { return nil }
        var ssrcs: [UInt32] = []
        for s in f.dropFirst() {
            guard let v = number(s, as: UInt32.self) else { return nil }
            ssrcs.append(v)
        }
        return SDPSSRCGroup(semantics: string(first), ssrcs: ssrcs)
    }

    /// A non-empty token without spaces (mid, ice-ufrag, ice-pwd).
    static func token(_ b: ArraySlice<UInt8>) -> String? {
        guard !b.isEmpty, !b.contains(space) else { return nil }
        return string(b)
    }
}
