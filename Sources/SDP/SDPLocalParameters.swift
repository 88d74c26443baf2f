/// What our side puts into an offer or answer: transport credentials and our media identity.
public struct SDPLocalParameters: Hashable, Sendable {
    public var iceUfrag: String
    public var icePwd: String
    /// Our DTLS certificate's fingerprint (RFC 8122), e.g. `SDPFingerprint("sha-256 AB:CD:...")`.
    public var fingerprint: SDPFingerprint
    public var audioSSRC: UInt32
    public var videoSSRC: UInt32
    /// Our RTX stream for video (RFC 4588), announced with `a=ssrc-group:FID` wherever rtx is
    /// offered or answered; nil: none (resends go on the media SSRC).
    public var videoRTXSSRC: UInt32?
    /// Whether video FEC (RED + ULPFEC) is offered, and answered when offered.
    public var videoFEC = true
    /// RTCP CNAME (RFC 7022), the same for both streams.
    public var cname: String
    public var streamID: String
    public var audioTrackID: String
    public var videoTrackID: String
    /// What we want to do with each medium; the answer narrows it to what the offer allows.
    public var audioDirection: SDPDirection
    public var videoDirection: SDPDirection
    /// Candidates to include, as `candidate:...` strings or bare attribute values.
    public var candidates: [String]
    /// Whether gathering is complete (`a=end-of-candidates`, RFC 8840 §4.1).
    public var endOfCandidates: Bool
    /// Whether we announce `a=ice-options:trickle` (RFC 8840 §4.1.1).
    public var trickle: Bool

    public init(iceUfrag: String, icePwd: String, fingerprint: SDPFingerprint,
                audioSSRC: UInt32, videoSSRC: UInt32, cname: String,
                streamID: String, audioTrackID: String, videoTrackID: String,
                audioDirection: SDPDirection = .sendrecv, videoDirection: SDPDirection = .sendrecv,
                candidates: [String] = [], endOfCandidates: Bool = false, trickle: Bool = true,
                videoRTXSSRC: UInt32? = nil) {
        self.videoRTXSSRC = videoRTXSSRC
        self.iceUfrag = iceUfrag
        self.icePwd = icePwd
        self.fingerprint = fingerprint
        self.audioSSRC = audioSSRC
        self.videoSSRC = videoSSRC
        self.cname = cname
        self.streamID = streamID
        self.audioTrackID = audioTrackID
        self.videoTrackID = videoTrackID
        self.audioDirection = audioDirection
        self.videoDirection = videoDirection
        self.candidates = candidates
        self.endOfCandidates = endOfCandidates
        self.trickle = trickle
    }

    /// The candidates as `a=candidate:` values (prefixes stripped, blanks dropped).
    var candidateValues: [String] {
        candidates.compactMap { c in
            var s = Substring(c)
            if s.hasPrefix("a=") { s = s.dropFirst(2) }
            if s.hasPrefix("candidate:") { s = s.dropFirst("candidate:".count) }
            return s.isEmpty ? nil : String(s)
        }
    }
}
