/// The result of offer/answer that the call engine runs on: one flat value.
public struct NegotiatedSession: Hashable, Sendable {
    public enum DTLSRole: String, Hashable, Sendable { case client, server }

    public var remoteICEUfrag: String
    public var remoteICEPwd: String
    /// The peer's certificate fingerprint (the sha-256 one when several are given).
    public var remoteFingerprint: SDPFingerprint
    /// Our DTLS role (RFC 5763 §5): the client sends the ClientHello.
    public var dtlsRole: DTLSRole
    /// The BUNDLE transport's m-section (RFC 8843 §7: the first mid of the answer's group).
    public var bundleMid: String
    public var bundleMLineIndex: Int
    /// The peer's `a=candidate:` values from the BUNDLE m-section (no `candidate:` prefix).
    public var remoteCandidates: [String]
    public var remoteEndOfCandidates: Bool
    public var remoteTrickle: Bool
    public var remoteICELite: Bool
    public var audio: NegotiatedMedia?
    public var video: NegotiatedMedia?
}

/// RTCP feedback both sides agreed on for the chosen payload type (RFC 4585 §4.2).
public struct SDPFeedbackSet: OptionSet, Hashable, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let nack = SDPFeedbackSet(rawValue: 1 << 0)
    public static let pli = SDPFeedbackSet(rawValue: 1 << 1)
    public static let fir = SDPFeedbackSet(rawValue: 1 << 2)
    public static let remb = SDPFeedbackSet(rawValue: 1 << 3)
    public static let transportCC = SDPFeedbackSet(rawValue: 1 << 4)

    init(_ feedback: [SDPRtcpFeedback]) {
        var set: SDPFeedbackSet = []
        for f in feedback {
            switch (f.type.lowercased(), f.parameter?.lowercased()) {
            case ("nack", nil): set.insert(.nack)
            case ("nack", "pli"): set.insert(.pli)
            case ("ccm", "fir"): set.insert(.fir)
            case ("goog-remb", nil): set.insert(.remb)
            case ("transport-cc", nil): set.insert(.transportCC)
            default: break
            }
        }
        self = set
    }
}

/// An SSRC and the RTX SSRC paired with it by `a=ssrc-group:FID` (RFC 5576 §4.2, RFC 4588).
public struct SDPFIDPair: Hashable, Sendable {
    public var primary: UInt32
    public var retransmission: UInt32
}

public struct NegotiatedMedia: Hashable, Sendable {
    public var mid: String
    public var mLineIndex: Int
    public var payloadType: UInt8
    /// As written in the rtpmap, e.g. `opus`, `VP8`.
    public var codec: String
    public var clockRate: UInt32
    public var channels: UInt16
    /// The peer's `a=fmtp` parameters for the payload type (e.g. Opus `useinbandfec=1`).
    public var remoteFormatParameters: String?
    /// Every SSRC the peer signalled for this m-section, in order (media and RTX).
    public var remoteSSRCs: [UInt32]
    public var remoteFIDPairs: [SDPFIDPair]
    public var remoteCname: String?
    public var remoteMsid: SDPMsid?
    public var feedback: SDPFeedbackSet
    /// RFC 8843 §15.1 MID header extension id, if both sides listed it.
    public var midExtensionID: UInt16?
    public var absSendTimeExtensionID: UInt16?
    /// The transport-wide sequence number's id, if both sides listed it.
    public var transportCCExtensionID: UInt16? = nil
    /// The RTX payload type (RFC 4588) paired with `payloadType` by `apt=`, if both sides
    /// listed it: the peer resends (and probes) on its RTX stream with it.
    public var rtxPayloadType: UInt8? = nil
    /// The RED payload type (RFC 2198) carrying only `payloadType`, if both sides listed it:
    /// audio may come as RED packets, and goes as RED while the peer reports loss.
    public var redPayloadType: UInt8? = nil
    /// Video: ULPFEC (`ulpfec/90000`, RFC 5109) inside `redPayloadType` (`red/90000`), both
    /// listed by both sides: video then comes as RED, VP8 or parity.
    public var ulpfecPayloadType: UInt8? = nil
    /// Video: the RTX payload type whose `apt=` is `redPayloadType` (resends of RED packets).
    public var redRTXPayloadType: UInt8? = nil
    /// Our direction for this medium after offer/answer.
    public var direction: SDPDirection

    /// The peer's media SSRCs: those that are not the RTX half of a FID pair.
    public var remotePrimarySSRCs: [UInt32] {
        let repair = Set(remoteFIDPairs.map(\.retransmission))
        return remoteSSRCs.filter { !repair.contains($0) }
    }
}
