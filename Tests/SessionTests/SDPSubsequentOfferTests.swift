@testable import SDP
import Testing

/// Subsequent offers and answers (RFC 8829 §5.2.2, §5.3.2): what an ICE restart changes in the
/// description (ufrag and pwd) and what it must keep (fingerprint, SSRCs, mids, codecs).
@Suite struct SDPSubsequentOfferTests {
    static func media(_ sd: SessionDescription) -> [(mid: String?, ssrcs: [UInt32], formats: [String], fingerprints: [SDPFingerprint])] {
        sd.media.map { ($0.mid, $0.ssrcList, $0.formats, $0.fingerprints) }
    }

    @Test func aReofferKeepsFingerprintSSRCsAndMidsAndChangesUfragAndPwd() throws {
        let first = SDPNegotiator.makeOffer(.kiosk(candidates: ["candidate:1 1 udp 2122260223 10.0.0.1 5000 typ host"]),
                                            sessionID: 7, version: 2)
        let re = SDPNegotiator.makeSubsequentOffer(continuing: first, iceUfrag: "nEwU", icePwd: "newpasswordnewpassword12",
                                                   dtlsRole: .server)
        // Through text, as the remote side would see it.
        let parsed = try SessionDescription.parse(re.serialized())
        #expect(parsed.origin.sessionID == 7 && parsed.origin.sessionVersion == 3, "same session, next version (RFC 3264 §8)")
        let was = Self.media(first), now = Self.media(parsed)
        #expect(now.count == 2 && now.map(\.mid) == was.map(\.mid) && now.map(\.mid) == ["0", "1"])
        #expect(now.map(\.ssrcs) == was.map(\.ssrcs) && now.map(\.ssrcs) == [[1111], [2222, 2223]])
        #expect(now.map(\.formats) == was.map(\.formats))
        #expect(now.map(\.fingerprints) == was.map(\.fingerprints))
        #expect(parsed.media.allSatisfy { $0.iceUfrag == "nEwU" && $0.icePwd == "newpasswordnewpassword12" })
        #expect(first.media.allSatisfy { $0.iceUfrag == "kiOs" })
        #expect(parsed.media.allSatisfy { $0.candidates.isEmpty && $0.setup == .actpass }, "candidates are trickled again")
        #expect(parsed.bundleGroup?.mids == ["0", "1"])
        // A DTLS client keeps its role: it offers active.
        let client = SDPNegotiator.makeSubsequentOffer(continuing: first, iceUfrag: "nEwU", icePwd: "newpasswordnewpassword12",
                                                       dtlsRole: .client)
        #expect(client.media.allSatisfy { $0.setup == .active })
    }

    @Test func theAnswerToAReofferKeepsTheDTLSRole() throws {
        let offer = SDPNegotiator.makeOffer(.clinician(), sessionID: 9, version: 2)
        let answer = try SDPNegotiator.makeAnswer(to: offer, local: .kiosk(), sessionID: 42, version: 2)
        let first = try SDPNegotiator.negotiated(local: answer, remote: offer, weAreOfferer: false)
        #expect(first.dtlsRole == .client)
        // The clinician restarts ICE (actpass again): the kiosk stays the client.
        let re = SDPNegotiator.makeSubsequentOffer(continuing: offer, iceUfrag: "nEwC", icePwd: "newcliniciannewclinician", dtlsRole: .server)
        var local = SDPLocalParameters.kiosk()
        local.iceUfrag = "nEwK"
        let reanswer = try SDPNegotiator.makeSubsequentAnswer(to: re, local: local, continuing: answer, dtlsRole: .client)
        let session = try SDPNegotiator.negotiated(local: reanswer, remote: re, weAreOfferer: false)
        #expect(session.dtlsRole == .client && session.remoteICEUfrag == "nEwC")
        #expect(reanswer.origin.sessionID == 42 && reanswer.origin.sessionVersion == 3)
        #expect(reanswer.media.allSatisfy { $0.setup == .active && $0.iceUfrag == "nEwK" })
        // A DTLS server answering actpass stays the server (passive); an offer that would make
        // it the client cannot keep the association.
        let server = try SDPNegotiator.makeSubsequentAnswer(to: re, local: local, continuing: answer, dtlsRole: .server)
        #expect(server.media.allSatisfy { $0.setup == .passive })
        var swap = re
        for i in swap.media.indices { swap.media[i].setup = .passive }
        #expect(throws: SDPError.setupConflict(offer: .passive, answer: .passive)) {
            try SDPNegotiator.makeSubsequentAnswer(to: swap, local: local, continuing: answer, dtlsRole: .server)
        }
    }
}
