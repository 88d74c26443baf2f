import SessionCore
import STUN

/// Incoming datagrams: demultiplexing (RFC 7983), Binding requests (§7.3) and responses (§7.2.5).
extension ICEAgent {
    /// A datagram received on the local socket `localBase` from `from`. Returns what it was;
    /// application data is a range of `bytes` (nothing is copied).
    ///
    /// Application data is the hot path: it costs a demultiplexing check and one set lookup,
    /// allocates nothing, and runs no timers.
    ///
    /// `transport` is `.tcp`/`.tls` for a whole message the driver took off its stream to the
    /// TURN server `from` (RFC 8656 §3.1), `localBase` then the base that stream's transmits
    /// came from.
    public mutating func handleDatagram(_ bytes: [UInt8], from: TransportAddress, to localBase: TransportAddress,
                                        transport: TransportProtocol = .udp, at now: Instant) -> ICEReceive {
        let result: ICEReceive
        if let k = relays.firstIndex(where: { $0.socket == localBase && $0.server == from && $0.transport == transport && !$0.retired }) {
            switch relays[k].client.handleDatagram(bytes, at: now) {
            case .consumed:
                drainRelay(k, at: now)
                result = .handled
            case .dropped:
                result = .dropped(.unexpected)
            case .relayed(let peer, let payload):
                result = receive(bytes, payload, path: ICEPath(socket: localBase, relay: k, remote: peer), at: now)
            }
        } else if transport.isStream {
            // Streams exist only to TURN servers; nothing else may come over one.
            result = .dropped(.unexpected)
        } else {
            result = receive(bytes, 0..<bytes.count, path: ICEPath(socket: localBase, relay: nil, remote: from), at: now)
        }
        switch result {
        case .application, .dropped(.unknownSource): return result
        default:
            advance(now)
            return result
        }
    }

    private mutating func receive(_ bytes: [UInt8], _ range: Range<Int>, path: ICEPath, at now: Instant) -> ICEReceive {
        guard state != .closed else { return .dropped(.unexpected) }
        // The stall detector's input: one comparison, no copy of the selection.
        if path == selected?.path { selected?.lastHeardAt = now }
        guard STUNMessage.isSTUN(bytes, range: range) else {
            return acceptedPaths.contains(path) ? .application(payload: range, from: path.remote) : .dropped(.unknownSource)
        }
        let message: STUNMessage
        do {
            message = try STUNMessage.parse(bytes, range: range)
        } catch {
            return .dropped(.malformed(error))
        }
        guard message.type.method == .binding else { return .dropped(.unexpected) }
        switch message.type.messageClass {
        case .request:
            return handleRequest(message, path: path, at: now)
        case .indication:
            // A keepalive (RFC 8445 §11): nothing to answer.
            return .handled
        case .successResponse, .errorResponse:
            if path.relay == nil, handleGatherResponse(message, socket: path.socket, from: path.remote, at: now) {
                return .handled
            }
            return handleResponse(message, path: path, at: now)
        }
    }

    // MARK: - Requests (§7.3)

    private mutating func handleRequest(_ request: STUNMessage, path: ICEPath, at now: Instant) -> ICEReceive {
        guard let username = request.username, request.messageIntegrity != nil else {
            respondError(to: request, code: STUNErrorCode.badRequest, key: nil, path: path)
            return .dropped(.unauthenticated)
        }
        // §7.3: USERNAME is "<our ufrag>:<their ufrag>", MESSAGE-INTEGRITY with our password.
        func matches(_ c: ICECredentials) -> Bool {
            username.hasPrefix(c.ufrag + ":") && request.verifyIntegrity(key: STUNKey.shortTerm(password: c.pwd))
        }
        let current = matches(localCredentials)
        let previous = !current && previousLocalCredentials.map(matches) == true
        guard current || previous else {
            respondError(to: request, code: STUNErrorCode.unauthorized, key: nil, path: path)
            return .dropped(.unauthenticated)
        }
        // During a restart the previous credentials keep only the pair in use alive (its
        // consent). Answered on any other path they would validate a pair the new generation
        // never checked: libwebrtc pairs a port gathered for the restart with our old
        // candidate at the same address before our answer arrives, and when that connection
        // won, Chromium nominated it with the old credentials and our nomination never came.
        // Unanswered, that connection stays unwritable and the one with new credentials wins.
        if previous, path != selected?.path {
            failures.previousGenerationIgnored += 1
            return .dropped(.unauthenticated)
        }
        let key = STUNKey.shortTerm(password: current ? localCredentials.pwd : previousLocalCredentials?.pwd ?? "")
        let unknown = request.unknownComprehensionRequired
        guard unknown.isEmpty else {
            respondError(to: request, code: STUNErrorCode.unknownAttribute, key: key, path: path, unknown: unknown)
            return .handled
        }
        // §7.3.1.1 role conflict: the larger tie-breaker keeps (or takes) the controlling role.
        if isControlling, let theirs = request.iceControlling {
            if tieBreaker >= theirs {
                respondError(to: request, code: STUNErrorCode.roleConflict, key: key, path: path)
                return .handled
            }
            switchRole()
        } else if !isControlling, let theirs = request.iceControlled {
            if tieBreaker >= theirs {
                switchRole()
            } else {
                respondError(to: request, code: STUNErrorCode.roleConflict, key: key, path: path)
                return .handled
            }
        }
        // §7.3.1.2: success with XOR-MAPPED-ADDRESS = the source, from the same base.
        var response = STUNMessage(type: .bindingSuccess, transactionID: request.transactionID,
                                   attributes: [.xorMappedAddress(path.remote)])
        if let s = config.software { response.attributes.insert(.software(s), at: 0) }
        _ = transmit(response.encode(integrityKey: key, fingerprint: true), on: path)
        acceptedPaths.insert(path)
        guard current else {
            failures.previousGenerationRequests += 1
            return .handled
        }
        if request.useCandidate { failures.nominationsReceived += 1 }

        // §7.3.1.3: an unknown source is a peer-reflexive remote candidate.
        let remote: Int
        if let r = remotes.firstIndex(where: { $0.address == path.remote }) {
            remote = r
        } else {
            guard remotes.count < Self.maxRemoteCandidates else { return .handled }
            remotePrflxCount += 1
            let candidate = ICECandidate(foundation: "prflx\(remotePrflxCount)", priority: request.priority ?? 0,
                                         address: path.remote, kind: .prflx)
            remotes.append(ICERemote(candidate: candidate, address: path.remote))
            remote = remotes.count - 1
        }
        // §7.3.1.4 triggered check on (the local candidate of this base, the source).
        guard let local = locals.firstIndex(where: {
            formsPairs($0) && $0.socket == path.socket && $0.relay == path.relay
        }), let p = formPair(local: local, remote: remote, proven: true, at: now) else { return .handled }
        let nominate = request.useCandidate && !isControlling
        switch pairs[p].state {
        case .succeeded:
            // §7.3.1.5: nominated now if the check it generated already succeeded.
            if nominate, let v = pairs[p].validPair { nominatePair(v, at: now) }
        case .inProgress:
            // Cancel: no more retransmissions, but a late answer still counts.
            for (id, c) in checks where c.pair == p && c.timer != nil && c.generation == generation {
                checks[id]?.timer = nil
                checks[id]?.expiresAt = now + config.checkRetransmit.maxRTO * 2
            }
            pairs[p].state = .waiting
            enqueueTriggered(p)
        case .waiting, .frozen, .failed:
            pairs[p].state = .waiting
            enqueueTriggered(p)
        }
        if nominate && pairs[p].state != .succeeded { pairs[p].nominateOnSuccess = true }
        return .handled
    }

    private mutating func respondError(to request: STUNMessage, code: Int, key: [UInt8]?, path: ICEPath,
                                       unknown: [UInt16] = []) {
        var response = STUNMessage(type: .bindingError, transactionID: request.transactionID,
                                   attributes: [.errorCode(STUNErrorCode(code))])
        if !unknown.isEmpty { response.attributes.append(.unknownAttributes(unknown)) }
        _ = transmit(response.encode(integrityKey: key, fingerprint: true), on: path)
    }

    // MARK: - Responses (§7.2.5)

    private mutating func handleResponse(_ response: STUNMessage, path: ICEPath, at now: Instant) -> ICEReceive {
        guard let check = checks[response.transactionID] else { return .dropped(.unexpected) }
        guard response.verifyIntegrity(key: check.key) else { return .dropped(.unauthenticated) }
        checks[response.transactionID] = nil
        if check.isConsent {
            if response.type.messageClass == .successResponse, path == check.path { consentGranted(path, at: now) }
            return .handled
        }
        guard check.generation == generation, let p = check.pair else { return .handled }
        // §7.2.5.2.1: the answer must come back on the path the request took.
        guard path == check.path else {
            failures.wrongPath += 1
            checkFailed(p, useCandidate: check.useCandidate)
            return .handled
        }
        if response.type.messageClass == .errorResponse {
            failures.error(response.errorCode?.code ?? 0)
            if response.errorCode?.code == STUNErrorCode.roleConflict {
                // §7.2.5.1: switch role unless we already did, then check the pair again.
                if check.wasControlling == isControlling { switchRole() }
                if pairs[p].state != .succeeded { pairs[p].state = .waiting }
                enqueueTriggered(p, useCandidate: check.useCandidate && isControlling)
                if check.useCandidate { nominationInFlight = isControlling }
            } else {
                checkFailed(p, useCandidate: check.useCandidate)
            }
            return .handled
        }
        guard let mapped = response.xorMappedAddress else {
            checkFailed(p, useCandidate: check.useCandidate)
            return .handled
        }
        checkSucceeded(p, check: check, mapped: mapped, at: now)
        return .handled
    }

    private mutating func checkSucceeded(_ p: Int, check: ICECheck, mapped: TransportAddress, at now: Instant) {
        // §7.2.5.3.1: a mapped address we do not know is a peer-reflexive local candidate.
        let local: Int
        if let l = locals.firstIndex(where: {
            $0.address == mapped && $0.socket == check.path.socket && $0.relay == check.path.relay
        }) {
            local = l
        } else {
            let base = locals[pairs[p].local]
            let candidate = ICECandidate(foundation: ICEPriority.foundation(.prflx, base: base.socket),
                                         priority: check.priority, address: mapped, kind: .prflx,
                                         relatedAddress: base.socket, generation: generation, ufrag: localCredentials.ufrag)
            locals.append(ICELocal(candidate: candidate, address: mapped, socket: base.socket, relay: base.relay,
                                   localPreference: base.localPreference))
            local = locals.count - 1
        }
        // §7.2.5.3.2: the valid pair is (that local candidate, the pair's remote).
        let v = formPair(local: local, remote: pairs[p].remote, inCheckList: false, proven: true, at: now) ?? p
        pairs[p].state = .succeeded
        pairs[p].validPair = v
        pairs[v].state = .succeeded
        pairs[v].valid = true
        acceptedPaths.insert(check.path)
        if firstValidAt == nil { firstValidAt = now }
        // §7.2.5.3.3: the same foundation's frozen pairs may go.
        for i in pairs.indices where pairs[i].state == .frozen && pairs[i].foundation == pairs[p].foundation {
            pairs[i].state = .waiting
        }
        if let s = selected, s.path == check.path { consentGranted(check.path, at: now) }
        // §7.2.5.3.4 (controlling, its USE-CANDIDATE answered) and §7.3.1.5 (controlled, the
        // peer nominated this pair before its check succeeded).
        if (check.useCandidate && check.wasControlling && isControlling) || (!isControlling && pairs[p].nominateOnSuccess) {
            nominatePair(v, at: now)
        }
    }
}
