import DTLS
import Foundation
import ICE
import MDNS
import NetEmulator
import RTP
import RTPStreams
import SessionCore
import SessionPeer
import Signaling
import STUN
import Testing

/// One conformance test of the drain contract (`SansIOMachine`) for every sans-IO machine:
/// after any input, `poll()` gives the outputs, then exactly one `.timeout` (last), then nil,
/// and nil again. Each machine is driven through a real scenario (a handshake, a call, a
/// reconnect), and every drain of it is checked.
@Suite struct DrainContractTests {
    /// Counts the drains it checked, so a scenario that never ran fails too.
    final class Checker {
        var drains = 0

        @discardableResult
        func drain<M: SansIOMachine>(_ machine: inout M, _ what: String,
                                     sourceLocation: SourceLocation = #_sourceLocation) -> [M.Output] {
            var outputs: [M.Output] = []
            var timeouts = 0
            while let o = machine.poll() {
                if o.timeoutInstant != nil {
                    timeouts += 1
                } else if timeouts > 0 {
                    Issue.record("\(what): an output after the drain's .timeout", sourceLocation: sourceLocation)
                }
                outputs.append(o)
                if outputs.count > 100_000 {
                    Issue.record("\(what): poll() never returns nil", sourceLocation: sourceLocation)
                    break
                }
            }
            #expect(timeouts == 1, "\(what): \(timeouts) .timeouts in one drain", sourceLocation: sourceLocation)
            #expect(outputs.last?.timeoutInstant != nil, "\(what): .timeout is last", sourceLocation: sourceLocation)
            #expect(machine.poll() == nil, "\(what): nil after the drain", sourceLocation: sourceLocation)
            drains += 1
            return outputs
        }
    }

    @Test func signalingClient() throws {
        let c = Checker()
        var client = SignalingClient(configuration: .init(hello: SignalingHello(role: .kiosk, kioskId: "k", token: "t", software: "test")))
        var now = Instant(nanoseconds: 1_000_000_000)
        c.drain(&client, "before any input")
        client.handle(.start, at: now)
        #expect(c.drain(&client, "start").contains(.connect))
        client.handle(.connected, at: now)
        c.drain(&client, "connected")
        let welcome = SignalingEnvelope(.welcome(SignalingWelcome(sessionId: "s", heartbeatIntervalMs: 15_000, iceServers: []))).text
        client.handle(.received(welcome), at: now)
        c.drain(&client, "welcome")
        // Two inputs, one drain: still one closing .timeout.
        client.handle(.intent(.join(appointmentId: "a")), at: now)
        client.handle(.received("not json"), at: now)
        var deadline = c.drain(&client, "two inputs").last?.timeoutInstant ?? .never
        // The heartbeat: each timer expiry is an input with its own drain (a ping goes out).
        for _ in 0..<3 {
            now = deadline
            client.handle(.timeout, at: now)
            deadline = c.drain(&client, "heartbeat").last?.timeoutInstant ?? .never
        }
        client.handle(.disconnected, at: now)
        c.drain(&client, "disconnected")
        client.handle(.stop, at: now)
        #expect(c.drain(&client, "stopped").last == .timeout(.never) || client.nextDeadline != nil)
        #expect(c.drains == 10)
    }

    @Test func mdnsResponder() throws {
        let c = Checker()
        var r = MDNSResponder()
        let name = "0a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d.local", me = TransportAddress.IP.v4(0x0A00_0002)
        let peer = TransportAddress(host: "10.0.0.3", port: 5353)!
        var now = Instant(nanoseconds: 1_000_000_000)
        c.drain(&r, "before any input")
        r.register(name: name, address: me, interface: me, at: now)
        let deadline = c.drain(&r, "register").last?.timeoutInstant ?? .never
        #expect(deadline == now + .seconds(1))
        let query = DNSMessage(questions: [.init(name: name, type: DNSMessage.typeA)]).encoded()
        r.handle(query, from: peer, at: now + .milliseconds(10))
        r.handle([0xFF], from: peer, at: now + .milliseconds(10))
        c.drain(&r, "a query within the second, and garbage")
        now = deadline
        r.handleTimeout(at: now)
        #expect(c.drain(&r, "the second announcement").count == 2)
        r.handle(query, from: peer, at: now + .seconds(2))
        c.drain(&r, "an answer")
        r.unregisterAll(at: now + .seconds(3))
        #expect(c.drain(&r, "goodbye").last == .timeout(.never))
        #expect(c.drains == 6)
    }

    @Test func rtpSendAndReceiveStreams() throws {
        let c = Checker()
        let clock = NTPClock(ntpAtZero: NTPTimestamp(seconds: 3_900_000_000, fraction: 0))
        var send = RTPSendStream(config: .init(ssrc: 0xA1, payloadType: 96, format: .vp8(maxPayloadSize: 1100), cname: "c", ntpClock: clock))
        var receiveConfig = RTPReceiveStream.Config(kind: .video, remoteSSRC: 0xA1, localSSRC: 0xB2, cname: "d")
        receiveConfig.payloadType = 96
        receiveConfig.nack = RTPNackConfig()
        var receive = RTPReceiveStream(config: receiveConfig)
        c.drain(&send, "send, before media")
        c.drain(&receive, "receive, before media")
        var now = Instant(nanoseconds: 1_000_000_000)
        for i in 0..<20 {
            let frame: [UInt8] = [i == 0 ? 0x10 : 0x11] + [UInt8](repeating: UInt8(i), count: 2500)
            try send.sendFrame(frame, rtpTimestamp: UInt32(i * 3000), at: now)
            for o in c.drain(&send, "send frame \(i)") {
                guard case .sendRTP(let seq, _) = o, seq % 7 != 3 else { continue }  // lose some
                try receive.handle(packet: send.packet, at: now)
                c.drain(&receive, "receive packet")
            }
            now = now + .milliseconds(33)
            receive.handleTimeout(at: now)
            for case .sendRTCP(let bytes) in c.drain(&receive, "receive timeout") {
                for p in try RTCPPacket.parseCompound(bytes) { send.handleRTCP(p, at: now) }
                c.drain(&send, "send RTCP")
            }
            send.handleTimeout(at: now)
            c.drain(&send, "send timeout")
        }
        send.handleRTCP(.pictureLossIndication(RTCPPictureLossIndication(senderSSRC: 0xB2, mediaSSRC: 0xA1)), at: now)
        #expect(c.drain(&send, "PLI").first == .keyframeRequested)
        #expect(c.drains > 80)
    }

    @Test func iceAgentsAndTURNClient() throws {
        let c = Checker()
        var random = STUNRandom(seed: 7)
        var a = ICEAgent(credentials: ICECredentials(ufrag: "aaaa", pwd: "aaaaaaaaaaaaaaaaaaaaaaaa"), isControlling: true, random: random.split())
        var b = ICEAgent(credentials: ICECredentials(ufrag: "bbbb", pwd: "bbbbbbbbbbbbbbbbbbbbbbbb"), isControlling: false, random: random.split())
        var now = Instant(nanoseconds: 1_000_000_000)
        let hostA = TransportAddress(host: "10.0.0.1", port: 5000)!, hostB = TransportAddress(host: "10.0.0.2", port: 6000)!
        a.setRemoteCredentials(ufrag: "bbbb", pwd: "bbbbbbbbbbbbbbbbbbbbbbbb", at: now)
        b.setRemoteCredentials(ufrag: "aaaa", pwd: "aaaaaaaaaaaaaaaaaaaaaaaa", at: now)
        a.addLocalHost(hostA, at: now)
        b.addLocalHost(hostB, at: now)
        var net = NetworkEmulator(seed: 7)
        var deadlines = (a: Instant.zero, b: Instant.zero)
        var connected = (a: false, b: false)
        func route(_ outputs: [ICEOutput], fromA: Bool) {
            for o in outputs {
                switch o {
                case .transmit(let t): net.send(t, from: fromA ? .a : .b, at: now)
                case .event(.localCandidate(let cand)):
                    if fromA { b.addRemoteCandidate(cand, at: now) } else { a.addRemoteCandidate(cand, at: now) }
                case .event(.stateChanged(let s)) where s == .connected || s == .completed:
                    if fromA { connected.a = true } else { connected.b = true }
                case .timeout(let t): if fromA { deadlines.a = t } else { deadlines.b = t }
                default: break
                }
            }
        }
        route(c.drain(&a, "ICE a host"), fromA: true)
        route(c.drain(&b, "ICE b host"), fromA: false)
        for _ in 0..<400 where !(connected.a && connected.b) {
            while let d = net.popDue(at: now) {
                let t = d.datagram
                if d.to == .b {
                    _ = b.handleDatagram(t.bytes, from: t.from, to: t.to, at: now)
                    route(c.drain(&b, "ICE b datagram"), fromA: false)
                } else {
                    _ = a.handleDatagram(t.bytes, from: t.from, to: t.to, at: now)
                    route(c.drain(&a, "ICE a datagram"), fromA: true)
                }
            }
            now = now + .milliseconds(5)
            if deadlines.a <= now { a.handleTimeout(at: now); route(c.drain(&a, "ICE a timeout"), fromA: true) }
            if deadlines.b <= now { b.handleTimeout(at: now); route(c.drain(&b, "ICE b timeout"), fromA: false) }
        }
        #expect(connected.a && connected.b)

        // A TURN allocation nobody answers: retransmissions, then failure, all drained.
        var turn = TURNClient(config: .init(server: TransportAddress(host: "10.0.0.9", port: 3478)!, username: "u", password: "p"),
                              random: random.split())
        turn.start(at: now)
        var deadline = c.drain(&turn, "TURN start").last?.timeoutInstant ?? .never
        for _ in 0..<10 where deadline != .never {
            now = deadline
            turn.handleTimeout(at: now)
            deadline = c.drain(&turn, "TURN timeout").last?.timeoutInstant ?? .never
        }
        _ = turn.handleDatagram([0, 1, 2, 3], at: now)
        c.drain(&turn, "TURN garbage")
        #expect(turn.nextDeadline == nil, "the allocation gave up after its retransmissions")
    }

    @Test func dtlsEndpoints() throws {
        let c = Checker()
        let certA = try DTLSCertificate(), certB = try DTLSCertificate()
        var client = try DTLSEndpoint(role: .client, certificate: certA, expectedRemoteFingerprint: certB.fingerprint)
        var server = try DTLSEndpoint(role: .server, certificate: certB, expectedRemoteFingerprint: certA.fingerprint)
        var now = Instant(nanoseconds: 1_000_000_000)
        c.drain(&client, "DTLS before start")
        client.start(now: now)
        var toServer: [[UInt8]] = [], toClient: [[UInt8]] = []
        func collect(_ outputs: [DTLSOutput], into queue: inout [[UInt8]]) {
            for case .transmit(let d) in outputs { queue.append(d) }
        }
        collect(c.drain(&client, "DTLS start"), into: &toServer)
        var dropFirstServerFlight = true
        for _ in 0..<20 where client.state != .connected || server.state != .connected {
            for d in toServer { server.handleDatagram(d, now: now); collect(c.drain(&server, "DTLS server datagram"), into: &toClient) }
            toServer.removeAll()
            if dropFirstServerFlight, !toClient.isEmpty {
                // A lost flight: the server's timer resends it at the simulated instant.
                dropFirstServerFlight = false
                toClient.removeAll()
                let deadline = try #require(server.nextTimeout)
                now = deadline
                server.handleTimeout(now: now)
                collect(c.drain(&server, "DTLS server timeout"), into: &toClient)
            }
            for d in toClient { client.handleDatagram(d, now: now); collect(c.drain(&client, "DTLS client datagram"), into: &toServer) }
            toClient.removeAll()
        }
        #expect(client.state == .connected && server.state == .connected)
        client.handleDatagram([23, 0xfe, 0xfd, 0, 1], now: now)
        c.drain(&client, "DTLS garbage")
        client.close(now: now)
        c.drain(&client, "DTLS close")
        #expect(c.drains > 6)
    }

    @Test func peers() throws {
        let c = Checker()
        let hostA = TransportAddress(host: "10.0.0.1", port: 5000)!, hostB = TransportAddress(host: "10.0.0.2", port: 6000)!
        var a = Peer(configuration: PeerConfiguration(localAddresses: [hostA], seed: 11), certificate: try DTLSCertificate())
        var b = Peer(configuration: PeerConfiguration(localAddresses: [hostB], seed: 12), certificate: try DTLSCertificate())
        var now = Instant(nanoseconds: 1_000_000_000)
        let offer = a.createOffer(at: now)
        let answer = try b.acceptOffer(offer, at: now)
        try a.acceptAnswer(answer, at: now)
        var net = NetworkEmulator(seed: 11)
        var deadlines = (a: Instant.zero, b: Instant.zero)
        var connected = (a: false, b: false)
        func route(_ outputs: [PeerOutput], fromA: Bool) {
            for o in outputs {
                switch o {
                case .transmit(let t): net.send(t, from: fromA ? .a : .b, at: now)
                case .event(.localCandidate(let cand, _, _)):
                    _ = fromA ? b.addRemoteCandidate(cand, at: now) : a.addRemoteCandidate(cand, at: now)
                case .event(.connected): if fromA { connected.a = true } else { connected.b = true }
                case .timeout(let t): if fromA { deadlines.a = t } else { deadlines.b = t }
                default: break
                }
            }
        }
        route(c.drain(&a, "peer a after answer"), fromA: true)
        route(c.drain(&b, "peer b after offer"), fromA: false)
        var sentMedia = 0
        for step in 0..<3000 {
            while let d = net.popDue(at: now) {
                let t = d.datagram
                if d.to == .b {
                    b.handleDatagram(t.bytes, from: t.from, to: t.to, at: now)
                    route(c.drain(&b, "peer b datagram"), fromA: false)
                } else {
                    a.handleDatagram(t.bytes, from: t.from, to: t.to, at: now)
                    route(c.drain(&a, "peer a datagram"), fromA: true)
                }
            }
            if connected.a && connected.b, step % 4 == 0, sentMedia < 60 {
                let frame: [UInt8] = [sentMedia == 0 ? 0x10 : 0x11, 0x9d, 0x01, 0x2a] + [UInt8](repeating: 7, count: 3000)
                frame.withUnsafeBytes { a.sendVideo($0, rtpTimestamp: UInt32(sentMedia * 3000), at: now) }
                route(c.drain(&a, "peer a video"), fromA: true)
                [UInt8](repeating: 0xfc, count: 40).withUnsafeBytes { b.sendAudio($0, rtpTimestamp: UInt32(sentMedia * 960), at: now) }
                route(c.drain(&b, "peer b audio"), fromA: false)
                sentMedia += 1
            }
            now = now + .milliseconds(5)
            if deadlines.a <= now { a.handleTimeout(at: now); route(c.drain(&a, "peer a timeout"), fromA: true) }
            if deadlines.b <= now { b.handleTimeout(at: now); route(c.drain(&b, "peer b timeout"), fromA: false) }
            if sentMedia == 60 && net.nextDelivery == nil { break }
        }
        #expect(connected.a && connected.b)
        #expect(sentMedia == 60)
        #expect(b.stats.videoPacketsReceived > 60 && a.stats.audioPacketsReceived > 50)
        #expect(c.drains > 200)
    }
}
