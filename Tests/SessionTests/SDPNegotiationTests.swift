import Foundation
@testable import SDP
import Testing

extension SDPLocalParameters {
    static func kiosk(candidates: [String] = [], endOfCandidates: Bool = false, rtx: UInt32? = 2223) -> SDPLocalParameters {
        SDPLocalParameters(
            iceUfrag: "kiOs", icePwd: "kioskpasswordkioskpassw1",
            fingerprint: SDPFingerprint(algorithm: "sha-256", bytes: (0..<32).map { UInt8($0) }),
            audioSSRC: 1111, videoSSRC: 2222, cname: "kioskcname",
            streamID: "kiosk-stream", audioTrackID: "kiosk-audio", videoTrackID: "kiosk-video",
            candidates: candidates, endOfCandidates: endOfCandidates, videoRTXSSRC: rtx)
    }

    static func clinician() -> SDPLocalParameters {
        SDPLocalParameters(
            iceUfrag: "clIn", icePwd: "clinicianpasswordclinic2",
            fingerprint: SDPFingerprint(algorithm: "sha-256", bytes: (0..<32).map { UInt8(255 - $0) }),
            audioSSRC: 3333, videoSSRC: 4444, cname: "cliniciancname",
            streamID: "clinician-stream", audioTrackID: "clinician-audio", videoTrackID: "clinician-video",
            candidates: ["candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host"])
    }
}

@Suite struct SDPNegotiationTests {
    /// Answers a fixture offer, sends the answer through text and back, and negotiates.
    private func answer(_ fixture: String, local: SDPLocalParameters = .kiosk()) throws
        -> (offer: SessionDescription, answer: SessionDescription, session: NegotiatedSession) {
        let offer = try SDPFixture.parsed(fixture)
        let made = try SDPNegotiator.makeAnswer(to: offer, local: local, sessionID: 42, version: 2)
        let text = made.serialized()
        #expect(SDPFixture.everyLineEndsInCRLF(text))
        let answer = try SessionDescription.parse(text)
        #expect(answer == made)
        let session = try SDPNegotiator.negotiated(local: answer, remote: offer, weAreOfferer: false)
        return (offer, answer, session)
    }

    @Test func offerHasTheAgreedShape() throws {
        let offer = SDPNegotiator.makeOffer(.kiosk(), sessionID: 7, version: 1)
        let text = offer.serialized()
        #expect(try SessionDescription.parse(text) == offer)
        #expect(text.hasPrefix("v=0\r\no=- 7 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0 1\r\n"))
        for line in ["m=audio 9 UDP/TLS/RTP/SAVPF 63 111", "a=rtpmap:63 red/48000/2", "a=fmtp:63 111/111", "c=IN IP4 0.0.0.0",
                     "a=setup:actpass", "a=rtcp-mux", "a=rtcp-rsize", "a=ice-ufrag:kiOs", "a=ice-options:trickle",
                     "a=mid:0", "a=mid:1", "a=rtpmap:111 opus/48000/2", "a=fmtp:111 minptime=10;useinbandfec=1",
                     "a=rtpmap:96 VP8/90000", "a=rtcp-fb:96 nack", "a=rtcp-fb:96 nack pli", "a=rtcp-fb:96 ccm fir",
                     "a=rtcp-fb:96 goog-remb", "a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid",
                     "a=ssrc:1111 cname:kioskcname", "a=ssrc:2222 cname:kioskcname",
                     "a=msid:kiosk-stream kiosk-video", "a=sendrecv",
                     "a=fingerprint:sha-256 00:01:02:03:04:05:06:07:08:09:0A:0B:0C:0D:0E:0F:10:11:12:13:14:15:16:17:18:19:1A:1B:1C:1D:1E:1F"] {
            #expect(text.contains(line + "\r\n"), "missing \(line)")
        }
        // RTX both ways: Chromium resends and probes on it, the kiosk resends on its own RTX
        // SSRC, paired with its video SSRC by a FID group (RFC 5576 §4.2, group first).
        #expect(text.contains("m=video 9 UDP/TLS/RTP/SAVPF 96 97 116 117 118\r\n"))
        // Video FEC as Chromium offers it: ULPFEC inside RED, RTX for the RED packets.
        for line in ["a=rtpmap:116 red/90000", "a=rtpmap:117 rtx/90000", "a=fmtp:117 apt=116", "a=rtpmap:118 ulpfec/90000"] {
            #expect(text.contains(line + "\r\n"), "missing \(line)")
        }
        var plain = SDPLocalParameters.kiosk()
        plain.videoFEC = false
        #expect(SDPNegotiator.makeOffer(plain, sessionID: 7, version: 1).serialized().contains("m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\n"))
        #expect(text.contains("a=rtpmap:97 rtx/90000\r\n") && text.contains("a=fmtp:97 apt=96\r\n"))
        #expect(text.contains("a=ssrc-group:FID 2222 2223\r\na=ssrc:2222 cname:kioskcname\r\n"))
        #expect(text.contains("a=ssrc:2223 cname:kioskcname\r\na=ssrc:2223 msid:kiosk-stream kiosk-video\r\n"))
        // Without an RTX SSRC (a kiosk that sends no video) no group.
        #expect(!SDPNegotiator.makeOffer(.kiosk(rtx: nil), sessionID: 7, version: 1).serialized().contains("ssrc-group"))
        // Transport-wide feedback is offered (the kiosk sends it), on video, with its extension.
        #expect(text.contains("a=rtcp-fb:96 transport-cc\r\n"))
        #expect(text.contains("a=extmap:3 \(SDPExtensionURI.transportWideCC)\r\n"))
        #expect(!text.contains("a=candidate"))
    }

    @Test func offerPutsTheDefaultCandidateOnTheMLine() throws {
        let local = SDPLocalParameters.kiosk(candidates: [
            "candidate:9 1 udp 2122260223 abcd.local 40000 typ host",
            "a=candidate:7 1 udp 2122260223 192.168.1.20 40002 typ host",
        ], endOfCandidates: true)
        let offer = try SessionDescription.parse(SDPNegotiator.makeOffer(local, sessionID: 1, version: 1).serialized())
        #expect(offer.media[0].port == 40002)
        #expect(offer.media[0].connection?.address == "192.168.1.20")
        #expect(offer.media[0].candidates == ["9 1 udp 2122260223 abcd.local 40000 typ host",
                                              "7 1 udp 2122260223 192.168.1.20 40002 typ host"])
        #expect(offer.media[0].endOfCandidates)
    }

    @Test func answersChromiumOffer() throws {
        let (offer, answer, s) = try answer("chromium-offer")
        #expect(answer.media.map(\.mid) == ["0", "1"])
        #expect(answer.bundleGroup?.mids == ["0", "1"])
        // Its red for Opus, at its number, listed first: libwebrtc sends RED only to a side
        // that puts it ahead of the codec.
        #expect(answer.media[0].formats == ["63", "111"])
        #expect(answer.media[0].fmtps.first == SDPFmtp(payloadType: 63, parameters: "111/111"))
        #expect(s.audio?.redPayloadType == 63 && s.audio?.payloadType == 111)
        // Its red and ulpfec for video, with the rtx for red, at its numbers: it then sends its
        // video in RED and parity when the link loses.
        #expect(s.video?.redPayloadType == 118 && s.video?.ulpfecPayloadType == 120 && s.video?.redRTXPayloadType == 119)
        #expect(answer.media[1].formats == ["96", "97", "118", "119", "120"])
        #expect(answer.media.allSatisfy { $0.setup == .active && $0.rtcpMux })
        // REMB and transport-cc answered: the kiosk's send rate follows REMB, and it sends
        // transport-wide feedback so Chromium adapts toward it.
        #expect(answer.media[1].rtcpFeedbacks.map(\.type) == ["goog-remb", "transport-cc", "nack", "nack", "ccm"])
        // Its rtx for VP8, at its number, and only that one (not those of H.264 and VP9).
        #expect(answer.media[1].rtpmaps.map(\.encodingName) == ["VP8", "rtx", "red", "rtx", "ulpfec"])
        #expect(answer.media[1].fmtps == [SDPFmtp(payloadType: 97, parameters: "apt=96"), SDPFmtp(payloadType: 119, parameters: "apt=118")])
        #expect(s.video?.rtxPayloadType == 97)
        #expect(s.audio?.rtxPayloadType == nil)
        // The kiosk's own RTX stream announced beside its video, none beside audio.
        #expect(answer.media[1].ssrcGroups == [SDPSSRCGroup(semantics: "FID", ssrcs: [2222, 2223])])
        #expect(answer.media[1].ssrcs.map(\.ssrc) == [2222, 2222, 2223, 2223])
        #expect(answer.media[0].ssrcGroups.isEmpty)

        #expect(s.dtlsRole == .client)
        #expect(s.remoteICEUfrag == "lC4B")
        #expect(s.remoteICEPwd == "jHdr+dSIE8S4LjctgQ8Nb5co")
        #expect(s.remoteFingerprint == offer.media[0].fingerprints[0])
        #expect(s.bundleMid == "0")
        #expect(s.remoteCandidates == offer.media[0].candidates)
        #expect(s.remoteCandidates.count == 2)
        #expect(!s.remoteEndOfCandidates)
        #expect(s.remoteTrickle)

        let audio = try #require(s.audio)
        #expect(audio.payloadType == 111)
        #expect(audio.clockRate == 48000)
        #expect(audio.channels == 2)
        #expect(audio.mid == "0")
        #expect(audio.midExtensionID == 4)
        #expect(audio.absSendTimeExtensionID == 2)
        #expect(audio.remoteSSRCs == [1784689516])
        #expect(audio.remoteCname == "UE/S+ncHDhMG++vn")
        #expect(audio.remoteFormatParameters == "minptime=10;useinbandfec=1")
        #expect(audio.feedback == [])
        #expect(audio.direction == .sendrecv)

        let video = try #require(s.video)
        #expect(video.payloadType == 96)
        #expect(video.codec == "VP8")
        #expect(video.clockRate == 90000)
        #expect(video.mid == "1")
        #expect(video.feedback == [.nack, .pli, .fir, .remb, .transportCC])
        #expect(video.midExtensionID == 4)
        #expect(video.remoteSSRCs == [3825171726, 2765037669])
        #expect(video.remoteFIDPairs == [SDPFIDPair(primary: 3825171726, retransmission: 2765037669)])
        #expect(video.remotePrimarySSRCs == [3825171726])
    }

    @Test func answersFirefoxOffer() throws {
        let (offer, answer, s) = try answer("firefox-offer")
        #expect(answer.media.map(\.formats) == [["109"], ["120", "124", "122", "119", "123"]])
        #expect(s.video?.redPayloadType == 122 && s.video?.ulpfecPayloadType == 123 && s.video?.redRTXPayloadType == 119)
        #expect(s.dtlsRole == .client)
        #expect(s.remoteICEUfrag == "45a16f90")
        #expect(s.remoteICEPwd == "11e2b0901a45afefa548216b3ec8aa80")
        #expect(s.remoteFingerprint == offer.fingerprints[0])
        #expect(s.remoteCandidates.count == 8)
        #expect(s.remoteCandidates[0] == "0 1 UDP 2122187007 127.0.0.1 59079 typ host")
        #expect(s.remoteEndOfCandidates)
        #expect(s.remoteTrickle)
        #expect(s.audio?.payloadType == 109)
        #expect(s.audio?.midExtensionID == 3)
        #expect(s.audio?.absSendTimeExtensionID == nil)
        #expect(s.audio?.remoteFormatParameters?.contains("stereo=1") == true)
        #expect(s.video?.payloadType == 120)
        #expect(s.video?.midExtensionID == 3)
        #expect(s.video?.absSendTimeExtensionID == 4)
        #expect(s.video?.feedback == [.nack, .pli, .fir, .remb, .transportCC])
        #expect(s.video?.remoteFIDPairs == [SDPFIDPair(primary: 712848951, retransmission: 1163672744)])
        #expect(s.video?.rtxPayloadType == 124)
    }

    @Test func answersSafariOfferWithVP8ThoughH264ComesFirst() throws {
        let (offer, _, s) = try answer("safari-offer")
        #expect(offer.media[1].rtpmap(for: offer.media[1].payloadTypes[0])?.encodingName == "H264")
        #expect(s.video?.payloadType == 102)
        #expect(s.video?.feedback == [.nack, .pli, .fir, .remb, .transportCC])
        #expect(s.audio?.payloadType == 111)
        #expect(s.remoteCandidates.count == 2)
        #expect(s.dtlsRole == .client)
    }

    @Test func trickleOffersAnswerWithoutCandidates() throws {
        for name in ["chromium-offer-trickle", "firefox-offer-trickle"] {
            let (_, answer, s) = try answer(name)
            #expect(s.remoteCandidates.isEmpty)
            #expect(answer.media.allSatisfy { $0.port == 9 && $0.candidates.isEmpty })
        }
    }

    @Test func realBrowserAnswersNegotiateAgainstTheirOffers() throws {
        // chromium-answer.sdp answers a Chromium offer; firefox-answer-to-chromium-offer answers one too.
        for name in ["chromium-answer", "firefox-answer-to-chromium-offer"] {
            let s = try SDPNegotiator.negotiated(local: SDPFixture.parsed("chromium-offer"),
                                                 remote: SDPFixture.parsed(name), weAreOfferer: true)
            #expect(s.dtlsRole == .server, "\(name)")  // the answer says setup:active
            #expect(s.audio?.payloadType == 111, "\(name)")
            #expect(s.video?.payloadType == 96, "\(name)")
            #expect(s.video?.feedback == [.nack, .pli, .fir, .remb, .transportCC], "\(name)")
        }
        let s = try SDPNegotiator.negotiated(local: SDPFixture.parsed("firefox-offer"),
                                             remote: SDPFixture.parsed("chromium-answer-to-firefox-offer"),
                                             weAreOfferer: true)
        #expect(s.remoteICEUfrag == "dZsm")
        #expect(s.audio?.payloadType == 109)
        #expect(s.video?.payloadType == 120)
        #expect(s.video?.midExtensionID == 3)
        #expect(s.remoteCandidates.count == 1)
    }

    @Test func ourOfferAndOurAnswerAgreeOnBothSides() throws {
        let kiosk = SDPLocalParameters.kiosk(candidates: ["candidate:5 1 udp 2122260223 10.0.0.5 41000 typ host"])
        let clinician = SDPLocalParameters.clinician()
        let offer = try SessionDescription.parse(SDPNegotiator.makeOffer(kiosk, sessionID: 1, version: 1).serialized())
        let answer = try SessionDescription.parse(
            SDPNegotiator.makeAnswer(to: offer, local: clinician, sessionID: 2, version: 1).serialized())

        let atOfferer = try SDPNegotiator.negotiated(local: offer, remote: answer, weAreOfferer: true)
        let atAnswerer = try SDPNegotiator.negotiated(local: answer, remote: offer, weAreOfferer: false)

        #expect(atOfferer.dtlsRole == .server)
        #expect(atAnswerer.dtlsRole == .client)
        #expect(atOfferer.remoteICEUfrag == clinician.iceUfrag)
        #expect(atOfferer.remoteICEPwd == clinician.icePwd)
        #expect(atAnswerer.remoteICEUfrag == kiosk.iceUfrag)
        #expect(atOfferer.remoteFingerprint == clinician.fingerprint)
        #expect(atAnswerer.remoteFingerprint == kiosk.fingerprint)
        #expect(atOfferer.remoteCandidates == ["1 1 udp 2122260223 127.0.0.1 50000 typ host"])
        #expect(atAnswerer.remoteCandidates == ["5 1 udp 2122260223 10.0.0.5 41000 typ host"])
        #expect(atOfferer.bundleMid == "0" && atAnswerer.bundleMid == "0")
        // Offers carry candidates in every section; answers only in the BUNDLE-tagged one.
        #expect(offer.media.allSatisfy { $0.candidates.count == 1 && $0.port == 41000 })
        #expect(answer.media.map(\.candidates.count) == [1, 0])
        #expect(answer.media.map(\.port) == [50000, 9])
        // The answerer learns the kiosk's FID pair: its RTX resends are told from new media.
        #expect(atAnswerer.video?.remoteFIDPairs == [SDPFIDPair(primary: 2222, retransmission: 2223)])
        #expect(atAnswerer.video?.remotePrimarySSRCs == [2222])

        for (a, b) in [(atOfferer.audio, atAnswerer.audio), (atOfferer.video, atAnswerer.video)] {
            let a = try #require(a)
            let b = try #require(b)
            #expect(a.payloadType == b.payloadType)
            #expect(a.mid == b.mid)
            #expect(a.feedback == b.feedback)
            #expect(a.midExtensionID == 1 && b.midExtensionID == 1)
            #expect(a.absSendTimeExtensionID == 2 && b.absSendTimeExtensionID == 2)
            #expect(a.direction == .sendrecv && b.direction == .sendrecv)
        }
        #expect(atOfferer.audio?.payloadType == 111)
        #expect(atOfferer.video?.payloadType == 96)
        #expect(atOfferer.video?.feedback == [.nack, .pli, .fir, .remb, .transportCC])
        #expect(atOfferer.audio?.remoteSSRCs == [clinician.audioSSRC])
        #expect(atOfferer.video?.remoteSSRCs == [clinician.videoSSRC])
        #expect(atAnswerer.audio?.remoteSSRCs == [kiosk.audioSSRC])
        #expect(atAnswerer.video?.remoteCname == kiosk.cname)
        #expect(atAnswerer.video?.remoteMsid == SDPMsid(streamID: kiosk.streamID, trackID: kiosk.videoTrackID))
    }

    @Test func directionsFollowRFC3264() throws {
        var kiosk = SDPLocalParameters.kiosk()
        kiosk.videoDirection = .recvonly
        let offer = SDPNegotiator.makeOffer(kiosk, sessionID: 1, version: 1)
        #expect(offer.media[1].ssrcs.isEmpty && offer.media[1].msids.isEmpty)
        let answer = try SDPNegotiator.makeAnswer(to: offer, local: .clinician(), sessionID: 2, version: 1)
        #expect(answer.media[1].direction == .sendonly)
        let atOfferer = try SDPNegotiator.negotiated(local: offer, remote: answer, weAreOfferer: true)
        #expect(atOfferer.video?.direction == .recvonly)
        #expect(atOfferer.audio?.direction == .sendrecv)

        // A browser that only receives video: we only send it.
        var recvonly = try SDPFixture.parsed("chromium-offer")
        recvonly.media[1].direction = .recvonly
        #expect(recvonly.media[1].direction == .recvonly)
        let ours = try SDPNegotiator.makeAnswer(to: recvonly, local: .kiosk(), sessionID: 1, version: 1)
        #expect(ours.media[1].direction == .sendonly)
    }

    @Test func rejectsDataChannelAndSecondVideoWithPortZero() throws {
        let text = try SDPFixture.text("chromium-offer")
            .replacingOccurrences(of: "a=group:BUNDLE 0 1", with: "a=group:BUNDLE 0 1 2 3")
            + "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\na=ice-ufrag:lC4B\r\n"
            + "a=ice-pwd:jHdr+dSIE8S4LjctgQ8Nb5co\r\na=mid:2\r\na=sctp-port:5000\r\n"
            + "m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=mid:3\r\na=rtcp-mux\r\na=rtpmap:96 VP8/90000\r\n"
        let offer = try SessionDescription.parse(text)
        let answer = try SessionDescription.parse(
            SDPNegotiator.makeAnswer(to: offer, local: .kiosk(), sessionID: 1, version: 1).serialized())
        #expect(answer.media.count == 4)
        #expect(answer.media.map(\.port) == [9, 9, 0, 0])
        #expect(answer.media.map(\.mid) == ["0", "1", "2", "3"])
        #expect(answer.media[2].kind == .application)
        #expect(answer.media[2].formats == ["webrtc-datachannel"])
        #expect(answer.bundleGroup?.mids == ["0", "1"])
        let s = try SDPNegotiator.negotiated(local: answer, remote: offer, weAreOfferer: false)
        #expect(s.video?.mid == "1")
    }

    // MARK: Errors

    private func offer(_ fixture: String = "chromium-offer", removing prefixes: [String]) throws -> SessionDescription {
        let lines = try SDPFixture.text(fixture).components(separatedBy: "\r\n")
        return try SessionDescription.parse(lines.filter { l in !prefixes.contains { l.hasPrefix($0) } }
            .joined(separator: "\r\n"))
    }

    private func expectAnswerError(_ offer: SessionDescription, _ error: SDPError) {
        #expect(throws: error) { try SDPNegotiator.makeAnswer(to: offer, local: .kiosk(), sessionID: 1, version: 1) }
    }

    @Test func answerErrors() throws {
        expectAnswerError(try offer(removing: ["a=fingerprint"]), .missingFingerprint(mid: "0"))
        expectAnswerError(try offer("firefox-offer", removing: ["a=fingerprint"]), .missingFingerprint(mid: "0"))
        expectAnswerError(try offer(removing: ["a=ice-ufrag"]), .missingICECredentials(mid: "0"))
        expectAnswerError(try offer(removing: ["a=ice-pwd"]), .missingICECredentials(mid: "0"))
        expectAnswerError(try offer(removing: ["a=rtcp-mux"]), .missingRTCPMux(mid: "0"))
        expectAnswerError(try offer(removing: ["a=group:BUNDLE"]), .missingBundle)
        expectAnswerError(try offer(removing: ["a=mid:"]), .missingMid(mLineIndex: 0))
        expectAnswerError(try offer(removing: ["a=rtpmap:111", "a=rtpmap:96"]), .noCommonCodec(mid: nil))

        var holdconn = try SDPFixture.parsed("chromium-offer")
        holdconn.media[0].setup = .holdconn
        expectAnswerError(holdconn, .setupConflict(offer: .holdconn, answer: nil))

        var unbundled = try SDPFixture.parsed("chromium-offer")
        unbundled.groups = [SDPGroup(semantics: "BUNDLE", mids: ["0"])]
        expectAnswerError(unbundled, .missingBundle)
    }

    @Test func answerWithOnlyOneCommonMediumRejectsTheOther() throws {
        // No Opus: audio is rejected, video still accepted.
        let offer = try offer(removing: ["a=rtpmap:111"])
        let answer = try SDPNegotiator.makeAnswer(to: offer, local: .kiosk(), sessionID: 1, version: 1)
        #expect(answer.media.map(\.port) == [0, 9])
        #expect(answer.bundleGroup?.mids == ["1"])
        let s = try SDPNegotiator.negotiated(local: answer, remote: offer, weAreOfferer: false)
        #expect(s.audio == nil)
        #expect(s.video?.payloadType == 96)
        #expect(s.bundleMid == "1")
        #expect(s.bundleMLineIndex == 1)
    }

    @Test func negotiatedErrors() throws {
        let offer = SDPNegotiator.makeOffer(.kiosk(), sessionID: 1, version: 1)
        let answer = try SDPNegotiator.makeAnswer(to: offer, local: .clinician(), sessionID: 2, version: 1)

        var activeOffer = offer
        activeOffer.media[0].setup = .active
        #expect(throws: SDPError.setupConflict(offer: .active, answer: .active)) {
            try SDPNegotiator.negotiated(local: activeOffer, remote: answer, weAreOfferer: true)
        }
        var passiveAnswer = answer
        passiveAnswer.media[0].setup = .passive
        #expect(try SDPNegotiator.negotiated(local: activeOffer, remote: passiveAnswer, weAreOfferer: true).dtlsRole == .client)
        #expect(try SDPNegotiator.negotiated(local: passiveAnswer, remote: activeOffer, weAreOfferer: false).dtlsRole == .server)
        var actpassAnswer = answer
        actpassAnswer.media[0].setup = .actpass
        #expect(throws: SDPError.setupConflict(offer: .actpass, answer: .actpass)) {
            try SDPNegotiator.negotiated(local: offer, remote: actpassAnswer, weAreOfferer: true)
        }
        var noBundle = answer
        noBundle.groups = []
        #expect(throws: SDPError.missingBundle) {
            try SDPNegotiator.negotiated(local: offer, remote: noBundle, weAreOfferer: true)
        }
        var short = answer
        short.media.removeLast()
        #expect(throws: SDPError.mediaMismatch(mLineIndex: 1)) {
            try SDPNegotiator.negotiated(local: offer, remote: short, weAreOfferer: true)
        }
        var noFingerprint = answer
        for i in noFingerprint.media.indices { noFingerprint.media[i].fingerprints = [] }
        #expect(throws: SDPError.missingFingerprint(mid: "0")) {
            try SDPNegotiator.negotiated(local: offer, remote: noFingerprint, weAreOfferer: true)
        }
        var noMux = answer
        noMux.media[1].rtcpMux = false
        #expect(throws: SDPError.missingRTCPMux(mid: "1")) {
            try SDPNegotiator.negotiated(local: offer, remote: noMux, weAreOfferer: true)
        }
        var h264 = answer
        h264.media[1].rtpmaps = [SDPRtpMap(payloadType: 96, encodingName: "H264", clockRate: 90000)]
        #expect(throws: SDPError.noCommonCodec(mid: "1")) {
            try SDPNegotiator.negotiated(local: offer, remote: h264, weAreOfferer: true)
        }
    }
}

