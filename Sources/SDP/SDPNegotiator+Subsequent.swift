/// Offer/answer after the first (RFC 8829 §5.2.2, §5.3.2; RFC 3264 §8): the call goes on with
/// the same DTLS association, SRTP keys, SSRCs, mids and codecs; only ICE may change. An ICE
/// restart (RFC 8445 §9, RFC 8839 §4.4.1.1.1) is exactly a subsequent offer with new
/// `a=ice-ufrag`/`a=ice-pwd`.
extension SDPNegotiator {
    /// A subsequent offer that continues `current`, our last applied local description (offer
    /// or answer): the same session id with the version bumped, the same m-sections (rejected
    /// ones stay rejected), fingerprint, SSRCs, mids, payload types and extensions; the ICE
    /// credentials given (new ones restart ICE). Candidates are left out: they are trickled
    /// again. `dtlsRole` is the role we already hold: a DTLS client offers `active`, a server
    /// `actpass` (the answerer then stays the client), so the association survives whatever
    /// role the answerer would pick on its own (RFC 8842 §5).
    public static func makeSubsequentOffer(continuing current: SessionDescription, iceUfrag: String, icePwd: String,
                                           dtlsRole: NegotiatedSession.DTLSRole) -> SessionDescription {
        var sd = current
        sd.origin.sessionVersion &+= 1
        if sd.iceUfrag != nil { sd.iceUfrag = iceUfrag }
        if sd.icePwd != nil { sd.icePwd = icePwd }
        sd.setup = nil
        for i in sd.media.indices where !sd.media[i].isRejected {
            sd.media[i].iceUfrag = iceUfrag
            sd.media[i].icePwd = icePwd
            sd.media[i].setup = dtlsRole == .client ? .active : .actpass
            sd.media[i].candidates = []
            sd.media[i].endOfCandidates = false
            sd.media[i].port = 9
            sd.media[i].connection = SDPConnection()
        }
        return sd
    }

    /// Our answer to a subsequent offer: as `makeAnswer`, but keeping the DTLS role we hold
    /// (an `actpass` offer is answered `passive` by a DTLS server) and continuing our session
    /// id and version. An offer that would swap the roles cannot keep the association:
    /// `setupConflict`.
    public static func makeSubsequentAnswer(to offer: SessionDescription, local: SDPLocalParameters,
                                            continuing current: SessionDescription,
                                            dtlsRole: NegotiatedSession.DTLSRole) throws(SDPError) -> SessionDescription {
        var sd = try makeAnswer(to: offer, local: local, sessionID: current.origin.sessionID,
                                version: current.origin.sessionVersion &+ 1)
        let held: SDPSetup = dtlsRole == .client ? .active : .passive
        for i in sd.media.indices where !sd.media[i].isRejected {
            let offered = i < offer.media.count ? (offer.media[i].setup ?? offer.setup) : nil
            switch (offered ?? .active, held) {
            case (.actpass, _), (.active, .passive), (.passive, .active): sd.media[i].setup = held
            default: throw .setupConflict(offer: offered, answer: held)
            }
        }
        return sd
    }
}
