import SessionCore
import STUN

/// Local candidates: host (§5.1.1.1), server-reflexive through a STUN server (§5.1.1.2), relayed
/// through a TURN allocation (RFC 8656), and the trickle of them.
extension ICEAgent {
    /// A local interface address with a bound UDP socket. The driver sends each `ICETransmit`
    /// from the socket whose address is `transmit.from`.
    public mutating func addLocalHost(_ address: TransportAddress, at now: Instant) {
        addHost(address, at: now)
        advance(now)
    }

    /// `addLocalHost` without the `advance`, so a restart can add every base before gathering
    /// is judged complete.
    mutating func addHost(_ address: TransportAddress, at now: Instant) {
        guard !hosts.contains(address), !isNotUnicast(address) else { return }
        hosts.append(address)
        let preference = UInt16(truncatingIfNeeded: 65535 - min(hosts.count - 1, 1000))
        let candidate = ICECandidate(foundation: ICEPriority.foundation(.host, base: address), priority:
            ICEPriority.candidate(.host, localPreference: preference), address: address, kind: .host,
            generation: generation, ufrag: localCredentials.ufrag)
        addLocal(ICELocal(candidate: candidate, address: address, socket: address, relay: nil,
                          localPreference: preference), at: now)

        for server in config.stunServers where server.isIPv4 == address.isIPv4 {
            let request = STUNMessage(type: .bindingRequest, transactionID: .random(using: &random))
            let bytes = request.encode(fingerprint: true)
            gathers[request.transactionID] = ICEGather(socket: address, server: server, bytes: bytes,
                                                       timer: STUNRetransmitTimer(policy: config.gatherRetransmit, sentAt: now))
            emit(.transmit(ICETransmit(from: address, to: server, bytes: bytes)))
        }
        // One allocation per TURN server, on the first socket of its family.
        for server in config.turnServers where server.address.isIPv4 == address.isIPv4 {
            if let k = relays.firstIndex(where: { $0.server == server.address && !$0.retired }) {
                // An allocation that outlived an ICE restart is offered again as it is.
                if relays[k].socket == address, relays[k].candidate == nil,
                   case .allocated(let relayed, let mapped) = relays[k].client.state {
                    addRelayCandidate(k, relayed: relayed, mapped: mapped, at: now)
                }
                continue
            }
            let turnConfig = TURNClient.Config(server: server.address, username: server.username, password: server.password,
                                               retransmit: config.gatherRetransmit, software: config.software)
            relays.append(ICERelay(socket: address, server: server.address,
                                   client: TURNClient(config: turnConfig, random: random.split()), candidate: nil))
            relays[relays.count - 1].client.start(at: now)
            drainRelay(relays.count - 1, at: now)
        }
    }

    mutating func addLocal(_ local: ICELocal, at now: Instant) {
        locals.append(local)
        if shouldSignal(local) { emit(.event(.localCandidate(local.candidate))) }
        guard formsPairs(local) else { return }
        for r in remotes.indices { formPair(local: locals.count - 1, remote: r, at: now) }
    }

    /// Answers from STUN servers; true when `message` was one.
    mutating func handleGatherResponse(_ message: STUNMessage, socket: TransportAddress, from: TransportAddress,
                                       at now: Instant) -> Bool {
        guard let gather = gathers[message.transactionID], gather.server == from, gather.socket == socket else { return false }
        gathers[message.transactionID] = nil
        if message.type.messageClass == .successResponse,
           let mapped = message.xorMappedAddress ?? message.mappedAddress {
            addServerReflexive(mapped, socket: socket, server: from, at: now)
        }
        return true
    }

    mutating func addServerReflexive(_ mapped: TransportAddress, socket: TransportAddress, server: TransportAddress,
                                     at now: Instant) {
        // Behind no NAT the mapped address is the host's own: nothing new to offer.
        guard mapped != socket, !locals.contains(where: { $0.address == mapped && $0.candidate.kind == .srflx }),
              let host = locals.first(where: { $0.candidate.kind == .host && $0.socket == socket }) else { return }
        let candidate = ICECandidate(foundation: ICEPriority.foundation(.srflx, base: socket, server: server), priority:
            ICEPriority.candidate(.srflx, localPreference: host.localPreference), address: mapped, kind: .srflx,
            relatedAddress: socket, generation: generation, ufrag: localCredentials.ufrag)
        addLocal(ICELocal(candidate: candidate, address: mapped, socket: socket, relay: nil,
                          localPreference: host.localPreference), at: now)
    }

    /// Takes what a TURN client produced: datagrams for its server, and allocation results.
    mutating func drainRelay(_ k: Int, at now: Instant) {
        while let output = relays[k].client.poll() {
            switch output {
            case .timeout:
                return
            case .transmit(let bytes):
                emit(.transmit(ICETransmit(from: relays[k].socket, to: relays[k].server, bytes: bytes)))
            case .event(.allocated(let relayed, let mapped)):
                if let mapped { addServerReflexive(mapped, socket: relays[k].socket, server: relays[k].server, at: now) }
                addRelayCandidate(k, relayed: relayed, mapped: mapped, at: now)
            case .event(.failed):
                // Pairs on a lost allocation can no longer be checked.
                if let c = relays[k].candidate {
                    for p in pairs.indices where pairs[p].local == c { pairs[p].state = .failed; pairs[p].valid = false }
                }
            case .event:
                continue
            }
        }
    }

    mutating func addRelayCandidate(_ k: Int, relayed: TransportAddress, mapped: TransportAddress?, at now: Instant) {
        guard relays[k].candidate == nil,
              let host = locals.first(where: { $0.candidate.kind == .host && $0.socket == relays[k].socket }) else { return }
        let candidate = ICECandidate(foundation: ICEPriority.foundation(.relay, base: relays[k].socket, server: relays[k].server),
                                     priority: ICEPriority.candidate(.relay, localPreference: host.localPreference),
                                     address: relayed, kind: .relay, relatedAddress: mapped,
                                     generation: generation, ufrag: localCredentials.ufrag)
        relays[k].candidate = locals.count
        addLocal(ICELocal(candidate: candidate, address: relayed, socket: relays[k].socket, relay: k,
                          localPreference: host.localPreference), at: now)
    }

    mutating func serviceGathering(_ now: Instant) {
        for id in gathers.keys.sorted() {
            guard var gather = gathers[id] else { continue }
            switch gather.timer.step(at: now) {
            case .wait: continue
            case .retransmit:
                gathers[id] = gather
                emit(.transmit(ICETransmit(from: gather.socket, to: gather.server, bytes: gather.bytes)))
            case .timedOut:
                gathers[id] = nil
            }
        }
        for k in relays.indices where !relays[k].retired {
            relays[k].client.handleTimeout(at: now)
            drainRelay(k, at: now)
        }
        let relaysPending = relays.contains { !$0.retired && ($0.client.state == .allocating || $0.client.state == .idle) }
        if !gatheringCompleteSent, !hosts.isEmpty, gathers.isEmpty, !relaysPending {
            gatheringCompleteSent = true
            emit(.event(.gatheringComplete))
        }
    }
}
