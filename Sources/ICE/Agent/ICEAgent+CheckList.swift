import SessionCore
import STUN

/// The check list: pair formation (§6.1.2), pacing with Ta (§6.1.4.2), triggered checks,
/// retransmissions and failures (§7.2.5.2).
extension ICEAgent {
    /// Host candidates (unless relay-only) and relay candidates form pairs; srflx share their
    /// base's pairs (§6.1.2.4), prflx come only from checks.
    func formsPairs(_ local: ICELocal) -> Bool {
        local.pairable && (config.transportPolicy == .all || local.candidate.kind == .relay)
    }

    func pairPriority(local: Int, remote: Int) -> UInt64 {
        let l = locals[local].candidate.priority
        let r = remotes[remote].candidate.priority
        return isControlling ? ICEPriority.pair(controlling: l, controlled: r) : ICEPriority.pair(controlling: r, controlled: l)
    }

    /// Adds (local, remote) when the families match and it is new. Returns its index.
    /// `proven`: a check came in on this path, so it works whatever the addresses say.
    @discardableResult
    mutating func formPair(local: Int, remote: Int, inCheckList: Bool = true, proven: Bool = false, at now: Instant) -> Int? {
        if let existing = pairs.firstIndex(where: { $0.local == local && $0.remote == remote }) { return existing }
        let l = locals[local]
        let r = remotes[remote]
        // From a signalled candidate, a loopback socket is paired only with loopback addresses
        // and the others only with the rest (the kiosk binds 127.0.0.1 too, for a clinician on
        // the same machine): across machines such a pair's check can only time out, and it
        // held the LAN pair behind it back for 9.5 s. On one machine a host address does reach
        // 127.0.0.1, and the peer's check proves it (Chromium checks from its LAN socket).
        guard l.address.isIPv4 == r.address.isIPv4, proven || l.relay != nil || l.address.isLoopback == r.address.isLoopback,
              pairs.count < Self.maxPairs else { return nil }
        pairs.append(ICEPair(local: local, remote: remote, priority: pairPriority(local: local, remote: remote),
                             foundation: l.candidate.foundation + ":" + r.candidate.foundation, inCheckList: inCheckList))
        if let k = l.relay {
            // RFC 8656 §9: the server drops relayed traffic to a peer without a permission.
            relays[k].client.createPermission(for: r.address, at: now)
            drainRelay(k, at: now)
        }
        return pairs.count - 1
    }

    /// After a role switch every pair priority changes (§7.2.5.1, §7.3.1.1).
    mutating func recomputePriorities() {
        for i in pairs.indices { pairs[i].priority = pairPriority(local: pairs[i].local, remote: pairs[i].remote) }
    }

    mutating func switchRole() {
        isControlling.toggle()
        recomputePriorities()
        emit(.event(.roleChanged(isControlling: isControlling)))
    }

    // MARK: - Scheduling

    /// Is there a check the pacer could send now?
    var hasCheckWork: Bool {
        guard remoteCredentials != nil else { return false }
        if !triggered.isEmpty { return true }
        guard !checkListDone else { return false }
        // Must agree with `nextCheck`, or the deadline would say "now" forever.
        var busy = Set<String>()
        var frozen = Set<String>()
        for p in pairs where p.inCheckList {
            switch p.state {
            case .waiting: return true
            case .inProgress: busy.insert(p.foundation)
            case .frozen: frozen.insert(p.foundation)
            case .succeeded, .failed: continue
            }
        }
        return !frozen.isSubset(of: busy)
    }

    /// §6.1.4.2: with no Waiting pair, unfreeze the best Frozen pair of every foundation that
    /// has nothing Waiting or In-Progress.
    mutating func unfreeze() {
        var busy = Set<String>()
        for p in pairs where p.inCheckList && (p.state == .waiting || p.state == .inProgress) { busy.insert(p.foundation) }
        let frozen = pairs.indices.filter { pairs[$0].inCheckList && pairs[$0].state == .frozen }
            .sorted { pairs[$0].priority > pairs[$1].priority }
        for i in frozen where !busy.contains(pairs[i].foundation) {
            busy.insert(pairs[i].foundation)
            pairs[i].state = .waiting
        }
    }

    /// The next check to send: the triggered queue first, else the best Waiting pair.
    mutating func nextCheck() -> ICETriggered? {
        while !triggered.isEmpty {
            let t = triggered.removeFirst()
            // A cancelled check's late answer may have succeeded the pair meanwhile.
            if pairs[t.pair].state == .succeeded && !t.useCandidate { continue }
            return t
        }
        guard !checkListDone else { return nil }
        func bestWaiting() -> Int? {
            pairs.indices.filter { pairs[$0].inCheckList && pairs[$0].state == .waiting }
                .max { pairs[$0].priority < pairs[$1].priority }
        }
        if let i = bestWaiting() { return ICETriggered(pair: i, useCandidate: false) }
        unfreeze()
        return bestWaiting().map { ICETriggered(pair: $0, useCandidate: false) }
    }

    mutating func enqueueTriggered(_ pair: Int, useCandidate: Bool = false) {
        let entry = ICETriggered(pair: pair, useCandidate: useCandidate)
        if !triggered.contains(entry) { triggered.append(entry) }
    }

    mutating func serviceChecks(_ now: Instant) {
        for id in checks.keys.sorted() {
            guard var check = checks[id] else { continue }
            guard check.timer != nil else {
                if now >= check.expiresAt { checks[id] = nil }
                continue
            }
            switch check.timer?.step(at: now) ?? .wait {
            case .wait:
                continue
            case .retransmit:
                checks[id] = check
                _ = transmit(check.bytes, on: check.path)
            case .timedOut:
                checks[id] = nil
                if let p = check.pair, check.generation == generation {
                    failures.timedOut += 1
                    checkFailed(p, useCandidate: check.useCandidate)
                }
            }
        }
        // One new check per Ta (§14.2); retransmissions are not paced.
        guard remoteCredentials != nil else { return }
        if let last = lastCheckAt, now < last + config.checkPacing { return }
        guard let next = nextCheck() else { return }
        sendCheck(next.pair, useCandidate: next.useCandidate, at: now)
        lastCheckAt = now
    }

    mutating func checkFailed(_ p: Int, useCandidate: Bool) {
        if useCandidate {
            // A nomination that got no answer: that pair is not usable, pick again.
            pairs[p].valid = false
            nominationInFlight = false
        }
        if pairs[p].state != .succeeded || useCandidate { pairs[p].state = .failed }
    }

    /// §7.2.4: a Binding request with USERNAME, PRIORITY, the role attribute, MESSAGE-INTEGRITY
    /// (remote password) and FINGERPRINT; USE-CANDIDATE when nominating.
    mutating func sendCheck(_ p: Int, useCandidate: Bool, at now: Instant) {
        guard let remote = remoteCredentials else { return }
        let local = locals[pairs[p].local]
        let prflxPriority = ICEPriority.candidate(.prflx, localPreference: local.localPreference)
        let key = STUNKey.shortTerm(password: remote.pwd)
        let message = checkRequest(username: "\(remote.ufrag):\(localCredentials.ufrag)", priority: prflxPriority,
                                   useCandidate: useCandidate)
        let bytes = message.encode(integrityKey: key, fingerprint: true)
        let path = path(of: pairs[p])
        guard transmit(bytes, on: path) else {
            pairs[p].state = .failed
            return
        }
        if pairs[p].state != .succeeded { pairs[p].state = .inProgress }
        checks[message.transactionID] = ICECheck(
            pair: p, path: path, useCandidate: useCandidate, priority: prflxPriority, bytes: bytes,
            timer: STUNRetransmitTimer(policy: config.checkRetransmit, sentAt: now), expiresAt: now,
            wasControlling: isControlling, key: key, isConsent: false, generation: generation)
        if state == .new { setState(.checking) }
    }

    mutating func checkRequest(username: String, priority: UInt32, useCandidate: Bool) -> STUNMessage {
        var attributes: [STUNAttribute] = [.username(username), .priority(priority),
                                           isControlling ? .iceControlling(tieBreaker) : .iceControlled(tieBreaker)]
        if useCandidate { attributes.append(.useCandidate) }
        if let s = config.software { attributes.insert(.software(s), at: 0) }
        return STUNMessage(type: .bindingRequest, transactionID: .random(using: &random), attributes: attributes)
    }
}
