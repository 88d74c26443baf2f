import Foundation
@testable import SDP
import Testing

/// Loads the real browser SDPs in Fixtures/sdp.
enum SDPFixture {
    static func url(_ name: String) throws -> URL {
        try #require(Bundle.module.url(forResource: name, withExtension: "sdp", subdirectory: "Fixtures/sdp"))
    }

    static func text(_ name: String) throws -> String {
        try String(contentsOf: url(name), encoding: .utf8)
    }

    static func parsed(_ name: String) throws -> SessionDescription {
        try SessionDescription.parse(text(name))
    }

    static func everyLineEndsInCRLF(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        for (i, b) in bytes.enumerated() where b == 0x0A {
            if i == 0 || bytes[i - 1] != 0x0D { return false }
        }
        return bytes.last == 0x0A
    }

    /// Every `.sdp` fixture's name (without extension), sorted.
    static func allNames() throws -> [String] {
        let dir = try url("chromium-offer").deletingLastPathComponent()
        return try FileManager.default.contentsOfDirectory(atPath: dir.path)
            .filter { $0.hasSuffix(".sdp") }
            .map { String($0.dropLast(4)) }
            .sorted()
    }
}

@Suite struct SDPParserTests {
    @Test func everyFixtureParsesAndRoundTrips() throws {
        let names = try SDPFixture.allNames()
        #expect(names.count >= 11)
        #expect(names.contains("safari-offer"))
        for name in names {
            let sd = try SDPFixture.parsed(name)
            #expect(sd.media.count == 2, "\(name)")
            #expect(sd.media.map(\.mid) == ["0", "1"], "\(name)")
            #expect(sd.media.map(\.kind) == [.audio, .video], "\(name)")
            #expect(sd.bundleGroup?.mids == ["0", "1"], "\(name)")
            #expect(sd.timing == SDPTiming(start: 0, stop: 0), "\(name)")
            let fingerprints = sd.fingerprints + sd.media[0].fingerprints
            #expect(fingerprints.first?.algorithm == "sha-256", "\(name)")
            #expect(fingerprints.first?.bytes.count == 32, "\(name)")
            #expect((sd.media[0].iceUfrag ?? sd.iceUfrag)?.isEmpty == false, "\(name)")
            #expect(sd.media.allSatisfy { $0.rtcpMux }, "\(name)")

            let text = sd.serialized()
            #expect(SDPFixture.everyLineEndsInCRLF(text), "\(name)")
            #expect(text.hasPrefix("v=0\r\no="), "\(name)")
            #expect(text.hasSuffix("\r\n"), "\(name)")
            let again = try SessionDescription.parse(text)
            #expect(again == sd, "\(name) changes when serialized and parsed again")
        }
    }

    @Test func chromiumOfferIsReadIntoTypes() throws {
        let sd = try SDPFixture.parsed("chromium-offer")
        #expect(sd.origin.sessionID == 5730791968028936866)
        #expect(sd.origin.sessionVersion == 2)
        #expect(sd.extmapAllowMixed)
        #expect(sd.msidSemantic == SDPMsidSemantic(semantics: "WMS", identifiers: ["e753a932-1b3f-4cd7-8ffd-36f40875e4a4"]))

        let audio = sd.media[0]
        #expect(audio.port == 60918)
        #expect(audio.proto == "UDP/TLS/RTP/SAVPF")
        #expect(audio.payloadTypes == [111, 63, 9, 0, 8, 13, 110, 126])
        #expect(audio.connection == SDPConnection(netType: "IN", addrType: "IP4", address: "127.0.0.1"))
        #expect(audio.rtcp == "9 IN IP4 0.0.0.0")
        #expect(audio.candidates.count == 2)
        #expect(audio.candidates[0] == "534878971 1 udp 2122260223 127.0.0.1 60918 typ host generation 0 network-id 1 network-cost 50")
        #expect(!audio.endOfCandidates)
        #expect(audio.iceUfrag == "lC4B")
        #expect(audio.icePwd == "jHdr+dSIE8S4LjctgQ8Nb5co")
        #expect(audio.iceOptions == ["trickle"])
        #expect(audio.fingerprints.first?.hex == "E6:90:37:A4:79:A6:DF:7C:C2:65:00:21:CA:07:F1:A0:45:57:5D:CE:28:19:D0:8B:52:E5:ED:76:D1:77:13:C0")
        #expect(audio.setup == .actpass)
        #expect(audio.direction == .sendrecv)
        #expect(audio.rtcpRsize)
        #expect(audio.extmaps.contains(SDPExtmap(id: 4, uri: SDPExtensionURI.mid)))
        #expect(audio.rtpmap(for: 111) == SDPRtpMap(payloadType: 111, encodingName: "opus", clockRate: 48000, channels: 2))
        #expect(audio.fmtp(for: 111)?.parameter("useinbandfec") == "1")
        #expect(audio.fmtp(for: 111)?.parameter("minptime") == "10")
        #expect(audio.rtcpFeedbacks(for: 111) == [SDPRtcpFeedback(payloadType: 111, type: "transport-cc")])
        #expect(audio.msids == [SDPMsid(streamID: "e753a932-1b3f-4cd7-8ffd-36f40875e4a4", trackID: "59b8c850-7bc1-4685-a21a-6ad0dee7727f")])
        #expect(audio.ssrcs.first == SDPSSRCAttribute(ssrc: 1784689516, name: "cname", value: "UE/S+ncHDhMG++vn"))
        // Unknown attributes are kept.
        #expect(audio.otherAttributes.contains(SDPAttribute(name: "rtcp-xr", value: "rcvr-rtt=all")))

        let video = sd.media[1]
        #expect(video.payloadTypes.count == 23)
        #expect(video.rtpmap(for: 96)?.encodingName == "VP8")
        #expect(video.rtpmap(for: 97)?.encodingName == "rtx")
        #expect(video.fmtp(for: 97)?.parameter("apt") == "96")
        #expect(SDPFeedbackSet(video.rtcpFeedbacks(for: 96)) == [.nack, .pli, .fir, .remb, .transportCC])
        #expect(video.ssrcGroups == [SDPSSRCGroup(semantics: "FID", ssrcs: [3825171726, 2765037669])])
        #expect(video.ssrcList == [3825171726, 2765037669])
    }

    @Test func firefoxOfferKeepsSessionLevelAttributesAndExtmapDirections() throws {
        let sd = try SDPFixture.parsed("firefox-offer")
        #expect(sd.origin.username == "mozilla...THIS_IS_SDPARTA-99.0")
        #expect(sd.direction == .sendrecv)
        #expect(sd.fingerprints.first?.bytes.prefix(2) == [0x8B, 0x8F])
        #expect(sd.iceOptions == ["trickle"])
        #expect(sd.msidSemantic == SDPMsidSemantic(semantics: "WMS", identifiers: ["*"]))
        let audio = sd.media[0]
        #expect(audio.candidates.count == 8)
        #expect(audio.endOfCandidates)
        #expect(audio.extmaps.contains(SDPExtmap(id: 2, direction: .recvonly, uri: "urn:ietf:params:rtp-hdrext:csrc-audio-level")))
        #expect(audio.fmtp(for: 101)?.parameters == "0-15")
        #expect(audio.rtpmap(for: 9)?.channels == 1)
        #expect(audio.rtcp == "36412 IN IP4 127.0.0.1")
        #expect(audio.iceUfrag == "45a16f90")
        let video = sd.media[1]
        #expect(video.extmaps.contains(SDPExtmap(id: 6, direction: .recvonly, uri: "http://www.webrtc.org/experiments/rtp-hdrext/playout-delay")))
        #expect(video.ssrcGroups.first?.ssrcs == [712848951, 1163672744])
    }

    @Test func trickleVariantsCarryNoCandidates() throws {
        for name in ["chromium-offer-trickle", "firefox-offer-trickle", "chromium-answer-trickle", "firefox-answer-trickle"] {
            let sd = try SDPFixture.parsed(name)
            #expect(sd.media.allSatisfy { $0.candidates.isEmpty }, "\(name)")
            #expect(sd.media[0].port == 9, "\(name)")
        }
    }

    @Test func bareLineFeedsParseTheSameAsCRLF() throws {
        for name in try SDPFixture.allNames() {
            let crlf = try SDPFixture.text(name)
            let lf = crlf.replacingOccurrences(of: "\r\n", with: "\n")
            #expect(!lf.contains("\r"))
            #expect(try SessionDescription.parse(lf) == SessionDescription.parse(crlf), "\(name)")
        }
    }

    @Test func serializedLinesFollowRFC8866Order() throws {
        let text = try SDPFixture.parsed("firefox-offer").serialized()
        let lines = text.components(separatedBy: "\r\n").dropLast()
        #expect(lines.allSatisfy { !$0.contains("\n") && !$0.contains("\r") })
        #expect(Array(lines.prefix(4).map { $0.prefix(2) }) == ["v=", "o=", "s=", "t="])
        // Within each section: m=, then c=, then attributes.
        var sections: [[String]] = [[]]
        for line in lines {
            if line.hasPrefix("m=") { sections.append([]) }
            sections[sections.count - 1].append(line)
        }
        #expect(sections.count == 3)
        for section in sections.dropFirst() {
            #expect(section[0].hasPrefix("m="))
            #expect(section[1].hasPrefix("c="))
            #expect(section.dropFirst(2).allSatisfy { $0.hasPrefix("a=") })
            // Browser order: candidates before ICE credentials before mid before rtpmap.
            let firstCandidate = try #require(section.firstIndex { $0.hasPrefix("a=candidate:") })
            let ufrag = try #require(section.firstIndex { $0.hasPrefix("a=ice-ufrag:") })
            let mid = try #require(section.firstIndex { $0.hasPrefix("a=mid:") })
            let rtpmap = try #require(section.firstIndex { $0.hasPrefix("a=rtpmap:") })
            #expect(firstCandidate < ufrag && ufrag < mid && mid < rtpmap)
        }
        // Per codec: rtpmap, then its rtcp-fb, then its fmtp.
        let vp8 = try #require(lines.firstIndex(of: "a=rtpmap:120 VP8/90000"))
        #expect(lines[vp8 + 1] == "a=rtcp-fb:120 nack")
        #expect(lines[vp8 + 6] == "a=fmtp:120 max-fs=12288;max-fr=60")
    }

    @Test func applicationSectionsAndUnknownLinesAreTolerated() throws {
        let text = try SDPFixture.text("chromium-offer")
            .replacingOccurrences(of: "a=group:BUNDLE 0 1", with: "a=group:BUNDLE 0 1 2")
            + "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\ni=data\r\n"
            + "a=mid:2\r\na=sctp-port:5000\r\na=max-message-size:262144\r\na=x-custom\r\n"
        let sd = try SessionDescription.parse(text)
        let app = try #require(sd.media.last)
        #expect(app.kind == .application)
        #expect(app.formats == ["webrtc-datachannel"])
        #expect(app.payloadTypes.isEmpty)
        #expect(app.otherLines == [SDPOtherLine(type: "i", value: "data")])
        #expect(app.otherAttributes == [SDPAttribute(name: "sctp-port", value: "5000"),
                                        SDPAttribute(name: "max-message-size", value: "262144"),
                                        SDPAttribute(name: "x-custom")])
        #expect(try SessionDescription.parse(sd.serialized()) == sd)
    }

    @Test func fingerprintTextRoundTrips() throws {
        let f = try #require(SDPFingerprint("SHA-1 0a:FF:10"))
        #expect(f.algorithm == "sha-1")
        #expect(f.bytes == [0x0A, 0xFF, 0x10])
        #expect(f.value == "sha-1 0A:FF:10")
        #expect(SDPFingerprint("sha-256 0A:F") == nil)
        #expect(SDPFingerprint("sha-256 0A::FF") == nil)
        #expect(SDPFingerprint("sha-256") == nil)
        #expect(SDPFingerprint("sha-256 ZZ") == nil)
    }
}
