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
        if config.hostCandidateNames, hostNames[address.ip] == nil {
            let name = Self.mdnsName(&random)
            hostNames[address.ip] = name
            emit(.event(.hostNamed(name: name, address: address.ip)))
        }
        addLocal(ICELocal(candidate: candidate, address: address, socket: address, relay: nil,
                          localPreference: preference), at: now)

        // A loopback socket reaches only loopback servers, and the other way round (the kiosk
        // binds 127.0.0.1 too, for a clinician on the same machine; it is first in the list).
        for server in config.stunServers where server.isIPv4 == address.isIPv4 && server.isLoopback == address.isLoopback {
            let request = STUNMessage(type: .bindingRequest, transactionID: .random(using: &random))
            let bytes = request.encode(fingerprint: true)
            gathers[request.transactionID] = ICEGather(socket: address, server: server, bytes: bytes,
                                                       timer: STUNRetransmitTimer(policy: config.gatherRetransmit, sentAt: now))
            emit(.transmit(ICETransmit(from: address, to: server, bytes: bytes)))
        }
        // One allocation per TURN server and transport, on the first socket that can reach it.
        for server in config.turnServers
        where server.address.isIPv4 == address.isIPv4 && server.address.isLoopback == address.isLoopback {
            // (Or its successor after a 300 Try Alternate.)
            if let k = relays.firstIndex(where: { ($0.server == server.address || $0.redirectedFrom.first == server.address)
                                                  && $0.transport == server.transport && !$0.retired }) {
                // An allocation that outlived an ICE restart is offered again as it is.
                if relays[k].socket == address, relays[k].candidate == nil,
                   case .allocated(let relayed, let mapped) = relays[k].client.state {
                    addRelayCandidate(k, relayed: relayed, mapped: mapped, at: now)
                }
                continue
            }
            // RFC 8656 §3.1: over a stream nothing is retransmitted, one timeout per transaction.
            let retransmit = server.transport.isStream ? .reliable(timeout: config.streamTransactionTimeout)
                : config.gatherRetransmit
            let turnConfig = TURNClient.Config(server: server.address, username: server.username, password: server.password,
                                               retransmit: retransmit, software: config.software)
            relays.append(ICERelay(socket: address, server: server.address, transport: server.transport,
                                   client: TURNClient(config: turnConfig, random: random.split()), candidate: nil))
            relays[relays.count - 1].client.start(at: now)
            drainRelay(relays.count - 1, at: now)
        }
    }

    mutating func addLocal(_ local: ICELocal, at now: Instant) {
        locals.append(local)
        if shouldSignal(local) { emit(.event(.localCandidate(signaled(local.candidate)))) }
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
        if let i = locals.firstIndex(where: { $0.address == mapped && $0.socket == socket && $0.candidate.kind == .prflx }) {
            // A check through the NAT found this address first (as peer-reflexive): it is the
            // server-reflexive one, so say so, to the peer and in the selected pair.
            locals[i].candidate = candidate
            if shouldSignal(locals[i]) { emit(.event(.localCandidate(signaled(candidate)))) }
            if var s = selected, s.local.address == mapped, s.local.kind == .prflx {
                s.local = candidate
                selected = s
                emit(.event(.selectedPair(local: candidate, remote: s.remote)))
            }
            return
        }
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
                emit(.transmit(ICETransmit(from: relays[k].socket, to: relays[k].server, bytes: bytes,
                                           transport: relays[k].transport)))
            case .event(.allocated(let relayed, let mapped)):
                // Over TCP/TLS the mapped address is the connection's, not the UDP socket's.
                if let mapped, relays[k].transport == .udp {
                    addServerReflexive(mapped, socket: relays[k].socket, server: relays[k].server, at: now)
                }
                addRelayCandidate(k, relayed: relayed, mapped: mapped, at: now)
            case .event(.failed(.redirected(let alternate))) where followRedirect(k, to: alternate, at: now):
                return
            case .event(.failed(let error)):
                emit(.event(.relayFailed(transport: relays[k].transport, error: error)))
                // Pairs on a lost allocation can no longer be checked.
                if let c = relays[k].candidate {
                    for p in pairs.indices where pairs[p].local == c { pairs[p].state = .failed; pairs[p].valid = false }
                }
            case .event:
                continue
            }
        }
    }

    /// 300 Try Alternate: the same allocation (socket, transport, credentials) at the
    /// alternate server, in a new relay; the old one is retired. False (the redirect counts as
    /// a failure) when it would loop, go too far, or leave the socket's family or scope.
    mutating func followRedirect(_ k: Int, to alternate: TransportAddress, at now: Instant) -> Bool {
        let old = relays[k]
        let tried = old.redirectedFrom + [old.server]
        guard tried.count <= Self.maximumRedirects, !tried.contains(alternate),
              alternate.isIPv4 == old.socket.isIPv4, alternate.isLoopback == old.socket.isLoopback,
              !isNotUnicast(alternate) else { return false }
        relays[k].retired = true
        var config = old.client.config
        config.server = alternate
        var relay = ICERelay(socket: old.socket, server: alternate, transport: old.transport,
                             client: TURNClient(config: config, random: random.split()), candidate: nil)
        relay.redirectedFrom = tried
        relays.append(relay)
        emit(.event(.relayRedirected(transport: old.transport, from: old.server, to: alternate)))
        relays[relays.count - 1].client.start(at: now)
        drainRelay(relays.count - 1, at: now)
        return true
    }

    /// TURN over TCP/TLS: the driver's connection to `server` failed or closed. That relay's
    /// allocation is gone; its candidate's pairs fail and the call goes on with the others.
    public mutating func relayTransportClosed(server: TransportAddress, transport: TransportProtocol, at now: Instant) {
        defer { advance(now) }
        for k in relays.indices where relays[k].server == server && relays[k].transport == transport && !relays[k].retired {
            relays[k].client.transportClosed()
            drainRelay(k, at: now)
        }
    }

    mutating func addRelayCandidate(_ k: Int, relayed: TransportAddress, mapped: TransportAddress?, at now: Instant) {
        guard relays[k].candidate == nil,
              let host = locals.first(where: { $0.candidate.kind == .host && $0.socket == relays[k].socket }) else { return }
        let preference = ICEPriority.relayLocalPreference(host: host.localPreference, transport: relays[k].transport)
        let candidate = ICECandidate(foundation: ICEPriority.foundation(.relay, base: relays[k].socket, server: relays[k].server,
                                                                         transport: relays[k].transport),
                                     priority: ICEPriority.candidate(.relay, localPreference: preference),
                                     address: relayed, kind: .relay, relatedAddress: mapped,
                                     generation: generation, ufrag: localCredentials.ufrag)
        relays[k].candidate = locals.count
        addLocal(ICELocal(candidate: candidate, address: relayed, socket: relays[k].socket, relay: k,
                          localPreference: preference), at: now)
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
