import SessionCore

/// Offer/answer for our one-audio, one-video, max-bundle call (RFC 8829 JSEP subset,
/// RFC 3264). Pure functions from values to values.
public enum SDPNegotiator {
    /// What we send and receive: Opus and VP8 (the WebRTC mandatory codecs, RFC 7874 / 7742).
    static let opus = (name: "opus", clockRate: UInt32(48000), channels: UInt16(2), pt: UInt8(111))
    static let vp8 = (name: "VP8", clockRate: UInt32(90000), pt: UInt8(96))
    /// RTX for VP8 (RFC 4588): the kiosk receives on it (Chromium's resends and probes) and
    /// sends its own resends on it when it has an RTX SSRC (`a=ssrc-group:FID`).
    static let rtx = (name: "rtx", clockRate: UInt32(90000), pt: UInt8(97))
    static let opusParameters = "minptime=10;useinbandfec=1"
    /// Redundant Opus (RFC 2198, `red/48000/2` with fmtp `111/111`), listed before Opus:
    /// libwebrtc sends RED only when the other side's description puts it ahead of the codec.
    static let red = (name: "red", clockRate: UInt32(48000), channels: UInt16(2), pt: UInt8(63))
    /// Video FEC as Chromium offers it (RFC 5109 ULPFEC inside RFC 2198 RED, with RTX for the
    /// RED packets): the kiosk rebuilds a lost packet from the clinician's parity without a
    /// round trip, and protects its own video the same way.
    static let videoRED = (name: "red", clockRate: UInt32(90000), pt: UInt8(116))
    static let redRTX = UInt8(117)
    static let ulpfec = (name: "ulpfec", clockRate: UInt32(90000), pt: UInt8(118))
    /// Feedback we implement, in the order we write it.
    static let supportedFeedback: [(flag: SDPFeedbackSet, type: String, parameter: String?)] = [
        (.nack, "nack", nil), (.pli, "nack", "pli"), (.fir, "ccm", "fir"),
    ]
    /// Also answered when offered: REMB (the sender's rate follows it) and transport-cc (the
    /// kiosk sends transport-wide feedback for every packet that carries the sequence number).
    static let answeredFeedback: [(flag: SDPFeedbackSet, type: String, parameter: String?)] =
        [(.remb, "goog-remb", nil), (.transportCC, "transport-cc", nil)] + supportedFeedback
    static let rtpProto = "UDP/TLS/RTP/SAVPF"

    /// A Unified Plan offer: BUNDLE of audio (mid 0) and video (mid 1), rtcp-mux, actpass.
    public static func makeOffer(_ local: SDPLocalParameters, sessionID: UInt64, version: UInt64) -> SessionDescription {
        var sd = sessionSkeleton(local, sessionID: sessionID, version: version)
        let extmaps = [SDPExtmap(id: 1, uri: SDPExtensionURI.mid), SDPExtmap(id: 2, uri: SDPExtensionURI.absSendTime),
                       SDPExtmap(id: 3, uri: SDPExtensionURI.transportWideCC)]

        var audio = section(.audio, pt: opus.pt, mid: "0", local: local, setup: .actpass,
                            direction: local.audioDirection, ssrc: local.audioSSRC,
                            trackID: local.audioTrackID, extmaps: extmaps, rtcpRsize: true)
        audio.formats = ["\(red.pt)", "\(opus.pt)"]
        audio.rtpmaps = [SDPRtpMap(payloadType: red.pt, encodingName: red.name, clockRate: red.clockRate, channels: red.channels),
                         SDPRtpMap(payloadType: opus.pt, encodingName: opus.name, clockRate: opus.clockRate, channels: opus.channels)]
        audio.fmtps = [SDPFmtp(payloadType: red.pt, parameters: "\(opus.pt)/\(opus.pt)"),
                       SDPFmtp(payloadType: opus.pt, parameters: opusParameters)]

        var video = section(.video, pt: vp8.pt, mid: "1", local: local, setup: .actpass,
                            direction: local.videoDirection, ssrc: local.videoSSRC,
                            trackID: local.videoTrackID, extmaps: extmaps, rtcpRsize: true)
        video.formats = ["\(vp8.pt)", "\(rtx.pt)"]
        video.rtpmaps = [SDPRtpMap(payloadType: vp8.pt, encodingName: vp8.name, clockRate: vp8.clockRate),
                         SDPRtpMap(payloadType: rtx.pt, encodingName: rtx.name, clockRate: rtx.clockRate)]
        video.fmtps = [SDPFmtp(payloadType: rtx.pt, parameters: "apt=\(vp8.pt)")]
        if local.videoFEC {
            video.formats += ["\(videoRED.pt)", "\(redRTX)", "\(ulpfec.pt)"]
            video.rtpmaps += [SDPRtpMap(payloadType: videoRED.pt, encodingName: videoRED.name, clockRate: videoRED.clockRate),
                              SDPRtpMap(payloadType: redRTX, encodingName: rtx.name, clockRate: rtx.clockRate),
                              SDPRtpMap(payloadType: ulpfec.pt, encodingName: ulpfec.name, clockRate: ulpfec.clockRate)]
            video.fmtps.append(SDPFmtp(payloadType: redRTX, parameters: "apt=\(videoRED.pt)"))
        }
        announceRTX(in: &video, local: local)
        // goog-remb so Chromium sends REMB estimates, transport-cc so it adapts to our
        // transport-wide feedback.
        video.rtcpFeedbacks = answeredFeedback.map { SDPRtcpFeedback(payloadType: vp8.pt, type: $0.type, parameter: $0.parameter) }

        sd.media = [audio, video]
        sd.groups = [SDPGroup(semantics: "BUNDLE", mids: ["0", "1"])]
        return sd
    }

    /// Our RTX SSRC beside the video SSRC (RFC 5576 §4.2 FID, RFC 4588 §8.1), if we send video.
    static func announceRTX(in m: inout MediaDescription, local: SDPLocalParameters) {
        guard let rtxSSRC = local.videoRTXSSRC, m.direction?.sends ?? false else { return }
        m.ssrcGroups = [SDPSSRCGroup(semantics: "FID", ssrcs: [local.videoSSRC, rtxSSRC])]
        m.ssrcs += [SDPSSRCAttribute(ssrc: rtxSSRC, name: "cname", value: local.cname),
                    SDPSSRCAttribute(ssrc: rtxSSRC, name: "msid", value: "\(local.streamID) \(local.videoTrackID)")]
    }

    /// Whether `pt` is a RED format (RFC 2198) carrying only `media` (fmtp `media/media…`) in `m`.
    static func isRED(_ pt: UInt8, for media: UInt8, in m: MediaDescription) -> Bool {
        guard let map = m.rtpmap(for: pt), map.encodingName.lowercased() == red.name, map.clockRate == red.clockRate,
              let parameters = m.fmtp(for: pt)?.parameters else { return false }
        let pts = parameters.filter { $0 != " " }.split(separator: "/")
        return !pts.isEmpty && pts.count <= 8 && pts.allSatisfy { $0 == "\(media)" }
    }

    /// Whether `pt`'s rtpmap in `m` names `format` at `clockRate` (e.g. `red/90000`, `ulpfec/90000`).
    static func isFormat(_ pt: UInt8, _ format: (name: String, clockRate: UInt32, pt: UInt8), in m: MediaDescription) -> Bool {
        guard let map = m.rtpmap(for: pt) else { return false }
        return map.encodingName.lowercased() == format.name && map.clockRate == format.clockRate
    }

    /// Whether `pt` is an rtx format (RFC 4588 §8.6) whose `apt=` is `media` in `m`.
    static func isRTX(_ pt: UInt8, for media: UInt8, in m: MediaDescription) -> Bool {
        guard let map = m.rtpmap(for: pt), map.encodingName.lowercased() == rtx.name, map.clockRate == rtx.clockRate,
              let parameters = m.fmtp(for: pt)?.parameters else { return false }
        return parameters.split(separator: ";").contains { $0.filter { $0 != " " } == "apt=\(media)" }
    }

    static func sessionSkeleton(_ local: SDPLocalParameters, sessionID: UInt64, version: UInt64) -> SessionDescription {
        // JSEP §5.2.1: o=- <id> <version> IN IP4 127.0.0.1, s=-, t=0 0.
        var sd = SessionDescription(origin: SDPOrigin(sessionID: sessionID, sessionVersion: version))
        sd.msidSemantic = SDPMsidSemantic(semantics: "WMS", identifiers: [local.streamID])
        return sd
    }

    /// One accepted m-section with our transport parameters (JSEP §5.2.1 / §5.3.1 order).
    static func section(_ kind: SDPMediaKind, pt: UInt8, mid: String, local: SDPLocalParameters,
                        setup: SDPSetup, direction: SDPDirection, ssrc: UInt32, trackID: String,
                        extmaps: [SDPExtmap], rtcpRsize: Bool, carriesCandidates: Bool = true) -> MediaDescription {
        var m = MediaDescription(kind: kind, port: 9, proto: rtpProto, formats: ["\(pt)"])
        let candidates = carriesCandidates ? local.candidateValues : []
        if let d = defaultCandidate(candidates) {
            // JSEP §5.3.1: the m= and c= lines carry the default candidate when there is one.
            m.port = d.port
            m.connection = SDPConnection(addrType: d.isIPv4 ? "IP4" : "IP6", address: d.hostString)
        } else {
            m.connection = SDPConnection()
        }
        m.rtcp = "9 IN IP4 0.0.0.0"
        m.candidates = candidates
        m.endOfCandidates = carriesCandidates && local.endOfCandidates
        m.iceUfrag = local.iceUfrag
        m.icePwd = local.icePwd
        if local.trickle { m.iceOptions = ["trickle"] }
        m.fingerprints = [local.fingerprint]
        m.setup = setup
        m.mid = mid
        m.extmaps = extmaps
        m.direction = direction
        if direction.sends {
            m.msids = [SDPMsid(streamID: local.streamID, trackID: trackID)]
        }
        m.rtcpMux = true
        m.rtcpRsize = rtcpRsize
        if direction.sends {
            m.ssrcs = [SDPSSRCAttribute(ssrc: ssrc, name: "cname", value: local.cname),
                       SDPSSRCAttribute(ssrc: ssrc, name: "msid", value: "\(local.streamID) \(trackID)")]
        }
        return m
    }

    /// The first component-1 UDP candidate with a literal address (mDNS names are skipped).
    static func defaultCandidate(_ values: [String]) -> TransportAddress? {
        for v in values {
            // RFC 8839 §5.1: foundation component transport priority address port typ ...
            let f = v.split(separator: " ")
            guard f.count >= 6, f[1] == "1", f[2].lowercased() == "udp",
                  let port = UInt16(f[5]), port != 0 else { continue }
            if let a = TransportAddress(host: String(f[4]), port: port) { return a }
        }
        return nil
    }
}
