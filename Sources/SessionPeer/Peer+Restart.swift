import ICE
import SDP
import SessionCore
import STUN

/// Subsequent offer/answer and ICE restart (RFC 8445 §9, RFC 8839 §4.4.1.1.1): the call keeps
/// its DTLS association, SRTP keys, SSRCs, mids, codecs and fingerprint; only the ICE
/// credentials, candidates and the selected pair change. While the new checks run, media keeps
/// going on the old pair if it still works; once a new pair is selected everything goes there
/// (`ICEAgent.sendData` follows the selection), and DTLS does not handshake again.
///
/// The restarting side's flow: `.iceRestartNeeded` → `createOffer(iceRestart: true)` → the
/// remote's answer → `acceptAnswer` → `.iceRestarted`. The other side: its `acceptOffer` sees
/// new remote credentials, restarts with new local ones and answers.
extension Peer {
    /// The driver's local addresses changed (an interface came or went): the sockets are
    /// rebound, and an established call needs an ICE restart (reported as
    /// `.iceRestartNeeded(.localAddressesChanged)`), whose new host candidates are these.
    public func setLocalAddresses(_ addresses: [TransportAddress], at now: Instant) {
        defer { drain(now) }
        guard addresses != localAddresses else { return }
        localAddresses = addresses
        // Before negotiation the first gathering uses them; while connecting, ICE is still
        // checking and the restart can wait for the connection (then it is reported).
        guard negotiated != nil else { return }
        if security != nil, !failed { emit(.localAddressesChanged) }
        restartNeeded(.localAddressesChanged)
    }

    /// The application wants a restart now (an operator, the demo's `--ice-restart-after`):
    /// reported as `.iceRestartNeeded(.requested)` so it takes the same path as a network change.
    public func requestICERestart(at now: Instant) {
        restartNeeded(.requested)
        drain(now)
    }

    /// Reports the need once, for an established call (a restart before DTLS finished would
    /// race the handshake; the connect timeout covers that time).
    func restartNeeded(_ reason: PeerRestartReason) {
        guard security != nil, !failed, !restartInFlight, !restartNeededReported else { return }
        restartNeededReported = true
        emit(.iceRestartNeeded(reason))
    }

    /// JSEP §5.2.2: the current local description again, version bumped; new ICE credentials
    /// when restarting (we become the controlling agent, as the restart's offerer).
    func createSubsequentOffer(iceRestart: Bool, _ now: Instant) -> String {
        guard let current = localDescription, let dtls else { return localDescription?.serialized() ?? "" }
        if iceRestart { beginRestart(isControlling: true, now) }
        let offer = SDPNegotiator.makeSubsequentOffer(continuing: current, iceUfrag: localCredentials.ufrag,
                                                      icePwd: localCredentials.pwd, dtlsRole: dtls.role == .client ? .client : .server)
        pendingOffer = offer
        drain(now)
        return offer.serialized()
    }

    /// The remote's subsequent offer. Checked to continue this call before anything changes;
    /// new remote credentials mean an ICE restart (we restart too, with new local ones, as the
    /// controlled agent); the same credentials change nothing in ICE.
    func acceptSubsequentOffer(_ remote: SessionDescription, _ now: Instant) throws(PeerError) -> String {
        guard let current = localDescription, let previous = negotiated, let dtls else {
            throw .badState("no call to continue")
        }
        let role: NegotiatedSession.DTLSRole = dtls.role == .client ? .client : .server
        let restart = remoteCredentialsChanged(remote, previous)
        let credentials = restart ? Peer.freshCredentials(&random) : localCredentials
        var parameters = localParameters
        parameters.iceUfrag = credentials.ufrag
        parameters.icePwd = credentials.pwd
        let answer: SessionDescription
        let session: NegotiatedSession
        do {
            answer = try SDPNegotiator.makeSubsequentAnswer(to: remote, local: parameters, continuing: current, dtlsRole: role)
            session = try SDPNegotiator.negotiated(local: answer, remote: remote, weAreOfferer: false)
        } catch {
            throw .sdp(error)
        }
        try checkContinues(session, previous)
        // Glare: the remote's offer wins over ours still unanswered; its answer is refused later.
        pendingOffer = nil
        isOfferer = false
        localDescription = answer
        negotiated = session
        if restart {
            localCredentials = credentials
            beginRestart(isControlling: false, now, credentialsReady: true)
            applyRemoteICE(session, now)
        }
        drain(now)
        return answer.serialized()
    }

    /// The answer to our subsequent offer: checked like an offer, then the remote's new ICE
    /// credentials and candidates go to the agent (when they changed).
    func acceptSubsequentAnswer(_ sdp: String, to offer: SessionDescription, _ now: Instant) throws(PeerError) {
        guard let previous = negotiated else { throw .badState("no call to continue") }
        let session: NegotiatedSession
        do {
            let remote = try SessionDescription.parse(sdp)
            session = try SDPNegotiator.negotiated(local: offer, remote: remote, weAreOfferer: true)
        } catch {
            throw .sdp(error)
        }
        try checkContinues(session, previous)
        pendingOffer = nil
        isOfferer = true
        localDescription = offer
        negotiated = session
        if restartInFlight || session.remoteICEUfrag != previous.remoteICEUfrag || session.remoteICEPwd != previous.remoteICEPwd {
            applyRemoteICE(session, now)
        }
        drain(now)
    }

    func remoteCredentialsChanged(_ remote: SessionDescription, _ previous: NegotiatedSession) -> Bool {
        guard let tag = remote.media.first(where: { $0.mid == previous.bundleMid }) ?? remote.media.first else { return false }
        let ufrag = tag.iceUfrag ?? remote.iceUfrag
        let pwd = tag.icePwd ?? remote.icePwd
        return ufrag != previous.remoteICEUfrag || pwd != previous.remoteICEPwd
    }

    /// Refuses a description that is not this call's: the DTLS association (fingerprint and
    /// role) and the streams (mids, codecs, payload types) must stay as they are.
    func checkContinues(_ session: NegotiatedSession, _ previous: NegotiatedSession) throws(PeerError) {
        guard session.remoteFingerprint == previous.remoteFingerprint else { throw .notThisCall("another DTLS certificate") }
        guard session.dtlsRole == previous.dtlsRole else { throw .notThisCall("the DTLS roles would swap") }
        guard session.bundleMid == previous.bundleMid else { throw .notThisCall("another BUNDLE transport") }
        func same(_ a: NegotiatedMedia?, _ b: NegotiatedMedia?) -> Bool {
            a?.mid == b?.mid && a?.payloadType == b?.payloadType && a?.codec == b?.codec
        }
        guard same(session.audio, previous.audio), same(session.video, previous.video) else {
            throw .notThisCall("other media sections or codecs")
        }
    }

    /// New local credentials (unless the caller already chose them) and a new ICE generation
    /// gathered from the current local addresses and the configured servers.
    func beginRestart(isControlling: Bool, _ now: Instant, credentialsReady: Bool = false) {
        if !credentialsReady { localCredentials = Peer.freshCredentials(&random) }
        ice.restart(newUfrag: localCredentials.ufrag, newPwd: localCredentials.pwd, isControlling: isControlling,
                    localHosts: localAddresses, at: now)
        restartInFlight = true
        restartNeededReported = false
        transportStats.iceRestarts += 1
    }

    func applyRemoteICE(_ session: NegotiatedSession, _ now: Instant) {
        ice.setRemoteCredentials(ufrag: session.remoteICEUfrag, pwd: session.remoteICEPwd, at: now)
        for text in session.remoteCandidates {
            if let candidate = try? ICECandidate(sdpAttribute: text) { ice.addRemoteCandidate(candidate, at: now) }
        }
        for candidate in laterCandidates where candidate.ufrag == session.remoteICEUfrag {
            ice.addRemoteCandidate(candidate, at: now)
        }
        laterCandidates.removeAll()
        if session.remoteEndOfCandidates { ice.remoteEndOfCandidates(at: now) }
    }

    /// ufrag and pwd as the first ones were made (RFC 8839 §5.4 ice-chars, from `random`).
    static func freshCredentials(_ random: inout STUNRandom) -> ICECredentials {
        ICECredentials(ufrag: token(&random, length: 8), pwd: token(&random, length: 24))
    }
}
