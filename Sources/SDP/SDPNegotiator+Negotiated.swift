extension SDPNegotiator {
    /// Reads the outcome of a completed offer/answer exchange into the flat value the call
    /// engine runs on. `local` is the description we sent, `remote` the one we received.
    public static func negotiated(local: SessionDescription, remote: SessionDescription,
                                  weAreOfferer: Bool) throws(SDPError) -> NegotiatedSession {
        let offer = weAreOfferer ? local : remote
        let answer = weAreOfferer ? remote : local
        guard offer.media.count == answer.media.count else {
            throw .mediaMismatch(mLineIndex: min(offer.media.count, answer.media.count))
        }
        // RFC 8843 §7.3.1: the first mid of the answer's BUNDLE group names the shared transport.
        guard let bundle = answer.bundleGroup, let tagMid = bundle.mids.first,
              let tagIndex = answer.media.firstIndex(where: { $0.mid == tagMid && !$0.isRejected })
        else { throw .missingBundle }
        let remoteTag = remote.media[tagIndex]

        guard let ufrag = remoteTag.iceUfrag ?? remote.iceUfrag,
              let pwd = remoteTag.icePwd ?? remote.icePwd else { throw .missingICECredentials(mid: tagMid) }
        let fingerprints = remoteTag.fingerprints + remote.fingerprints
        guard let fingerprint = fingerprints.first(where: { $0.algorithm == "sha-256" }) ?? fingerprints.first
        else { throw .missingFingerprint(mid: tagMid) }
        let role = try dtlsRole(offer: offer.media[tagIndex].setup ?? offer.setup,
                                answer: answer.media[tagIndex].setup ?? answer.setup,
                                weAreOfferer: weAreOfferer)

        var audio: NegotiatedMedia?
        var video: NegotiatedMedia?
        for index in offer.media.indices {
            let o = offer.media[index]
            let a = answer.media[index]
            guard o.kind == a.kind, o.mid == a.mid else { throw .mediaMismatch(mLineIndex: index) }
            if o.isRejected || a.isRejected { continue }
            guard let mid = a.mid else { throw .missingMid(mLineIndex: index) }
            switch a.kind {
            case .audio where audio == nil:
                audio = try media(index: index, offer: offer, answer: answer, local: local, remote: remote,
                                  weAreOfferer: weAreOfferer, codec: opus.name, clockRate: opus.clockRate)
            case .video where video == nil:
                video = try media(index: index, offer: offer, answer: answer, local: local, remote: remote,
                                  weAreOfferer: weAreOfferer, codec: vp8.name, clockRate: vp8.clockRate)
            default:
                continue
            }
            guard bundle.mids.contains(mid) else { throw .missingBundle }
        }
        guard audio != nil || video != nil else { throw .noCommonCodec(mid: nil) }

        let options = remoteTag.iceOptions + remote.iceOptions
        return NegotiatedSession(
            remoteICEUfrag: ufrag, remoteICEPwd: pwd, remoteFingerprint: fingerprint, dtlsRole: role,
            bundleMid: tagMid, bundleMLineIndex: tagIndex,
            remoteCandidates: remoteTag.candidates, remoteEndOfCandidates: remoteTag.endOfCandidates,
            remoteTrickle: options.contains("trickle"), remoteICELite: remote.iceLite,
            audio: audio, video: video)
    }

    /// RFC 5763 §5 / RFC 4145 §4.1: the answerer's `a=setup` decides. `active` sends the
    /// ClientHello (DTLS client); an absent attribute means `active`.
    static func dtlsRole(offer: SDPSetup?, answer: SDPSetup?, weAreOfferer: Bool) throws(SDPError) -> NegotiatedSession.DTLSRole {
        let answererIsClient: Bool
        switch (offer ?? .active, answer ?? .active) {
        case (.actpass, .active), (.passive, .active): answererIsClient = true
        case (.actpass, .passive), (.active, .passive): answererIsClient = false
        default: throw .setupConflict(offer: offer, answer: answer)
        }
        return weAreOfferer != answererIsClient ? .client : .server
    }

    private static func media(index: Int, offer: SessionDescription, answer: SessionDescription,
                              local: SessionDescription, remote: SessionDescription, weAreOfferer: Bool,
                              codec: String, clockRate: UInt32) throws(SDPError) -> NegotiatedMedia {
        let o = offer.media[index]
        let a = answer.media[index]
        let mid = a.mid ?? ""
        guard o.rtcpMux, a.rtcpMux else { throw .missingRTCPMux(mid: mid) }

        // RFC 3264 §6.1: the answer lists what it accepted, preferred first; it must be offered.
        var chosen: SDPRtpMap?
        for pt in a.payloadTypes where o.payloadTypes.contains(pt) {
            guard let map = a.rtpmap(for: pt) ?? o.rtpmap(for: pt),
                  map.encodingName.lowercased() == codec.lowercased(), map.clockRate == clockRate else { continue }
            chosen = map
            break
        }
        guard let chosen else { throw .noCommonCodec(mid: mid) }
        let pt = chosen.payloadType

        let localMedia = local.media[index]
        let remoteMedia = remote.media[index]
        var fid: [SDPFIDPair] = []
        for g in remoteMedia.ssrcGroups where g.semantics == "FID" && g.ssrcs.count == 2 {
            fid.append(SDPFIDPair(primary: g.ssrcs[0], retransmission: g.ssrcs[1]))
        }

        // Header extension ids: as answered, for URIs the offer also listed (RFC 8285 §6).
        func extensionID(_ uri: String) -> UInt16? {
            guard (o.extmaps + offer.extmaps).contains(where: { $0.uri == uri }) else { return nil }
            return (a.extmaps + answer.extmaps).first { $0.uri == uri }?.id
        }

        // RFC 4588 §8.6: the rtx format whose apt= names the chosen codec, in both.
        let rtx = a.payloadTypes.first { p in
            o.payloadTypes.contains(p) && SDPNegotiator.isRTX(p, for: pt, in: a.rtpmap(for: p) != nil ? a : o)
        }

        func inBoth(_ test: (UInt8, MediaDescription) -> Bool) -> UInt8? {
            a.payloadTypes.first { p in o.payloadTypes.contains(p) && test(p, a.rtpmap(for: p) != nil ? a : o) }
        }
        // RFC 2198: the red format carrying only the chosen codec, in both. Video: red/90000
        // goes with ulpfec/90000 or not at all.
        var red: UInt8?, ulpfec: UInt8?, redRTX: UInt8?
        if a.kind == .video {
            ulpfec = inBoth { SDPNegotiator.isFormat($0, SDPNegotiator.ulpfec, in: $1) }
            red = ulpfec == nil ? nil : inBoth { SDPNegotiator.isFormat($0, SDPNegotiator.videoRED, in: $1) }
            if red == nil { ulpfec = nil }
            redRTX = red.flatMap { r in inBoth { SDPNegotiator.isRTX($0, for: r, in: $1) } }
        } else {
            red = inBoth { SDPNegotiator.isRED($0, for: pt, in: $1) }
        }

        let ours = localMedia.direction ?? local.direction ?? .sendrecv
        let theirs = remoteMedia.direction ?? remote.direction ?? .sendrecv

        return NegotiatedMedia(
            mid: mid, mLineIndex: index, payloadType: pt, codec: chosen.encodingName,
            clockRate: chosen.clockRate, channels: chosen.channels ?? 1,
            remoteFormatParameters: remoteMedia.fmtp(for: pt)?.parameters,
            remoteSSRCs: remoteMedia.ssrcList, remoteFIDPairs: fid,
            remoteCname: remoteMedia.ssrcs.first { $0.name == "cname" }?.value,
            remoteMsid: remoteMedia.msids.first,
            feedback: SDPFeedbackSet(o.rtcpFeedbacks(for: pt)).intersection(SDPFeedbackSet(a.rtcpFeedbacks(for: pt))),
            midExtensionID: extensionID(SDPExtensionURI.mid),
            absSendTimeExtensionID: extensionID(SDPExtensionURI.absSendTime),
            transportCCExtensionID: extensionID(SDPExtensionURI.transportWideCC),
            rtxPayloadType: rtx,
            redPayloadType: red,
            ulpfecPayloadType: ulpfec,
            redRTXPayloadType: redRTX,
            direction: SDPDirection(sends: ours.sends && theirs.receives, receives: ours.receives && theirs.sends))
    }
}
