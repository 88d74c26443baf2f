import SessionCore
import STUN

/// Regular nomination (§8.1.1), selection, and the connection state.
extension ICEAgent {
    /// The controlling agent nominates the best valid pair once nothing better is still
    /// pending, or `nominationDelay` after the first valid pair.
    mutating func serviceNomination(_ now: Instant) {
        guard isControlling, !nominationInFlight, !checkListDone, let first = firstValidAt else { return }
        guard let best = pairs.indices.filter({ pairs[$0].valid }).max(by: { pairs[$0].priority < pairs[$1].priority })
        else {
            firstValidAt = nil
            return
        }
        let betterPending = pairs.contains {
            $0.inCheckList && $0.priority > pairs[best].priority
                && ($0.state == .waiting || $0.state == .frozen || $0.state == .inProgress)
        }
        guard !betterPending || now >= first + config.nominationDelay else { return }
        nominationInFlight = true
        enqueueTriggered(best, useCandidate: true)
    }

    /// Marks valid pair `v` nominated and selects the best nominated pair.
    mutating func nominatePair(_ v: Int, at now: Instant) {
        pairs[v].nominated = true
        checkListDone = true
        // §8.1.2: no new checks, and lower-priority checks in progress stop retransmitting.
        for (id, c) in checks where !c.isConsent && c.timer != nil {
            if let p = c.pair, p != v, pairs[p].priority < pairs[v].priority {
                checks[id]?.timer = nil
                checks[id]?.expiresAt = now + config.checkRetransmit.maxRTO
                if pairs[p].state == .inProgress { pairs[p].state = .failed }
            }
        }
        guard let best = pairs.indices.filter({ pairs[$0].nominated && pairs[$0].valid })
            .max(by: { pairs[$0].priority < pairs[$1].priority }) else { return }
        let path = path(of: pairs[best])
        if let s = selected, s.path == path, s.generation == generation, s.priority >= pairs[best].priority { return }
        guard let remote = remoteCredentials else { return }
        let local = locals[pairs[best].local]
        selected = ICESelection(path: path, local: local.candidate, remote: remotes[pairs[best].remote].candidate,
                                priority: pairs[best].priority, generation: generation,
                                username: "\(remote.ufrag):\(localCredentials.ufrag)",
                                remoteKey: STUNKey.shortTerm(password: remote.pwd),
                                consentPriority: ICEPriority.candidate(.prflx, localPreference: local.localPreference),
                                lastResponseAt: now, nextConsentAt: now + consentInterval(), lastHeardAt: now)
        previousLocalCredentials = nil
        if let k = path.relay {
            // ChannelData from here on: 4 bytes of overhead instead of 36.
            relays[k].client.bindChannel(to: path.remote, at: now)
            drainRelay(k, at: now)
        }
        emit(.event(.selectedPair(local: local.candidate, remote: remotes[pairs[best].remote].candidate)))
        setState(.connected)
    }

    /// §8.1.2 and W3C: `completed` once nominated and nothing is left to check; `failed` when
    /// every pair failed after both sides finished gathering.
    mutating func updateState(_ now: Instant) {
        let checking = !triggered.isEmpty || checks.values.contains { !$0.isConsent && $0.timer != nil }
        if selected != nil {
            if state == .connected, remoteEnded, gatheringCompleteSent, !checking { setState(.completed) }
            return
        }
        guard state != .failed, state != .closed else { return }
        let allFailed = pairs.allSatisfy { !$0.inCheckList || $0.state == .failed }
        // A name still being resolved may yet give a pair.
        if remoteEnded, gatheringCompleteSent, remoteCredentials != nil, allFailed, !checking, unresolved.isEmpty,
           !pairs.contains(where: \.valid) {
            setState(.failed)
        }
    }
}
