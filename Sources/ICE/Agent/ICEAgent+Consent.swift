import SessionCore

/// Consent freshness (RFC 7675) on the selected pair, and application data.
extension ICEAgent {
    /// 5 s ± 20 % (RFC 7675 §5.1), so consent checks of many agents do not synchronise.
    mutating func consentInterval() -> Duration {
        let base = config.consentInterval.nanosecondsClamped
        let jitter = Int64(random.next() % 401) - 200 // ‰
        return .nanoseconds(base + base / 1000 * jitter)
    }

    mutating func serviceConsent(_ now: Instant) {
        guard var s = selected, state != .failed else { return }
        if now >= s.lastResponseAt + config.consentTimeout {
            // §5.1: consent expired; stop sending on this path.
            selected = nil
            emit(.event(.consentLost))
            setState(.failed)
            return
        }
        if now >= s.lastResponseAt + config.disconnectedAfter, state == .connected || state == .completed {
            setState(.disconnected)
        }
        serviceStall(&s, now)
        guard now >= s.nextConsentAt else {
            selected = s
            return
        }
        // A Binding request like a check, without USE-CANDIDATE; not retransmitted: the next
        // interval sends a new one (§5.1).
        sendConsentCheck(s, now)
        s.nextConsentAt = now + consentInterval()
        selected = s
    }

    mutating func sendConsentCheck(_ s: ICESelection, _ now: Instant) {
        let message = checkRequest(username: s.username, priority: s.consentPriority, useCandidate: false)
        let bytes = message.encode(integrityKey: s.remoteKey, fingerprint: true)
        if transmit(bytes, on: s.path) {
            checks[message.transactionID] = ICECheck(
                pair: nil, path: s.path, useCandidate: false, priority: s.consentPriority, bytes: bytes, timer: nil,
                expiresAt: now + config.consentTimeout, wasControlling: isControlling, key: s.remoteKey,
                isConsent: true, generation: generation)
        }
    }

    /// The fast stall signal (`config.stallAfter`): probes while the path is silent, and one
    /// `.selectedPairStalled` per silence once enough of them went unanswered. A packet on the
    /// path ends the silence (the receive path only stamps `lastHeardAt`).
    mutating func serviceStall(_ s: inout ICESelection, _ now: Instant) {
        guard let stallAfter = config.stallAfter else { return }
        guard now >= s.lastHeardAt + config.stallProbeAfter else {
            s.probes = 0
            s.stallReported = false
            return
        }
        if now >= s.nextProbeAt {
            sendConsentCheck(s, now)
            s.probes += 1
            s.nextProbeAt = now + config.stallProbeInterval
        }
        // The probe just sent cannot have failed yet: two before it must have.
        if !s.stallReported, now >= s.lastHeardAt + stallAfter, s.probes >= 3 {
            s.stallReported = true
            emit(.event(.selectedPairStalled))
        }
    }

    mutating func consentGranted(_ path: ICEPath, at now: Instant) {
        guard var s = selected, s.path == path else { return }
        s.lastResponseAt = now
        s.lastHeardAt = now
        selected = s
        if state == .disconnected { setState(.connected) }
    }

    /// Wraps application data for the selected pair (or, before selection, the best valid
    /// pair, so DTLS can start early, RFC 8445 §12.1). Nil when there is no usable pair or
    /// consent was lost. `bytes[range]` is sent; no copy is made on a direct path when the
    /// range is the whole buffer.
    public mutating func sendData(_ bytes: [UInt8], range: Range<Int>? = nil, at now: Instant) -> ICETransmit? {
        guard state != .failed, state != .closed else { return nil }
        let path: ICEPath
        if let s = selected {
            path = s.path
        } else if let best = pairs.indices.filter({ pairs[$0].valid }).max(by: { pairs[$0].priority < pairs[$1].priority }) {
            path = self.path(of: pairs[best])
        } else {
            return nil
        }
        let r = range ?? 0..<bytes.count
        if let k = path.relay {
            guard let wrapped = relays[k].client.wrap(bytes, range: r, to: path.remote) else { return nil }
            return ICETransmit(from: relays[k].socket, to: relays[k].server, bytes: wrapped, transport: relays[k].transport)
        }
        return ICETransmit(from: path.socket, to: path.remote, bytes: r == bytes.indices ? bytes : Array(bytes[r]))
    }
}
