/// Small value types for SDP lines and attributes (RFC 8866, RFC 8829 and the RFCs cited).

public enum SDPMediaKind: Hashable, Sendable {
    case audio, video, application
    case other(String)

    public init(token: String) {
        switch token {
        case "audio": self = .audio
        case "video": self = .video
        case "application": self = .application
        default: self = .other(token)
        }
    }

    public var token: String {
        switch self {
        case .audio: return "audio"
        case .video: return "video"
        case .application: return "application"
        case .other(let t): return t
        }
    }
}

/// RFC 3264 §5.1 stream direction, from the point of view of the description that carries it.
public enum SDPDirection: String, Hashable, Sendable, CaseIterable {
    case sendrecv, sendonly, recvonly, inactive

    public init(sends: Bool, receives: Bool) {
        switch (sends, receives) {
        case (true, true): self = .sendrecv
        case (true, false): self = .sendonly
        case (false, true): self = .recvonly
        case (false, false): self = .inactive
        }
    }

    public var sends: Bool { self == .sendrecv || self == .sendonly }
    public var receives: Bool { self == .sendrecv || self == .recvonly }
    /// The same stream seen from the other end.
    public var reversed: SDPDirection { SDPDirection(sends: receives, receives: sends) }
}

/// RFC 4145 §4 `a=setup`.
public enum SDPSetup: String, Hashable, Sendable {
    case actpass, active, passive, holdconn
}

/// `o=` (RFC 8866 §5.2).
public struct SDPOrigin: Hashable, Sendable {
    public var username: String
    public var sessionID: UInt64
    public var sessionVersion: UInt64
    public var netType: String
    public var addrType: String
    public var address: String

    public init(username: String = "-", sessionID: UInt64, sessionVersion: UInt64,
                netType: String = "IN", addrType: String = "IP4", address: String = "127.0.0.1") {
        self.username = username
        self.sessionID = sessionID
        self.sessionVersion = sessionVersion
        self.netType = netType
        self.addrType = addrType
        self.address = address
    }
}

/// `c=` (RFC 8866 §5.7). The address is kept as text: it may carry a TTL or be a name.
public struct SDPConnection: Hashable, Sendable {
    public var netType: String
    public var addrType: String
    public var address: String

    public init(netType: String = "IN", addrType: String = "IP4", address: String = "0.0.0.0") {
        self.netType = netType
        self.addrType = addrType
        self.address = address
    }
}

/// `b=<type>:<value>` (RFC 8866 §5.8).
public struct SDPBandwidth: Hashable, Sendable {
    public var type: String
    public var value: UInt64
    public init(type: String, value: UInt64) { self.type = type; self.value = value }
}

/// `t=` (RFC 8866 §5.9).
public struct SDPTiming: Hashable, Sendable {
    public var start: UInt64
    public var stop: UInt64
    public init(start: UInt64 = 0, stop: UInt64 = 0) { self.start = start; self.stop = stop }
}

/// A line of a type we keep but do not interpret (`i=`, `u=`, `e=`, `p=`, `r=`, `z=`, `k=`).
public struct SDPOtherLine: Hashable, Sendable {
    public var type: String
    public var value: String
    public init(type: String, value: String) { self.type = type; self.value = value }
}

/// An attribute we do not interpret, kept verbatim so it survives a round trip.
public struct SDPAttribute: Hashable, Sendable {
    public var name: String
    public var value: String?
    public init(name: String, value: String? = nil) { self.name = name; self.value = value }
}

/// `a=group:<semantics> <mid>...` (RFC 5888 §5, BUNDLE: RFC 8843).
public struct SDPGroup: Hashable, Sendable {
    public var semantics: String
    public var mids: [String]
    public init(semantics: String, mids: [String]) { self.semantics = semantics; self.mids = mids }
}

/// `a=msid-semantic:` (the WebRTC "WMS" line browsers still emit).
public struct SDPMsidSemantic: Hashable, Sendable {
    public var semantics: String
    public var identifiers: [String]
    public init(semantics: String, identifiers: [String]) {
        self.semantics = semantics
        self.identifiers = identifiers
    }
}

/// `a=fingerprint:<hash> <hex>` (RFC 8122 §5). The algorithm is kept lower-case.
public struct SDPFingerprint: Hashable, Sendable {
    public var algorithm: String
    public var bytes: [UInt8]

    public init(algorithm: String, bytes: [UInt8]) {
        self.algorithm = algorithm.lowercased()
        self.bytes = bytes
    }

    /// Parses the attribute value, e.g. `sha-256 AB:CD:...`; nil if it is malformed.
    public init?(_ text: String) {
        guard let parsed = SDPValueParser.fingerprint(Array(text.utf8)[...]) else { return nil }
        self = parsed
    }

    /// Upper-case colon-separated hex, as browsers print it.
    public var hex: String {
        let digits: [Character] = Array("0123456789ABCDEF")
        var out = ""
        out.reserveCapacity(bytes.count * 3)
        for (i, b) in bytes.enumerated() {
            if i > 0 { out.append(":") }
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0f)])
        }
        return out
    }

    /// The attribute value: `<algorithm> <hex>`.
    public var value: String { "\(algorithm) \(hex)" }
}

/// `a=extmap:<id>[/<direction>] <uri> [<attributes>]` (RFC 8285 §8).
public struct SDPExtmap: Hashable, Sendable {
    public var id: UInt16
    public var direction: SDPDirection?
    public var uri: String
    public var attributes: String?

    public init(id: UInt16, direction: SDPDirection? = nil, uri: String, attributes: String? = nil) {
        self.id = id
        self.direction = direction
        self.uri = uri
        self.attributes = attributes
    }
}

/// Header extension URIs the negotiator knows.
public enum SDPExtensionURI {
    /// RFC 8843 §15.1 (BUNDLE demultiplexing by MID).
    public static let mid = "urn:ietf:params:rtp-hdrext:sdes:mid"
    public static let absSendTime = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"
    /// draft-holmer-rmcat-transport-wide-cc-extensions-01: one sequence number across streams,
    /// for transport-wide feedback.
    public static let transportWideCC = "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"
}

/// `a=msid:<stream> [<track>]` (RFC 8830 §2).
public struct SDPMsid: Hashable, Sendable {
    public var streamID: String
    public var trackID: String?
    public init(streamID: String, trackID: String? = nil) { self.streamID = streamID; self.trackID = trackID }
}

/// `a=rtpmap:<pt> <encoding>/<clock>[/<channels>]` (RFC 8866 §6.6).
public struct SDPRtpMap: Hashable, Sendable {
    public var payloadType: UInt8
    public var encodingName: String
    public var clockRate: UInt32
    public var channels: UInt16?

    public init(payloadType: UInt8, encodingName: String, clockRate: UInt32, channels: UInt16? = nil) {
        self.payloadType = payloadType
        self.encodingName = encodingName
        self.clockRate = clockRate
        self.channels = channels
    }
}

/// `a=fmtp:<pt> <parameters>` (RFC 8866 §6.15). Parameters are kept as text; `parameter(_:)`
/// reads the usual `key=value;key=value` form.
public struct SDPFmtp: Hashable, Sendable {
    public var payloadType: UInt8
    public var parameters: String

    public init(payloadType: UInt8, parameters: String) {
        self.payloadType = payloadType
        self.parameters = parameters
    }

    /// The value of `key` (case-insensitive) in a `;`-separated list, nil when absent.
    public func parameter(_ key: String) -> String? {
        let wanted = key.lowercased()
        for part in parameters.split(separator: ";") {
            // Never empty: splitting without omitting empties yields at least one piece.
            let pair = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = pair[0].filter { $0 != " " }.lowercased()
            if name == wanted { return pair.count == 2 ? String(pair[1]) : "" }
        }
        return nil
    }
}

/// `a=rtcp-fb:<pt|*> <type> [<parameter>]` (RFC 4585 §4.2). `payloadType` nil means `*`.
public struct SDPRtcpFeedback: Hashable, Sendable {
    public var payloadType: UInt8?
    public var type: String
    public var parameter: String?

    public init(payloadType: UInt8?, type: String, parameter: String? = nil) {
        self.payloadType = payloadType
        self.type = type
        self.parameter = parameter
    }
}

/// `a=ssrc:<ssrc> <attribute>[:<value>]` (RFC 5576 §4.1).
public struct SDPSSRCAttribute: Hashable, Sendable {
    public var ssrc: UInt32
    public var name: String
    public var value: String?

    public init(ssrc: UInt32, name: String, value: String? = nil) {
        self.ssrc = ssrc
        self.name = name
        self.value = value
    }
}

/// `a=ssrc-group:<semantics> <ssrc>...` (RFC 5576 §4.2); `FID` pairs media with RTX.
public struct SDPSSRCGroup: Hashable, Sendable {
    public var semantics: String
    public var ssrcs: [UInt32]
    public init(semantics: String, ssrcs: [UInt32]) { self.semantics = semantics; self.ssrcs = ssrcs }
}
