import DTLS
import ICE
import SDP
import SessionCore

/// Offer/answer (JSEP subset) and trickled candidates.
extension Peer {
    /// Makes our offer (we become the ICE controlling agent, DTLS `actpass`). Once a call is
    /// negotiated this is a subsequent offer that continues it (`iceRestart`: with new ICE
    /// credentials, see `Peer+Restart.swift`); before, `iceRestart` changes nothing.
    public func createOffer(iceRestart: Bool = false, at now: Instant) -> String {
        if negotiated != nil { return createSubsequentOffer(iceRestart: iceRestart, now) }
        isOfferer = true
        ice = ICEAgent(config: configuration.ice, credentials: localCredentials, isControlling: true, random: random.split())
        let offer = SDPNegotiator.makeOffer(localParameters, sessionID: random.next() >> 2, version: 2)
        localDescription = offer
        gather(now)
        return offer.serialized()
    }

    /// Applies the remote offer and returns our answer.
    /// Once a call is negotiated, the offer must continue it (`acceptSubsequentOffer`): an ICE
    /// restart if its credentials changed; anything else is refused with `.notThisCall` and
    /// the call goes on untouched.
    public func acceptOffer(_ sdp: String, at now: Instant) throws(PeerError) -> String {
        let remote: SessionDescription
        do {
            remote = try SessionDescription.parse(sdp)
        } catch {
            throw .sdp(error)
        }
        if negotiated != nil { return try acceptSubsequentOffer(remote, now) }
        isOfferer = false
        let answer: SessionDescription
        let session: NegotiatedSession
        do {
            answer = try SDPNegotiator.makeAnswer(to: remote, local: localParameters, sessionID: random.next() >> 2, version: 2)
            session = try SDPNegotiator.negotiated(local: answer, remote: remote, weAreOfferer: false)
        } catch {
            throw .sdp(error)
        }
        localDescription = answer
        try apply(session, now)
        gather(now)
        drain(now)
        return answer.serialized()
    }

    /// Applies the remote answer to our offer.
    public func acceptAnswer(_ sdp: String, at now: Instant) throws(PeerError) {
        if let offer = pendingOffer {
            try acceptSubsequentAnswer(sdp, to: offer, now)
            return
        }
        guard isOfferer, let offer = localDescription else { throw .badState("no offer to answer") }
        guard negotiated == nil else { throw .badState("answer already applied") }
        do {
            let remote = try SessionDescription.parse(sdp)
            let session = try SDPNegotiator.negotiated(local: offer, remote: remote, weAreOfferer: true)
            try apply(session, now)
        } catch let error as SDPError {
            throw .sdp(error)
        } catch let error as PeerError {
            throw error
        } catch {
            throw .badState("\(error)")
        }
        drain(now)
    }

    /// A trickled remote candidate. Unusable ones (TCP, unresolvable mDNS) are ignored, never
    /// fatal: returns whether it was used.
    @discardableResult
    public func addRemoteCandidate(_ text: String, at now: Instant) -> Bool {
        defer { drain(now) }
        guard let candidate = try? ICECandidate(sdpAttribute: text) else { return false }
        // Mid-call, a candidate of another ICE generation than the agent's may belong to a
        // restart whose description has not been applied yet (trickle can overtake it): kept
        // until that description arrives (`applyRemoteICE`), bounded like the agent's list.
        if negotiated != nil, let ufrag = candidate.ufrag, ufrag != ice.remoteCredentials?.ufrag {
            if laterCandidates.count < ICEAgent.maxRemoteCandidates { laterCandidates.append(candidate) }
            return true
        }
        ice.addRemoteCandidate(candidate, at: now)
        return true
    }

    /// The link's answer for a name the remote's candidates used (`.resolveHostName`).
    public func hostNameResolved(_ name: String, to ip: TransportAddress.IP, at now: Instant) {
        ice.hostNameResolved(name, to: ip, at: now)
        drain(now)
    }

    /// No answer for the name: its candidates are dropped.
    public func hostNameUnresolved(_ name: String, at now: Instant) {
        ice.hostNameUnresolved(name, at: now)
        drain(now)
    }

    public func remoteEndOfCandidates(at now: Instant) {
        ice.remoteEndOfCandidates(at: now)
        drain(now)
    }

    func gather(_ now: Instant) {
        for address in localAddresses {
            ice.addLocalHost(address, at: now)
        }
    }

    func apply(_ session: NegotiatedSession, _ now: Instant) throws(PeerError) {
        negotiated = session
        connectDeadline = now + configuration.connectTimeout
        ice.setRemoteCredentials(ufrag: session.remoteICEUfrag, pwd: session.remoteICEPwd, at: now)
        for text in session.remoteCandidates {
            if let candidate = try? ICECandidate(sdpAttribute: text) { ice.addRemoteCandidate(candidate, at: now) }
        }
        if session.remoteEndOfCandidates { ice.remoteEndOfCandidates(at: now) }
        let expected: DTLSFingerprint
        do {
            expected = try DTLSFingerprint(sdpAlgorithm: session.remoteFingerprint.algorithm, bytes: session.remoteFingerprint.bytes)
            dtls = try DTLSEndpoint(role: session.dtlsRole == .client ? .client : .server, certificate: certificate,
                                    expectedRemoteFingerprint: expected,
                                    configuration: .init(mtu: configuration.mtu))
        } catch {
            throw .dtls(error)
        }
        media = PeerStreams(setup: .init(audioSSRC: audioSSRC, videoSSRC: videoSSRC, videoRTXSSRC: videoRTXSSRC, cname: cname,
                                         configuration: configuration),
                            session: session)
        for record in earlyDTLS { dtls?.handleDatagram(record, now: now) }
        earlyDTLS.removeAll()
        startDTLSIfClient(now)
    }

    func startDTLSIfClient(_ now: Instant) {
        guard let dtls, dtls.role == .client, dtls.state == .idle, ice.selectedPair != nil else { return }
        dtls.start(now: now)
    }
}
