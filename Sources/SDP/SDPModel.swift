/// A parsed session description (RFC 8866) with the attributes WebRTC (RFC 8829, JSEP) uses
/// given types; anything else is kept in `otherAttributes` / `otherLines` so it round-trips.
public struct SessionDescription: Hashable, Sendable {
    public var origin: SDPOrigin
    public var sessionName: String
    public var connection: SDPConnection?
    public var bandwidths: [SDPBandwidth]
    public var timing: SDPTiming
    /// `i=`, `u=`, `e=`, `p=`, `r=`, `z=`, `k=` lines, in order.
    public var otherLines: [SDPOtherLine]

    public var groups: [SDPGroup]
    public var msidSemantic: SDPMsidSemantic?
    public var extmapAllowMixed: Bool
    public var iceLite: Bool
    public var iceUfrag: String?
    public var icePwd: String?
    public var iceOptions: [String]
    public var fingerprints: [SDPFingerprint]
    public var setup: SDPSetup?
    /// Session-level default direction for media sections that carry none.
    public var direction: SDPDirection?
    public var extmaps: [SDPExtmap]
    public var otherAttributes: [SDPAttribute]

    public var media: [MediaDescription]

    public init(origin: SDPOrigin = SDPOrigin(sessionID: 0, sessionVersion: 0), sessionName: String = "-") {
        self.origin = origin
        self.sessionName = sessionName
        self.connection = nil
        self.bandwidths = []
        self.timing = SDPTiming()
        self.otherLines = []
        self.groups = []
        self.msidSemantic = nil
        self.extmapAllowMixed = false
        self.iceLite = false
        self.iceUfrag = nil
        self.icePwd = nil
        self.iceOptions = []
        self.fingerprints = []
        self.setup = nil
        self.direction = nil
        self.extmaps = []
        self.otherAttributes = []
        self.media = []
    }

    /// The first `a=group:BUNDLE`, if any.
    public var bundleGroup: SDPGroup? { groups.first { $0.semantics.uppercased() == "BUNDLE" } }
}

/// One `m=` section and its attributes.
public struct MediaDescription: Hashable, Sendable {
    public var kind: SDPMediaKind
    /// 0 means rejected (RFC 3264 §6) unless `a=bundle-only` is present (RFC 8843 §6).
    public var port: UInt16
    public var portCount: UInt16?
    public var proto: String
    /// The m-line's format tokens: payload type numbers for RTP, e.g. `webrtc-datachannel`
    /// for SCTP.
    public var formats: [String]
    /// `i=` and `k=` lines, in order.
    public var otherLines: [SDPOtherLine]
    public var connection: SDPConnection?
    public var bandwidths: [SDPBandwidth]

    /// `a=rtcp:` value, verbatim (unused with rtcp-mux, but browsers send it).
    public var rtcp: String?
    /// `a=candidate:` values verbatim (without the `candidate:` prefix); the ICE module parses them.
    public var candidates: [String]
    public var endOfCandidates: Bool
    public var iceUfrag: String?
    public var icePwd: String?
    public var iceOptions: [String]
    public var fingerprints: [SDPFingerprint]
    public var setup: SDPSetup?
    public var mid: String?
    public var extmaps: [SDPExtmap]
    public var extmapAllowMixed: Bool
    public var direction: SDPDirection?
    public var msids: [SDPMsid]
    public var rtcpMux: Bool
    public var rtcpRsize: Bool
    public var rtpmaps: [SDPRtpMap]
    public var fmtps: [SDPFmtp]
    public var rtcpFeedbacks: [SDPRtcpFeedback]
    public var ssrcGroups: [SDPSSRCGroup]
    public var ssrcs: [SDPSSRCAttribute]
    public var otherAttributes: [SDPAttribute]

    public init(kind: SDPMediaKind, port: UInt16, proto: String, formats: [String]) {
        self.kind = kind
        self.port = port
        self.portCount = nil
        self.proto = proto
        self.formats = formats
        self.otherLines = []
        self.connection = nil
        self.bandwidths = []
        self.rtcp = nil
        self.candidates = []
        self.endOfCandidates = false
        self.iceUfrag = nil
        self.icePwd = nil
        self.iceOptions = []
        self.fingerprints = []
        self.setup = nil
        self.mid = nil
        self.extmaps = []
        self.extmapAllowMixed = false
        self.direction = nil
        self.msids = []
        self.rtcpMux = false
        self.rtcpRsize = false
        self.rtpmaps = []
        self.fmtps = []
        self.rtcpFeedbacks = []
        self.ssrcGroups = []
        self.ssrcs = []
        self.otherAttributes = []
    }

    /// The m-line formats that are RTP payload type numbers, in order.
    public var payloadTypes: [UInt8] { formats.compactMap { SDPValueParser.payloadType(Array($0.utf8)[...]) } }

    /// Whether the section carries `a=<name>` among the attributes we keep verbatim.
    public func hasAttribute(_ name: String) -> Bool { otherAttributes.contains { $0.name == name } }

    /// Port 0 without `a=bundle-only` (RFC 8843 §6) is a rejected or disabled section.
    public var isRejected: Bool { port == 0 && !hasAttribute("bundle-only") }

    public func rtpmap(for pt: UInt8) -> SDPRtpMap? { rtpmaps.first { $0.payloadType == pt } }
    public func fmtp(for pt: UInt8) -> SDPFmtp? { fmtps.first { $0.payloadType == pt } }
    /// Feedback that applies to `pt`, including `*` entries (RFC 4585 §4.2).
    public func rtcpFeedbacks(for pt: UInt8) -> [SDPRtcpFeedback] {
        rtcpFeedbacks.filter { $0.payloadType == nil || $0.payloadType == pt }
    }
    /// The distinct SSRCs named by `a=ssrc` lines, in first-seen order.
    public var ssrcList: [UInt32] {
        var seen: [UInt32] = []
        for s in ssrcs where !seen.contains(s.ssrc) { seen.append(s.ssrc) }
        return seen
    }
}
