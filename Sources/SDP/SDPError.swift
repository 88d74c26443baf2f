/// What is wrong with one line of a session description (see `SDPError.parse`).
public enum SDPParseProblem: Equatable, Sendable {
    /// The text holds no line at all.
    case empty
    /// The line is not `<letter>=<value>` (RFC 8866 §5).
    case malformedLine
    /// A type letter RFC 8866 does not define.
    case unknownLineType(String)
    /// `v=`, `o=` and `s=` must open the description in that order (RFC 8866 §5).
    case expectedLine(String)
    /// A line type that is not allowed where it stands (e.g. `t=` inside a media section).
    case misplacedLine(String)
    /// A line type that may appear once per level appeared twice.
    case duplicateLine(String)
    /// A required line (`t=`) never came; the line number is where it was due.
    case missingLine(String)
    case unsupportedVersion
    case invalidOrigin
    case invalidConnection
    case invalidBandwidth
    case invalidTiming
    case invalidMediaLine
    /// A known attribute whose value does not follow its grammar; carries the attribute name.
    case invalidAttribute(String)
    /// A single-valued attribute (`mid`, `ice-ufrag`, `setup`, a direction…) given twice.
    case duplicateAttribute(String)
}

/// Everything SDP parsing and offer/answer negotiation can reject. Parse errors name the
/// 1-based line; negotiation errors name the media section (`mid`) when there is one.
public enum SDPError: Error, Equatable, Sendable, CustomStringConvertible {
    case parse(line: Int, problem: SDPParseProblem)
    /// No `a=group:BUNDLE`, or an accepted m-section outside it (we only speak max-bundle).
    case missingBundle
    /// An m-section we would accept has no `a=mid` (RFC 8843 needs one to bundle it).
    case missingMid(mLineIndex: Int)
    case missingICECredentials(mid: String)
    case missingFingerprint(mid: String)
    case missingRTCPMux(mid: String)
    /// Nothing we can send or receive (Opus, VP8) was offered or answered.
    case noCommonCodec(mid: String?)
    /// `a=setup` values that give no DTLS role (RFC 4145 §4.1, RFC 5763 §5).
    case setupConflict(offer: SDPSetup?, answer: SDPSetup?)
    /// The answer's m-sections do not mirror the offer's (RFC 3264 §6).
    case mediaMismatch(mLineIndex: Int)

    /// The offending line for parse errors, nil for negotiation errors.
    public var line: Int? {
        if case .parse(let line, _) = self { return line }
        return nil
    }

    public var description: String {
        switch self {
        case .parse(let line, let problem): return "SDP line \(line): \(problem)"
        case .missingBundle: return "SDP: no BUNDLE group covering the media"
        case .missingMid(let i): return "SDP: m-section \(i) has no a=mid"
        case .missingICECredentials(let mid): return "SDP: no ice-ufrag/ice-pwd for mid \(mid)"
        case .missingFingerprint(let mid): return "SDP: no DTLS fingerprint for mid \(mid)"
        case .missingRTCPMux(let mid): return "SDP: no rtcp-mux for mid \(mid)"
        case .noCommonCodec(let mid): return "SDP: no common codec\(mid.map { " for mid \($0)" } ?? "")"
        case .setupConflict(let o, let a):
            return "SDP: a=setup offer \(o?.rawValue ?? "-") / answer \(a?.rawValue ?? "-") gives no DTLS role"
        case .mediaMismatch(let i): return "SDP: answer m-section \(i) does not match the offer"
        }
    }
}
