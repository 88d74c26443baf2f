import DTLS
import Foundation
import ICE
import SessionCore
import SessionPeer
import Synchronization
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// The thin I/O layer around a `Peer`: one thread owns the peer and its UDP sockets, waits in
/// poll(2) until a datagram, a command or the peer's next deadline, and feeds it the monotonic
/// time. TURN servers reached over TCP or TLS get a non-blocking TCP connection each, opened
/// on the agent's first message to them and polled in the same set (`TURNStreamConnection`).
/// Other threads talk to it only through `submit` (one lock and one eventfd write per
/// command: per encoded frame or signaling message, never per packet).
///
/// With `watchAddresses`, a NETLINK_ROUTE socket in the same poll(2) set reports address
/// changes (`AddressMonitor`): the engine lists the addresses again, keeps the sockets whose
/// address is still there, closes those whose address vanished, binds new ones, and tells the
/// peer (`Peer.setLocalAddresses`), which asks for an ICE restart.
public final class PeerDriver: Sendable {
    public enum Command: Sendable {
        case createOffer(@Sendable (String) -> Void)
        /// A subsequent offer with new ICE credentials (an ICE restart) for an established call.
        case createRestartOffer(@Sendable (String) -> Void)
        /// Report `.iceRestartNeeded(.requested)` as if the path had gone (the demo's
        /// `--ice-restart-after`, and operators).
        case requestICERestart
        case acceptOffer(String, @Sendable (Result<String, PeerError>) -> Void)
        case acceptAnswer(String, @Sendable (PeerError?) -> Void)
        case remoteCandidate(String)
        case remoteEndOfCandidates
        case sendAudio([UInt8], rtpTimestamp: UInt32)
        case sendVideo([UInt8], rtpTimestamp: UInt32)
        case requestKeyframe
        case stats(@Sendable (PeerStats) -> Void)
        case stop
    }

    private struct Shared: ~Copyable {
        var commands: [Command] = []
        var running = true
    }

    private let shared = Mutex(Shared())
    /// A self-pipe: writing a byte wakes the engine thread out of poll(2).
    private let wakeFD: Int32
    private let wakeWriteFD: Int32
    private let onEvent: @Sendable (PeerEvent) -> Void
    private let done = Mutex(false)
    /// Signalled when the engine thread has finished.
    private let finished = NSCondition()

    /// Binds one UDP socket per local address and starts the engine thread. `onEvent` runs on
    /// that thread: hand heavy work (decoding) to another thread.
    ///
    /// - Parameters:
    ///   - turnCAFile: a PEM file of CAs trusted for `turns:` servers besides the system's.
    ///   - watchAddresses: the addresses to have sockets on, listed again whenever the kernel
    ///     reports an address change (nil: the sockets stay as bound).
    public init(configuration: PeerConfiguration, certificate: DTLSCertificate, turnCAFile: String? = nil,
                watchAddresses: (@Sendable () -> [TransportAddress])? = nil,
                onEvent: @escaping @Sendable (PeerEvent) -> Void) throws(UDPSocket.Failure) {
        var sockets: [UDPSocket] = []
        for address in configuration.localAddresses {
            sockets.append(try UDPSocket(bindTo: address))
        }
        var config = configuration
        config.localAddresses = sockets.map(\.localAddress)
        var pipeFDs: [Int32] = [-1, -1]
        _ = pipe(&pipeFDs)
        for fd in pipeFDs {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        wakeFD = pipeFDs[0]
        wakeWriteFD = pipeFDs[1]
        self.onEvent = onEvent
        let engine = PeerEngine(peer: Peer(configuration: config, certificate: certificate), sockets: sockets,
                                turnServers: config.ice.turnServers, turnCAFile: turnCAFile,
                                addresses: watchAddresses, monitor: watchAddresses == nil ? nil : AddressMonitor())
        let box = UncheckedBox(engine)
        let thread = Thread { [self] in self.run(box.value) }
        thread.start()
    }

    deinit {
        close(wakeFD)
        close(wakeWriteFD)
    }

    public func submit(_ command: Command) {
        shared.withLock { $0.commands.append(command) }
        var one: UInt8 = 1
        _ = write(wakeWriteFD, &one, 1)
    }

    public func stop() {
        submit(.stop)
    }

    /// Blocks until the engine thread has finished (after `stop`).
    public func waitUntilStopped(timeoutMilliseconds: Int = 2000) {
        let deadline = Date(timeIntervalSinceNow: Double(timeoutMilliseconds) / 1000)
        finished.lock()
        while !done.withLock({ $0 }), finished.wait(until: deadline) {}
        finished.unlock()
    }

    private func run(_ engine: PeerEngine) {
        var fds: [pollfd] = []
        /// Which stream each poll entry after the wake pipe (and the address monitor) belongs to.
        var polledStreams: [Int] = []
        var buffer = [UInt8](repeating: 0, count: 2048)
        var streamBuffer = [UInt8](repeating: 0, count: TURNStreamConnection.readChunk)
        var deadline = MonotonicClock.now()
        var lastArrival = deadline
        engine.peer.handleTimeout(at: deadline)
        deadline = engine.flush(onEvent)
        var commands: [Command] = []
        while true {
            // Rebuilt each round, in place (no allocation once grown): streams come and go,
            // and wait for POLLOUT only while connecting or with bytes the kernel did not take.
            fds.removeAll(keepingCapacity: true)
            polledStreams.removeAll(keepingCapacity: true)
            for socket in engine.sockets { fds.append(pollfd(fd: socket.fd, events: Int16(POLLIN), revents: 0)) }
            fds.append(pollfd(fd: wakeFD, events: Int16(POLLIN), revents: 0))
            if let monitor = engine.monitor { fds.append(pollfd(fd: monitor.fd, events: Int16(POLLIN), revents: 0)) }
            let mdnsEntry = fds.count
            if let mdns = engine.mdns { fds.append(pollfd(fd: mdns.socket.fd, events: Int16(POLLIN), revents: 0)) }
            let firstStream = fds.count
            for (i, stream) in engine.streams.enumerated() {
                guard let entry = stream.pollEntry else { continue }
                fds.append(entry)
                polledStreams.append(i)
            }
            let wait = max(0, min(1000, (deadline - MonotonicClock.now()).nanosecondsClamped / 1_000_000 + 1))
            _ = poll(&fds, nfds_t(fds.count), Int32(wait))
            let now = MonotonicClock.now()
            let realtime = MonotonicClock.realtimeNanoseconds()
            for (i, socket) in engine.sockets.enumerated() where fds[i].revents & Int16(POLLIN) != 0 {
                // Read everything waiting, so a burst of video costs one poll; each datagram at
                // the time the kernel took it in (the feedback's arrival times), never later
                // than `now` and never before the last round's time or the datagram before:
                // the engine's clock only moves forward.
                while let (count, from, stamp) = buffer.withUnsafeMutableBytes({ socket.receive(into: $0) }) {
                    let at = max(lastArrival, MonotonicClock.arrival(stamp, now: now, realtime: realtime))
                    lastArrival = at
                    engine.peer.handleDatagram(Array(buffer[0..<count]), from: from, to: socket.localAddress, at: at)
                }
            }
            lastArrival = now
            for (j, i) in polledStreams.enumerated() {
                let revents = fds[firstStream + j].revents
                guard revents != 0 else { continue }
                let stream = engine.streams[i]
                stream.handle(revents: revents, buffer: &streamBuffer) { message in
                    engine.peer.handleDatagram(message, from: stream.server, to: stream.base, transport: stream.transport, at: now)
                }
            }
            engine.reportStreamFailures(now, onEvent)
            if let mdns = engine.mdns, mdnsEntry < firstStream, fds[mdnsEntry].revents & Int16(POLLIN) != 0 {
                mdns.receive(into: &buffer, at: now)
            }
            if fds[engine.sockets.count].revents & Int16(POLLIN) != 0 {
                var drain = [UInt8](repeating: 0, count: 64)
                while read(wakeFD, &drain, 64) > 0 {}
            }
            // The poll set is rebuilt next round, with the sockets of the new addresses.
            if let monitor = engine.monitor, fds[engine.sockets.count + 1].revents & Int16(POLLIN) != 0, monitor.drain() {
                _ = engine.rebind(now)
            }
            commands.removeAll(keepingCapacity: true)
            let running = shared.withLock { shared -> Bool in
                swap(&commands, &shared.commands)
                return shared.running
            }
            var stop = !running
            for command in commands {
                if case .stop = command { stop = true; continue }
                engine.perform(command, now)
            }
            if stop { break }
            if now >= deadline {
                engine.peer.handleTimeout(at: now)
                engine.mdns?.handleTimeout(at: now)
            }
            deadline = engine.flush(onEvent)
        }
        engine.mdns?.close(at: MonotonicClock.now())
        finished.lock()
        done.withLock { $0 = true }
        finished.broadcast()
        finished.unlock()
    }
}

/// What the engine thread owns. Only that thread touches it.
final class PeerEngine {
    let peer: Peer
    private(set) var sockets: [UDPSocket]
    /// One per TURN server reached over TCP or TLS, in the order the agent first sent to them.
    private(set) var streams: [TURNStreamConnection] = []
    let turnServers: [ICETURNServer]
    /// TLS servers reached by 300 Try Alternate, with the name of the server that sent us
    /// there: a pool shares its name's certificate (RFC 8489 §10 without ALTERNATE-DOMAIN).
    private var redirectedNames: [TransportAddress: String] = [:]
    let turnCAFile: String?
    let addresses: (@Sendable () -> [TransportAddress])?
    let monitor: AddressMonitor?
    /// The responder for host-candidate names, opened on the first `.hostNamed`.
    private(set) var mdns: MDNSLink?

    init(peer: Peer, sockets: [UDPSocket], turnServers: [ICETURNServer] = [], turnCAFile: String? = nil,
         addresses: (@Sendable () -> [TransportAddress])? = nil, monitor: AddressMonitor? = nil) {
        self.peer = peer
        self.sockets = sockets
        self.turnServers = turnServers
        self.turnCAFile = turnCAFile
        self.addresses = addresses
        self.monitor = monitor
    }

    /// The connection for a TCP/TLS transmit, opened on first use. A failed one stays (and
    /// swallows what the agent still sends) so a dead server is not redialled for every
    /// message; the agent has been told the relay is gone.
    func stream(for t: Datagram) -> TURNStreamConnection {
        if let s = streams.first(where: { $0.server == t.to && $0.transport == t.transport }) { return s }
        var tls: TLSClientStream.Configuration?
        if t.transport == .tls {
            let name = turnServers.first { $0.address == t.to && $0.transport == .tls }?.serverName
                ?? redirectedNames[t.to] ?? t.to.hostString
            tls = TLSClientStream.Configuration(serverName: name, caFile: turnCAFile)
        }
        let s = TURNStreamConnection(server: t.to, transport: t.transport, base: t.from, tls: tls)
        streams.append(s)
        return s
    }

    /// Tells the log and the peer about connections that failed since the last call. True
    /// when there was one (the peer then has outputs to drain).
    @discardableResult
    func reportStreamFailures(_ now: Instant, _ onEvent: (PeerEvent) -> Void) -> Bool {
        var any = false
        for s in streams where !s.failureReported {
            guard case .failed(let failure) = s.phase else { continue }
            s.failureReported = true
            any = true
            onEvent(.relayFailed(transport: s.transport, reason: "\(failure)"))
            peer.relayTransportClosed(server: s.server, transport: s.transport, at: now)
        }
        return any
    }

    /// After an address change: one socket per wanted address, keeping those still wanted (by
    /// IP: they were bound to an ephemeral port), closing the others. True when the set changed;
    /// the peer then has the new bases and asks for an ICE restart.
    func rebind(_ now: Instant) -> Bool {
        guard let addresses else { return false }
        let wanted = addresses()
        var next: [UDPSocket] = []
        for address in wanted where !next.contains(where: { $0.localAddress.ip == address.ip }) {
            if let kept = sockets.first(where: { $0.localAddress.ip == address.ip }) {
                next.append(kept)
            } else if let fresh = try? UDPSocket(bindTo: address) {
                next.append(fresh)
            }
        }
        guard next.map(\.localAddress) != sockets.map(\.localAddress) else { return false }
        sockets = next  // the dropped sockets close as they go
        peer.setLocalAddresses(next.map(\.localAddress), at: now)
        return true
    }

    func perform(_ command: PeerDriver.Command, _ now: Instant) {
        switch command {
        case .createOffer(let reply):
            reply(peer.createOffer(at: now))
        case .createRestartOffer(let reply):
            reply(peer.createOffer(iceRestart: true, at: now))
        case .requestICERestart:
            peer.requestICERestart(at: now)
        case .acceptOffer(let sdp, let reply):
            do { reply(.success(try peer.acceptOffer(sdp, at: now))) } catch { reply(.failure(error)) }
        case .acceptAnswer(let sdp, let reply):
            do { try peer.acceptAnswer(sdp, at: now); reply(nil) } catch { reply(error) }
        case .remoteCandidate(let c):
            peer.addRemoteCandidate(c, at: now)
        case .remoteEndOfCandidates:
            peer.remoteEndOfCandidates(at: now)
        case .sendAudio(let payload, let ts):
            payload.withUnsafeBytes { peer.sendAudio($0, rtpTimestamp: ts, at: now) }
        case .sendVideo(let frame, let ts):
            frame.withUnsafeBytes { peer.sendVideo($0, rtpTimestamp: ts, at: now) }
        case .requestKeyframe:
            peer.requestKeyframe(at: now)
        case .stats(let reply):
            reply(peer.stats)
        case .stop:
            break
        }
    }

    /// Sends what the peer wants sent, reports events, and returns its next deadline.
    func flush(_ onEvent: (PeerEvent) -> Void) -> Instant {
        var deadline = MonotonicClock.now() + .seconds(1)
        repeat {
            while let output = peer.poll() {
                switch output {
                case .transmit(let t) where t.transport.isStream:
                    stream(for: t).send(t.bytes)
                case .transmit(let t):
                    // Nothing for a socket that is gone (its address vanished): it cannot be sent.
                    if let socket = sockets.first(where: { $0.localAddress == t.from }) {
                        t.bytes.withUnsafeBytes { _ = socket.send($0, to: t.to) }
                    }
                case .event(let e):
                    if case .relayRedirected(.tls, let from, let to) = e {
                        redirectedNames[to] = turnServers.first { $0.address == from && $0.transport == .tls }?.serverName
                            ?? redirectedNames[from]
                    }
                    if case .hostNamed(let name, let address) = e { answer(name, for: address) }
                    if case .resolveHostName(let name) = e { ask(name) }
                    onEvent(e)
                case .timeout(let t):
                    deadline = t
                }
            }
            // A connection that failed while sending (refused at once, reset) is reported
            // now, and what the peer does about it drained in the same round.
        } while reportStreamFailures(MonotonicClock.now(), onEvent)
        if let mdns {
            var answers: [(String, TransportAddress.IP?)] = []
            deadline = min(deadline, mdns.flush { answers.append(($0, $1)) })
            // The peer's candidates under those names are paired now; what it sends goes
            // out on the next round (the poll wait ends at once: the deadline is now).
            for (name, address) in answers {
                if let address { peer.hostNameResolved(name, to: address, at: MonotonicClock.now()) } else {
                    peer.hostNameUnresolved(name, at: MonotonicClock.now())
                }
                deadline = MonotonicClock.now()
            }
        }
        return deadline
    }

    /// Starts answering mDNS queries for a host candidate's name. Without port 5353 (another
    /// responder that does not share it) the name stays unresolvable: the peer then reaches
    /// this host through the other candidates, as a peer on another network always does.
    private func answer(_ name: String, for address: TransportAddress.IP) {
        if mdns == nil { mdns = try? MDNSLink() }
        mdns?.register(name: name, address: address, at: MonotonicClock.now())
    }

    /// Asks the links of the call's IPv4 sockets (not loopback) for the peer's name.
    private func ask(_ name: String) {
        if mdns == nil { mdns = try? MDNSLink() }
        let interfaces = sockets.map(\.localAddress).filter { $0.isIPv4 && !$0.isLoopback }.map(\.ip)
        mdns?.resolve(name, on: interfaces, at: MonotonicClock.now())
    }
}

/// Moves a non-Sendable value into the one thread that will own it from then on.
struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
