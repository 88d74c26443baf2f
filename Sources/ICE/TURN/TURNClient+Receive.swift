import SessionCore
import STUN

extension TURNClient {
    /// A datagram that came from `config.server` (the caller checks the source).
    public mutating func handleDatagram(_ bytes: [UInt8], range: Range<Int>? = nil, at now: Instant) -> Received {
        let r = range ?? 0..<bytes.count
        outputs.inputHandled()
        if TURNChannelData.isChannelData(bytes, range: r) {
            guard let frame = try? TURNChannelData.parse(bytes, range: r),
                  let peer = channelPeers[frame.channel], channels[peer]?.bound == true else { return .dropped }
            return .relayed(from: peer, payload: frame.payload)
        }
        guard let message = try? STUNMessage.parse(bytes, range: r) else { return .dropped }
        switch (message.type.method, message.type.messageClass) {
        case (.data, .indication):
            // RFC 8656 §11.6: a Data indication carries the peer and the data.
            guard isAllocated, let peer = message.xorPeerAddress, let payload = message.dataRange else { return .dropped }
            return .relayed(from: peer, payload: payload)
        case (_, .successResponse), (_, .errorResponse):
            guard let pending = transactions[message.transactionID] else { return .dropped }
            return handleResponse(message, pending, at: now) ? .consumed : .dropped
        default:
            return .dropped
        }
    }

    /// Retransmissions, timeouts and refreshes due at `now`.
    public mutating func handleTimeout(at now: Instant) {
        outputs.inputHandled()
        for id in transactions.keys.sorted() {
            guard var pending = transactions[id] else { continue }
            switch pending.timer.step(at: now) {
            case .wait:
                continue
            case .retransmit:
                transactions[id] = pending
                emit(.transmit(pending.bytes))
            case .timedOut:
                transactions[id] = nil
                timedOut(pending.kind)
                if case .failed = state { return }
            }
        }
        guard isAllocated else { return }
        if let t = refreshAt, now >= t {
            refreshAt = nil
            sendRequest(.refresh(lifetime: config.requestedLifetime), method: .refresh,
                        attributes: [.lifetime(config.requestedLifetime)], at: now)
        }
        for ip in permissionOrder {
            if let p = permissions[ip], !p.pending, p.refreshAt.map({ now >= $0 }) ?? false { sendPermission(ip, at: now) }
        }
        for peer in channelOrder {
            if let c = channels[peer], !c.pending, c.refreshAt.map({ now >= $0 }) ?? false { sendChannelBind(peer, at: now) }
        }
    }

    private mutating func timedOut(_ kind: RequestKind) {
        switch kind {
        case .allocate, .refresh:
            fail(.timedOut)
        case .permission(let ip, _):
            permissions[ip]?.pending = false
            permissions[ip]?.refreshAt = nil
            permissions[ip]?.installed = false
        case .channelBind(let peer, _):
            channels[peer]?.pending = false
            channels[peer]?.refreshAt = nil
        }
    }

    /// True when the response was for us and accepted.
    private mutating func handleResponse(_ message: STUNMessage, _ pending: Pending, at now: Instant) -> Bool {
        // A response to an authenticated request must prove it knows the key (RFC 8489 §9.2.5);
        // 401 and 438 may come without MESSAGE-INTEGRITY.
        let code = message.errorCode?.code
        if pending.authenticatedWithNonce != nil, let key, code != 401, code != 438,
           !message.verifyIntegrity(key: key) {
            return false
        }
        transactions[message.transactionID] = nil
        if message.type.messageClass == .errorResponse {
            handleError(message, code: code ?? 0, pending, at: now)
        } else {
            handleSuccess(message, pending.kind, at: now)
        }
        return true
    }

    private mutating func handleError(_ message: STUNMessage, code: Int, _ pending: Pending, at now: Instant) {
        switch code {
        case STUNErrorCode.unauthorized:
            // §9.2.4: learn realm and nonce, then retry once with credentials.
            guard let newRealm = message.realm, let newNonce = message.nonce,
                  pending.authenticatedWithNonce == nil || newNonce != pending.authenticatedWithNonce else {
                return failRequest(pending.kind, .unauthorized)
            }
            if newRealm != realm {
                realm = newRealm
                key = STUNKey.longTerm(username: config.username, realm: newRealm, password: config.password)
            }
            nonce = newNonce
            resend(pending, at: now)
        case STUNErrorCode.staleNonce:
            guard let newNonce = message.nonce, pending.nonceRetries < 3 else {
                return failRequest(pending.kind, .rejected(code: code))
            }
            nonce = newNonce
            if let newRealm = message.realm, newRealm != realm {
                realm = newRealm
                key = STUNKey.longTerm(username: config.username, realm: newRealm, password: config.password)
            }
            var retry = pending
            retry.nonceRetries += 1
            resend(retry, at: now)
        case STUNErrorCode.tryAlternate where pending.kind == .allocate:
            // A pool's busy member sends us to another; the agent allocates there, same
            // credentials (RFC 8656 §7.4 step 4, RFC 8489 §10).
            guard let alternate = message.alternateServer else { return fail(.rejected(code: code)) }
            fail(.redirected(to: alternate))
        default:
            failRequest(pending.kind, .rejected(code: code))
        }
    }

    private mutating func failRequest(_ kind: RequestKind, _ error: TURNError) {
        switch kind {
        case .allocate, .refresh(lifetime: 1...):
            fail(error)
        case .refresh:
            state = .released
        case .permission, .channelBind:
            timedOut(kind)
        }
    }

    private mutating func handleSuccess(_ message: STUNMessage, _ kind: RequestKind, at now: Instant) {
        switch kind {
        case .allocate:
            guard state == .allocating, let relayed = message.xorRelayedAddress else {
                return fail(.malformedResponse)
            }
            let mapped = message.xorMappedAddress
            state = .allocated(relayed: relayed, mapped: mapped)
            scheduleRefresh(lifetime: message.lifetime ?? config.requestedLifetime, at: now)
            emit(.event(.allocated(relayed: relayed, mapped: mapped)))
            // Permissions and channels asked for before the allocation existed.
            for ip in permissionOrder where permissions[ip]?.pending == false { sendPermission(ip, at: now) }
            for peer in channelOrder where channels[peer]?.pending == false { sendChannelBind(peer, at: now) }
        case .refresh(let asked):
            if asked == 0 {
                state = .released
                refreshAt = nil
            } else {
                scheduleRefresh(lifetime: message.lifetime ?? asked, at: now)
            }
        case .permission(let ip, _):
            guard var p = permissions[ip] else { return }
            let first = !p.installed
            p.installed = true
            p.pending = false
            p.refreshAt = now + Self.permissionRefresh
            permissions[ip] = p
            if first { emit(.event(.permissionCreated(peer: ip))) }
        case .channelBind(let peer, let number):
            guard var c = channels[peer] else { return }
            let first = !c.bound
            c.bound = true
            c.pending = false
            c.refreshAt = now + Self.channelRefresh
            channels[peer] = c
            // §12: a channel binding also installs or refreshes the permission.
            if permissions[peer.ip] == nil {
                permissions[peer.ip] = Permission(peer: peer)
                permissionOrder.append(peer.ip)
            }
            permissions[peer.ip]?.installed = true
            if permissions[peer.ip]?.pending == false { permissions[peer.ip]?.refreshAt = now + Self.permissionRefresh }
            if first { emit(.event(.channelBound(peer: peer, channel: number))) }
        }
    }

    /// Refresh a minute before expiry (half-way for short lifetimes), RFC 8656 §8.
    private mutating func scheduleRefresh(lifetime: UInt32, at now: Instant) {
        let seconds = Int64(lifetime)
        let margin = seconds > 120 ? 60 : seconds / 2
        refreshAt = now + .seconds(max(1, seconds - margin))
    }
}
