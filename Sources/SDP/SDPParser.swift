extension SessionDescription {
    /// Parses browser SDP. Accepts CRLF or bare LF line endings and skips blank lines.
    /// Never traps: every problem is an `SDPError.parse` naming the 1-based line.
    public static func parse(_ text: String) throws(SDPError) -> SessionDescription {
        var parser = SDPParser()
        return try parser.parse(Array(text.utf8))
    }
}

/// Line-by-line reader for RFC 8866 §5 text. Session lines come first (v, o, s in that order,
/// then the rest), then media sections, each opened by `m=`.
struct SDPParser {
    private var session = SessionDescription()
    private var current: MediaDescription?
    private var lineNumber = 0
    private var seenOrigin = false
    private var seenName = false
    private var seenTiming = false
    private var sessionSingles: Set<String> = []
    private var mediaSingles: Set<String> = []

    mutating func parse(_ bytes: [UInt8]) throws(SDPError) -> SessionDescription {
        var sawVersion = false
        for raw in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            var line = raw
            while let last = line.last, last == UInt8(ascii: "\r") || last == 0x20 || last == 0x09 {
                line = line.dropLast()
            }
            if line.isEmpty { continue }
            guard line.count >= 2, line[line.startIndex + 1] == UInt8(ascii: "="),
                  let type = line.first, type >= UInt8(ascii: "a"), type <= UInt8(ascii: "z") else {
                throw fail(.malformedLine)
            }
            let value = line.dropFirst(2)
            let letter = String(UnicodeScalar(type))
            if !sawVersion {
                guard type == UInt8(ascii: "v") else { throw fail(.expectedLine("v")) }
                guard value.elementsEqual("0".utf8) else { throw fail(.unsupportedVersion) }
                sawVersion = true
                continue
            }
            if !seenOrigin {
                guard type == UInt8(ascii: "o") else { throw fail(.expectedLine("o")) }
                try parseOrigin(value)
                continue
            }
            if !seenName {
                guard type == UInt8(ascii: "s") else { throw fail(.expectedLine("s")) }
                session.sessionName = SDPValueParser.string(value)
                seenName = true
                continue
            }
            switch letter {
            case "m":
                try finishMedia()
                try parseMediaLine(value)
            case "a":
                if current != nil { try mediaAttribute(value) } else { try sessionAttribute(value) }
            case "c":
                guard let c = Self.connection(value) else { throw fail(.invalidConnection) }
                if current != nil {
                    guard current?.connection == nil else { throw fail(.duplicateLine("c")) }
                    current?.connection = c
                } else {
                    guard session.connection == nil else { throw fail(.duplicateLine("c")) }
                    session.connection = c
                }
            case "b":
                guard let b = Self.bandwidth(value) else { throw fail(.invalidBandwidth) }
                if current != nil { current?.bandwidths.append(b) } else { session.bandwidths.append(b) }
            case "i", "k":
                let other = SDPOtherLine(type: letter, value: SDPValueParser.string(value))
                if current != nil { current?.otherLines.append(other) } else { session.otherLines.append(other) }
            case "t":
                guard current == nil else { throw fail(.misplacedLine("t")) }
                guard !seenTiming else { throw fail(.duplicateLine("t")) }
                let f = SDPValueParser.fields(value)
                guard f.count == 2, let start = SDPValueParser.number(f[0], as: UInt64.self),
                      let stop = SDPValueParser.number(f[1], as: UInt64.self) else { throw fail(.invalidTiming) }
                session.timing = SDPTiming(start: start, stop: stop)
                seenTiming = true
            case "u", "e", "p", "r", "z":
                guard current == nil else { throw fail(.misplacedLine(letter)) }
                session.otherLines.append(SDPOtherLine(type: letter, value: SDPValueParser.string(value)))
            case "v", "o", "s":
                throw fail(.misplacedLine(letter))
            default:
                throw fail(.unknownLineType(letter))
            }
        }
        guard sawVersion else { throw SDPError.parse(line: max(lineNumber, 1), problem: .empty) }
        guard seenOrigin else { throw SDPError.parse(line: lineNumber, problem: .missingLine("o")) }
        guard seenName else { throw SDPError.parse(line: lineNumber, problem: .missingLine("s")) }
        try finishMedia()
        guard seenTiming else { throw SDPError.parse(line: lineNumber, problem: .missingLine("t")) }
        session.otherLines = Self.stableSorted(session.otherLines) { ["i", "u", "e", "p"].contains($0.type) ? 0 : 1 }
        return session
    }

    private func fail(_ problem: SDPParseProblem) -> SDPError {
        .parse(line: lineNumber, problem: problem)
    }

    private mutating func finishMedia() throws(SDPError) {
        if var m = current {
            current = nil
            Self.canonicalize(&m)
            session.media.append(m)
            current = nil
        } else if !seenTiming {
            // First m= line: t= must already have been seen (RFC 8866 §5).
            throw SDPError.parse(line: lineNumber, problem: .missingLine("t"))
        }
    }

    /// Puts codec attributes in m-line order and `i=` before `k=`, the order `serialized()`
    /// writes, so that parsing what we wrote gives back an equal value.
    static func canonicalize(_ m: inout MediaDescription) {
        var position: [UInt8: Int] = [:]
        for (i, pt) in m.payloadTypes.enumerated() where position[pt] == nil { position[pt] = i }
        let unlisted = Int.max
        m.rtpmaps = stableSorted(m.rtpmaps) { position[$0.payloadType] ?? unlisted }
        m.fmtps = stableSorted(m.fmtps) { position[$0.payloadType] ?? unlisted }
        m.rtcpFeedbacks = stableSorted(m.rtcpFeedbacks) { f in f.payloadType.map { position[$0] ?? unlisted } ?? -1 }
        m.otherLines = stableSorted(m.otherLines) { $0.type == "i" ? 0 : 1 }
    }

    static func stableSorted<T>(_ items: [T], by key: (T) -> Int) -> [T] {
        items.enumerated()
            .map { (key: key($0.element), index: $0.offset, element: $0.element) }
            .sorted { ($0.key, $0.index) < ($1.key, $1.index) }
            .map(\.element)
    }

    // MARK: Lines

    private mutating func parseOrigin(_ value: ArraySlice<UInt8>) throws(SDPError) {
        let f = SDPValueParser.fields(value)
        guard f.count == 6, let id = SDPValueParser.number(f[1], as: UInt64.self),
              let version = SDPValueParser.number(f[2], as: UInt64.self) else { throw fail(.invalidOrigin) }
        let s = SDPValueParser.string
        session.origin = SDPOrigin(username: s(f[0]), sessionID: id, sessionVersion: version,
                                   netType: s(f[3]), addrType: s(f[4]), address: s(f[5]))
        seenOrigin = true
    }

    static func connection(_ value: ArraySlice<UInt8>) -> SDPConnection? {
        let f = SDPValueParser.fields(value)
        guard f.count == 3 else { return nil }
        let s = SDPValueParser.string
        return SDPConnection(netType: s(f[0]), addrType: s(f[1]), address: s(f[2]))
    }

    static func bandwidth(_ value: ArraySlice<UInt8>) -> SDPBandwidth? {
        let (type, rest) = SDPValueParser.splitFirst(value, at: SDPValueParser.colon)
        guard !type.isEmpty, !type.contains(SDPValueParser.space), let rest,
              let v = SDPValueParser.number(rest, as: UInt64.self) else { return nil }
        return SDPBandwidth(type: SDPValueParser.string(type), value: v)
    }

    /// RFC 8866 §5.14: `m=<media> <port>[/<number of ports>] <proto> <fmt> ...`.
    private mutating func parseMediaLine(_ value: ArraySlice<UInt8>) throws(SDPError) {
        let f = SDPValueParser.fields(value)
        guard f.count >= 4 else { throw fail(.invalidMediaLine) }
        let (portText, countText) = SDPValueParser.splitFirst(f[1], at: SDPValueParser.slash)
        guard let port = SDPValueParser.number(portText, as: UInt16.self) else { throw fail(.invalidMediaLine) }
        var count: UInt16?
        if let countText {
            guard let c = SDPValueParser.number(countText, as: UInt16.self) else { throw fail(.invalidMediaLine) }
            count = c
        }
        let proto = SDPValueParser.string(f[2])
        let formats = f[3...].map(SDPValueParser.string)
        if proto.contains("RTP/") {
            for fmt in f[3...] where SDPValueParser.payloadType(fmt) == nil { throw fail(.invalidMediaLine) }
        }
        var m = MediaDescription(kind: SDPMediaKind(token: SDPValueParser.string(f[0])), port: port,
                                 proto: proto, formats: formats)
        m.portCount = count
        current = m
        mediaSingles = []
    }

    // MARK: Attributes

    /// Splits `name[:value]`.
    private func attribute(_ text: ArraySlice<UInt8>) -> (String, ArraySlice<UInt8>?) {
        let (name, value) = SDPValueParser.splitFirst(text, at: SDPValueParser.colon)
        return (SDPValueParser.string(name), value)
    }

    private func required(_ value: ArraySlice<UInt8>?, _ name: String) throws(SDPError) -> ArraySlice<UInt8> {
        guard let value else { throw fail(.invalidAttribute(name)) }
        return value
    }

    private func parsed<T>(_ v: T?, _ name: String) throws(SDPError) -> T {
        guard let v else { throw fail(.invalidAttribute(name)) }
        return v
    }

    /// Records a single-valued attribute; a second one at the same level is an error.
    private mutating func single(_ name: String, media: Bool) throws(SDPError) {
        let inserted = media ? mediaSingles.insert(name).inserted : sessionSingles.insert(name).inserted
        guard inserted else { throw fail(.duplicateAttribute(name)) }
    }

    private mutating func sessionAttribute(_ text: ArraySlice<UInt8>) throws(SDPError) {
        let (name, value) = attribute(text)
        let P = SDPValueParser.self
        switch name {
        case "group":
            session.groups.append(try parsed(P.group(try required(value, name)), name))
        case "msid-semantic":
            try single(name, media: false)
            session.msidSemantic = try parsed(P.msidSemantic(try required(value, name)), name)
        case "extmap-allow-mixed":
            session.extmapAllowMixed = true
        case "ice-lite":
            session.iceLite = true
        case "ice-ufrag":
            try single(name, media: false)
            session.iceUfrag = try parsed(P.token(try required(value, name)), name)
        case "ice-pwd":
            try single(name, media: false)
            session.icePwd = try parsed(P.token(try required(value, name)), name)
        case "ice-options":
            session.iceOptions += P.fields(try required(value, name)).map(P.string)
        case "fingerprint":
            session.fingerprints.append(try parsed(P.fingerprint(try required(value, name)), name))
        case "setup":
            try single(name, media: false)
            session.setup = try parsed(SDPSetup(rawValue: P.string(try required(value, name))), name)
        case "sendrecv", "sendonly", "recvonly", "inactive":
            try single("direction", media: false)
            session.direction = SDPDirection(rawValue: name)
        case "extmap":
            session.extmaps.append(try parsed(P.extmap(try required(value, name)), name))
        default:
            session.otherAttributes.append(SDPAttribute(name: name, value: value.map(P.string)))
        }
    }

    private mutating func mediaAttribute(_ text: ArraySlice<UInt8>) throws(SDPError) {
        // Taken out while edited so appends do not copy the arrays (copy-on-write).
        guard var m = current else { return }
        current = nil
        let (name, value) = attribute(text)
        let P = SDPValueParser.self
        switch name {
        case "rtcp":
            try single(name, media: true)
            m.rtcp = P.string(try required(value, name))
        case "candidate":
            m.candidates.append(P.string(try required(value, name)))
        case "end-of-candidates":
            m.endOfCandidates = true
        case "ice-ufrag":
            try single(name, media: true)
            m.iceUfrag = try parsed(P.token(try required(value, name)), name)
        case "ice-pwd":
            try single(name, media: true)
            m.icePwd = try parsed(P.token(try required(value, name)), name)
        case "ice-options":
            m.iceOptions += P.fields(try required(value, name)).map(P.string)
        case "fingerprint":
            m.fingerprints.append(try parsed(P.fingerprint(try required(value, name)), name))
        case "setup":
            try single(name, media: true)
            m.setup = try parsed(SDPSetup(rawValue: P.string(try required(value, name))), name)
        case "mid":
            try single(name, media: true)
            m.mid = try parsed(P.token(try required(value, name)), name)
        case "extmap":
            m.extmaps.append(try parsed(P.extmap(try required(value, name)), name))
        case "extmap-allow-mixed":
            m.extmapAllowMixed = true
        case "sendrecv", "sendonly", "recvonly", "inactive":
            try single("direction", media: true)
            m.direction = SDPDirection(rawValue: name)
        case "msid":
            m.msids.append(try parsed(P.msid(try required(value, name)), name))
        case "rtcp-mux":
            m.rtcpMux = true
        case "rtcp-rsize":
            m.rtcpRsize = true
        case "rtpmap":
            let map = try parsed(P.rtpmap(try required(value, name)), name)
            guard m.rtpmap(for: map.payloadType) == nil else { throw fail(.duplicateAttribute(name)) }
            m.rtpmaps.append(map)
        case "fmtp":
            m.fmtps.append(try parsed(P.fmtp(try required(value, name)), name))
        case "rtcp-fb":
            m.rtcpFeedbacks.append(try parsed(P.rtcpFeedback(try required(value, name)), name))
        case "ssrc":
            m.ssrcs.append(try parsed(P.ssrc(try required(value, name)), name))
        case "ssrc-group":
            m.ssrcGroups.append(try parsed(P.ssrcGroup(try required(value, name)), name))
        default:
            m.otherAttributes.append(SDPAttribute(name: name, value: value.map(P.string)))
        }
        current = m
    }
}
