extension SDPNegotiator {
    /// Answers a browser's offer (RFC 3264 §6, JSEP §5.3.1): the first audio section gets Opus
    /// (with its red) and the first video section VP8 (with its rtx), at the offerer's payload type numbers;
    /// other codecs and feedback we do not implement are left out; every other section (a data channel, a
    /// second video…) is rejected with port 0. Mids are mirrored; we take the DTLS client role
    /// when the offer says actpass.
    public static func makeAnswer(to offer: SessionDescription, local: SDPLocalParameters,
                                  sessionID: UInt64, version: UInt64) throws(SDPError) -> SessionDescription {
        guard let bundle = offer.bundleGroup else { throw .missingBundle }
        var sd = sessionSkeleton(local, sessionID: sessionID, version: version)
        var acceptedMids: [String] = []
        var haveAudio = false
        var haveVideo = false

        for (index, offered) in offer.media.enumerated() {
            let codec: SDPRtpMap?
            switch offered.kind {
            case .audio where !haveAudio && !offered.isRejected && offered.proto == rtpProto:
                codec = firstCodec(in: offered, name: opus.name, clockRate: opus.clockRate, channels: opus.channels)
            case .video where !haveVideo && !offered.isRejected && offered.proto == rtpProto:
                codec = firstCodec(in: offered, name: vp8.name, clockRate: vp8.clockRate, channels: nil)
            default:
                codec = nil
            }
            guard let codec else {
                sd.media.append(rejected(offered))
                continue
            }
            guard let mid = offered.mid else { throw .missingMid(mLineIndex: index) }
            guard bundle.mids.contains(mid) else { throw .missingBundle }
            guard (offered.iceUfrag ?? offer.iceUfrag) != nil, (offered.icePwd ?? offer.icePwd) != nil else {
                throw .missingICECredentials(mid: mid)
            }
            guard !(offered.fingerprints + offer.fingerprints).isEmpty else { throw .missingFingerprint(mid: mid) }
            // JSEP §5.3.1 / RFC 8843 §9: bundled RTP needs RTP/RTCP multiplexing.
            guard offered.rtcpMux else { throw .missingRTCPMux(mid: mid) }
            let setup = try answerSetup(offered.setup ?? offer.setup)

            let isAudio = offered.kind == .audio
            let wanted = isAudio ? local.audioDirection : local.videoDirection
            let offeredDirection = offered.direction ?? offer.direction ?? .sendrecv
            // RFC 3264 §6.1: we may send only what they receive, receive only what they send.
            let direction = SDPDirection(sends: wanted.sends && offeredDirection.receives,
                                         receives: wanted.receives && offeredDirection.sends)
            // RFC 8285 §6: keep the offerer's ids; flip a declared direction.
            let extmaps = (offered.extmaps + offer.extmaps)
                .filter { [SDPExtensionURI.mid, SDPExtensionURI.absSendTime, SDPExtensionURI.transportWideCC].contains($0.uri) }
                .map { SDPExtmap(id: $0.id, direction: $0.direction?.reversed, uri: $0.uri) }

            var m = section(offered.kind, pt: codec.payloadType, mid: mid, local: local, setup: setup,
                            direction: direction, ssrc: isAudio ? local.audioSSRC : local.videoSSRC,
                            trackID: isAudio ? local.audioTrackID : local.videoTrackID,
                            extmaps: extmaps, rtcpRsize: offered.rtcpRsize,
                            // Only the BUNDLE-tagged (first accepted) section carries candidates,
                            // as browsers' answers do: the others share its transport.
                            carriesCandidates: acceptedMids.isEmpty)
            m.rtpmaps = [codec]
            if isAudio {
                m.fmtps = [SDPFmtp(payloadType: codec.payloadType, parameters: opusParameters)]
                // Chromium's red for this Opus, answered first: then it sends it.
                if let red = offered.payloadTypes.first(where: { isRED($0, for: codec.payloadType, in: offered) }),
                   let map = offered.rtpmap(for: red) {
                    m.formats.insert("\(red)", at: 0)
                    m.rtpmaps.insert(map, at: 0)
                    m.fmtps.insert(SDPFmtp(payloadType: red, parameters: "\(codec.payloadType)/\(codec.payloadType)"), at: 0)
                }
                haveAudio = true
            } else {
                // Chromium's rtx for this VP8, answered at its number: the kiosk takes its
                // resends and probes on the RTX stream, and sends its own on ours.
                if let rtx = offered.payloadTypes.first(where: { isRTX($0, for: codec.payloadType, in: offered) }),
                   let map = offered.rtpmap(for: rtx) {
                    m.formats.append("\(rtx)")
                    m.rtpmaps.append(map)
                    m.fmtps = [SDPFmtp(payloadType: rtx, parameters: "apt=\(codec.payloadType)")]
                    announceRTX(in: &m, local: local)
                }
                // Chromium's red and ulpfec, answered together at its numbers (with the rtx
                // for red): it then protects its video with parity when the link loses.
                if local.videoFEC, let red = offered.payloadTypes.first(where: { isFormat($0, videoRED, in: offered) }),
                   let fec = offered.payloadTypes.first(where: { isFormat($0, ulpfec, in: offered) }),
                   let redMap = offered.rtpmap(for: red), let fecMap = offered.rtpmap(for: fec) {
                    m.formats.append("\(red)")
                    m.rtpmaps.append(redMap)
                    if let redRTX = offered.payloadTypes.first(where: { isRTX($0, for: red, in: offered) }),
                       let map = offered.rtpmap(for: redRTX), m.rtpmaps.contains(where: { $0.encodingName.lowercased() == rtx.name }) {
                        m.formats.append("\(redRTX)")
                        m.rtpmaps.append(map)
                        m.fmtps.append(SDPFmtp(payloadType: redRTX, parameters: "apt=\(red)"))
                    }
                    m.formats.append("\(fec)")
                    m.rtpmaps.append(fecMap)
                }
                let offeredFeedback = SDPFeedbackSet(offered.rtcpFeedbacks(for: codec.payloadType))
                m.rtcpFeedbacks = answeredFeedback
                    .filter { offeredFeedback.contains($0.flag) }
                    .map { SDPRtcpFeedback(payloadType: codec.payloadType, type: $0.type, parameter: $0.parameter) }
                haveVideo = true
            }
            sd.media.append(m)
            acceptedMids.append(mid)
        }
        guard !acceptedMids.isEmpty else { throw .noCommonCodec(mid: nil) }
        // RFC 8843 §7.3: the answer's group lists the accepted mids; the first is the tag.
        sd.groups = [SDPGroup(semantics: "BUNDLE", mids: acceptedMids)]
        return sd
    }

    /// The first format in m-line order whose rtpmap names the codec (names are case-insensitive,
    /// RFC 4855 §3).
    static func firstCodec(in m: MediaDescription, name: String, clockRate: UInt32, channels: UInt16?) -> SDPRtpMap? {
        for pt in m.payloadTypes {
            guard let map = m.rtpmap(for: pt), map.encodingName.lowercased() == name.lowercased(),
                  map.clockRate == clockRate else { continue }
            if let channels, (map.channels ?? 1) != channels { continue }
            return map
        }
        return nil
    }

    /// RFC 4145 §4.1 / RFC 5763 §5: an absent offer setup means active.
    static func answerSetup(_ offered: SDPSetup?) throws(SDPError) -> SDPSetup {
        switch offered ?? .active {
        case .actpass, .passive: return .active
        case .active: return .passive
        case .holdconn: throw .setupConflict(offer: offered, answer: nil)
        }
    }

    /// RFC 3264 §6: port 0, the offered formats, and the mid so the offerer can match it.
    static func rejected(_ offered: MediaDescription) -> MediaDescription {
        var m = MediaDescription(kind: offered.kind, port: 0, proto: offered.proto,
                                 formats: offered.formats.isEmpty ? ["0"] : offered.formats)
        m.connection = SDPConnection()
        m.mid = offered.mid
        return m
    }
}
