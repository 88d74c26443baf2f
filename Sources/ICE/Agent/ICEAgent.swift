import SessionCore
import STUN

/// A full ICE agent (RFC 8445) for one component (rtcp-mux, bundle), sans-IO.
///
/// Inputs (each takes the current time): `addLocalHost`, `setRemoteCredentials`,
/// `addRemoteCandidate`, `remoteEndOfCandidates`, `handleDatagram`, `handleTimeout`, `restart`,
/// `sendData`. Outputs: drain `poll()` after every input until it returns `.timeout(t)` (call
/// `handleTimeout(at: t)` then) or nil.
///
/// A driver, in outline:
///
///     agent.addLocalHost(interfaceAddress, at: now)        // one UDP socket per address
///     agent.setRemoteCredentials(ufrag: u, pwd: p, at: now)
///     agent.addRemoteCandidate(try ICECandidate(sdpAttribute: line), at: now)
///     // on a datagram:
///     if case .application(let r, _) = agent.handleDatagram(buf, from: src, to: sock, at: now) {
///         dtls.handle(buf[r]) }
///     // after every input:
///     while let out = agent.poll() {
///         switch out {
///         case .transmit(let t): socket(bound: t.from).send(t.bytes, to: t.to)
///         case .event(let e): handle(e)                     // trickle, selected pair, state
///         case .timeout(let t): timer.schedule(t); break loop  // then handleTimeout(at: t)
///         }
///     }
///
/// Demultiplexing: the driver hands every datagram received on a local socket to
/// `handleDatagram`. The agent consumes STUN and TURN control traffic and unwraps relayed data;
/// anything else from a validated path comes back as `.application(payload:from:)`, a range
/// of the caller's buffer for DTLS/SRTP. Outgoing application data goes through `sendData`,
/// which picks the selected pair and wraps for TURN when it is relayed.
public struct ICEAgent: SansIOMachine, Sendable {
    public let config: ICEAgentConfig
    public internal(set) var isControlling: Bool
    /// Compared in role conflicts (§7.3.1.1); from the injected generator.
    public let tieBreaker: UInt64
    public internal(set) var localCredentials: ICECredentials
    public internal(set) var remoteCredentials: ICECredentials?
    public internal(set) var state: ICEConnectionState = .new
    /// Bumped by `restart`; stamped on local candidates. Also the number of restarts.
    public internal(set) var generation: UInt32 = 0

    var random: STUNRandom
    /// The credentials before the last restart, still answered on the old selected pair.
    var previousLocalCredentials: ICECredentials?
    var lastNow: Instant = .zero

    var hosts: [TransportAddress] = []
    /// The mDNS name of each host IP (`config.hostCandidateNames`), kept across restarts.
    var hostNames: [TransportAddress.IP: String] = [:]
    /// The peer's `.local` candidates of this generation waiting for their name's address
    /// (`config.resolveRemoteHostNames`).
    var unresolved: [ICECandidate] = []
    var locals: [ICELocal] = []
    var gathers: [STUNTransactionID: ICEGather] = [:]
    var relays: [ICERelay] = []
    /// 300 Try Alternate hops followed per allocation (a pool redirects once; more is a loop).
    static let maximumRedirects = 2
    var gatheringCompleteSent = false

    var remotes: [ICERemote] = []
    var remoteEnded = false
    var pairs: [ICEPair] = []
    var triggered: [ICETriggered] = []
    var checks: [STUNTransactionID: ICECheck] = [:]
    var lastCheckAt: Instant?
    var firstValidAt: Instant?
    var nominationInFlight = false
    /// §8.1.2: after nomination no new ordinary checks are started.
    var checkListDone = false
    var acceptedPaths: Set<ICEPath> = []
    var selected: ICESelection?
    var remotePrflxCount = 0
    /// Why checks of this generation failed, for the description (diagnostics, no addresses).
    var failures = ICECheckFailures()

    var outputs = OutputQueue<ICEOutput>(capacity: 32)

    /// Remote candidates kept per ICE generation (signalled and peer-reflexive alike); more
    /// are ignored. A browser signals well under 10; with `STUNRetransmitPolicy.checks` (7
    /// transmissions) a hostile list costs at most 32 × 7 = 224 checks, paced by Ta.
    public static let maxRemoteCandidates = 32
    static let maxPairs = 256

    public init(config: ICEAgentConfig = ICEAgentConfig(), credentials: ICECredentials, isControlling: Bool,
                random: STUNRandom) {
        self.config = config
        self.localCredentials = credentials
        self.isControlling = isControlling
        var rng = random
        self.tieBreaker = rng.next()
        self.random = rng
    }

    // MARK: - Inputs

    /// Remote ufrag and password from the peer's description.
    public mutating func setRemoteCredentials(ufrag: String, pwd: String, at now: Instant) {
        remoteCredentials = ICECredentials(ufrag: ufrag, pwd: pwd)
        advance(now)
    }

    /// A remote candidate from SDP or trickle. TCP, other components, stale generations and
    /// mDNS names (unless `resolveRemoteHostNames`) are ignored, not errors.
    public mutating func addRemoteCandidate(_ candidate: ICECandidate, at now: Instant) {
        defer { advance(now) }
        guard candidate.transport == .udp, candidate.component == 1, candidate.port != 0 else { return }
        if let u = candidate.ufrag, let rc = remoteCredentials, u != rc.ufrag { return }
        guard let address = candidate.address else {
            if candidate.isMDNS, config.resolveRemoteHostNames { awaitResolution(candidate) }
            return
        }
        guard !isNotUnicast(address) else { return }
        if let known = remotes.firstIndex(where: { $0.address == address }) {
            // A peer-reflexive candidate learnt from a check, now signalled: take the signalled
            // type and foundation, keep the priority the pairs were sorted by (§7.3.1.3).
            if remotes[known].candidate.kind == .prflx {
                var upgraded = candidate
                upgraded.priority = remotes[known].candidate.priority
                remotes[known].candidate = upgraded
            }
            return
        }
        guard remotes.count < Self.maxRemoteCandidates else { return }
        remotes.append(ICERemote(candidate: candidate, address: address))
        let r = remotes.count - 1
        for l in locals.indices where formsPairs(locals[l]) { formPair(local: l, remote: r, at: now) }
    }

    /// The peer has sent all its candidates (`a=end-of-candidates`): failure can be declared.
    public mutating func remoteEndOfCandidates(at now: Instant) {
        remoteEnded = true
        advance(now)
    }

    /// Retransmissions, pacing, nomination, consent: everything due at `now`.
    public mutating func handleTimeout(at now: Instant) {
        advance(now)
    }

    /// ICE restart (RFC 8445 §9): new local credentials, the remote side forgotten until the
    /// new description arrives, and local candidates gathered again: host candidates from
    /// `localHosts` (the addresses the driver has sockets on now; nil keeps the current ones),
    /// server-reflexive ones by asking the STUN servers again, relayed ones from the TURN
    /// allocations that outlive the restart (their socket is still there) or new ones. A base
    /// that vanished takes its allocation and, if the selected pair ran on it, the selection
    /// with it. Otherwise application data keeps using the old selected pair, with consent on
    /// the old credentials, until a new pair is selected.
    public mutating func restart(newUfrag: String, newPwd: String, isControlling: Bool? = nil,
                                 localHosts: [TransportAddress]? = nil, at now: Instant) {
        let bases = (localHosts ?? hosts).filter { !isNotUnicast($0) }
        if selected != nil { previousLocalCredentials = localCredentials }
        localCredentials = ICECredentials(ufrag: newUfrag, pwd: newPwd)
        remoteCredentials = nil
        generation &+= 1
        if let role = isControlling { self.isControlling = role }
        remotes.removeAll()
        unresolved.removeAll()
        pairs.removeAll()
        triggered.removeAll()
        checks = checks.filter { $0.value.isConsent && bases.contains($0.value.path.socket) }
        firstValidAt = nil
        nominationInFlight = false
        checkListDone = false
        remoteEnded = false
        remotePrflxCount = 0
        failures = ICECheckFailures()
        if let s = selected, !bases.contains(s.path.socket) {
            // Its socket is closed: nothing more can go that way.
            selected = nil
            previousLocalCredentials = nil
        }
        acceptedPaths = acceptedPaths.filter { bases.contains($0.socket) }
        for k in relays.indices {
            relays[k].candidate = nil
            if !bases.contains(relays[k].socket) { relays[k].retired = true }
        }
        gathers.removeAll()
        hosts.removeAll()
        locals.removeAll()
        gatheringCompleteSent = false
        for address in bases { addHost(address, at: now) }
        if selected == nil, state != .new { setState(.checking) }
        advance(now)
    }

    /// Hang-up: deletes the TURN allocations (Refresh with lifetime 0, RFC 8656 §7) and stops
    /// consent. Drain `poll()` once more to send the releases.
    public mutating func close(at now: Instant) {
        for k in relays.indices where !relays[k].retired {
            relays[k].client.release(at: now)
            drainRelay(k, at: now)
        }
        selected = nil
        triggered.removeAll()
        checks.removeAll()
        checkListDone = true
        setState(.closed)
    }

    /// The next output. After the queued transmits and events comes exactly one `.timeout`
    /// (`Instant.never` when nothing is scheduled), then nil until the next input: so both
    /// `while let out = poll()` and "stop at `.timeout`" drivers terminate, and the last
    /// `.timeout` seen is always the one that holds.
    public mutating func poll() -> ICEOutput? {
        if let o = outputs.next() { return o }
        return outputs.owesTimeout() ? .timeout(nextDeadline ?? .never) : nil
    }

    // MARK: - Introspection

    public var selectedPair: (local: ICECandidate, remote: ICECandidate)? {
        selected.map { ($0.local, $0.remote) }
    }

    /// The ICE generation the selected pair belongs to (nil: none selected).
    public var selectedGeneration: UInt32? { selected?.generation }

    public var localCandidates: [ICECandidate] { locals.filter(shouldSignal).map { signaled($0.candidate) } }

    public var pairInfo: [ICEPairInfo] {
        pairs.map { p in
            ICEPairInfo(local: locals[p.local].candidate, remote: remotes[p.remote].candidate, priority: p.priority,
                        state: p.state, valid: p.valid, nominated: p.nominated)
        }
    }

    // MARK: - Helpers shared by the extensions

    mutating func emit(_ output: ICEOutput) {
        outputs.push(output)
    }

    mutating func setState(_ new: ICEConnectionState) {
        guard new != state else { return }
        state = new
        emit(.event(.stateChanged(new)))
    }

    func shouldSignal(_ local: ICELocal) -> Bool {
        switch local.candidate.kind {
        case .prflx: return false
        case .relay: return true
        case .host, .srflx: return config.transportPolicy == .all
        }
    }

    /// Addresses no check may go to: unspecified, "this network" (0/8), multicast
    /// (224/4, ff00::/8) and broadcast. A signalled candidate is a unicast peer or nothing,
    /// so a hostile endpoint cannot turn checks into a multicast or broadcast flood.
    func isNotUnicast(_ a: TransportAddress) -> Bool {
        switch a.ip {
        case .v4(let v): return v >> 24 == 0 || v >> 28 == 0xE || v == 0xFFFF_FFFF
        case .v6(let hi, let lo): return (hi == 0 && lo == 0) || hi >> 56 == 0xFF
        }
    }

    /// Sends `bytes` on `path`, through the TURN allocation when relayed.
    mutating func transmit(_ bytes: [UInt8], on path: ICEPath) -> Bool {
        if let k = path.relay {
            guard let wrapped = relays[k].client.wrap(bytes, to: path.remote) else { return false }
            emit(.transmit(ICETransmit(from: relays[k].socket, to: relays[k].server, bytes: wrapped, transport: relays[k].transport)))
        } else {
            emit(.transmit(ICETransmit(from: path.socket, to: path.remote, bytes: bytes)))
        }
        return true
    }

    func path(of pair: ICEPair) -> ICEPath {
        let local = locals[pair.local]
        return ICEPath(socket: local.socket, relay: local.relay, remote: remotes[pair.remote].address)
    }

    /// Everything that is due at `now`, then the state that follows.
    mutating func advance(_ now: Instant) {
        if now > lastNow { lastNow = now }
        outputs.inputHandled()
        serviceGathering(now)
        serviceChecks(now)
        serviceNomination(now)
        serviceConsent(now)
        updateState(now)
    }

    var nextDeadline: Instant? {
        var d: Instant? = nil
        func consider(_ t: Instant?) { if let t, d.map({ t < $0 }) ?? true { d = t } }
        for g in gathers.values { consider(g.timer.deadline) }
        for r in relays where !r.retired { consider(r.client.nextDeadline) }
        for c in checks.values { consider(c.timer?.deadline ?? c.expiresAt) }
        if hasCheckWork { consider(lastCheckAt.map { $0 + config.checkPacing } ?? lastNow) }
        if isControlling, !nominationInFlight, !checkListDone, let first = firstValidAt {
            consider(first + config.nominationDelay)
        }
        if let s = selected, state != .failed {
            consider(s.nextConsentAt)
            consider(s.lastResponseAt + config.consentTimeout)
            if state == .connected || state == .completed { consider(s.lastResponseAt + config.disconnectedAfter) }
            if config.stallAfter != nil {
                if lastNow < s.lastHeardAt + config.stallProbeAfter {
                    consider(s.lastHeardAt + config.stallProbeAfter)
                } else {
                    consider(s.nextProbeAt)
                }
            }
        }
        return d.map { max($0, lastNow) }
    }
}

/// Counters of failed checks in one generation.
struct ICECheckFailures: Sendable {
    var timedOut = 0
    var wrongPath = 0
    /// STUN error codes answered (first 8), role conflicts included.
    var errorCodes: [Int] = []
    /// USE-CANDIDATE requests received on this generation's credentials, and on the previous
    /// generation's (answered on the selected pair's path only, never nominating).
    var nominationsReceived = 0
    var previousGenerationRequests = 0
    /// Requests with the previous credentials from a path other than the selected pair's.
    var previousGenerationIgnored = 0

    mutating func error(_ code: Int) { if errorCodes.count < 8 { errorCodes.append(code) } }
}

extension ICEAgent: CustomStringConvertible {
    /// A summary without credentials, keys or addresses (the default reflection would show them).
    public var description: String {
        "ICEAgent(\(state.rawValue), \(isControlling ? "controlling" : "controlled"), generation \(generation), "
            + "\(locals.count) local, \(remotes.count) remote, \(pairs.count) pairs, selected: \(selected != nil), "
            + "check failures: \(failures.timedOut) timed out, \(failures.wrongPath) wrong path, "
            + "errors \(failures.errorCodes.map(String.init).joined(separator: ",")), "
            + "nominations received \(failures.nominationsReceived), previous-generation requests \(failures.previousGenerationRequests) (\(failures.previousGenerationIgnored) ignored off the selected path), "
            + "selected generation \(selected.map { String($0.generation) } ?? "-"))"
    }
}
