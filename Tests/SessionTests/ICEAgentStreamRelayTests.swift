@testable import ICE
import SessionCore
import STUN
import Testing

/// The agent with relays reached over UDP, TCP and TLS on one server address (RFC 8656 §3.1):
/// each allocation's messages are marked with their transport, the relays rank UDP > TCP > TLS
/// (RFC 8445 §5.1.2.1), and a lost connection fails only that relay.
@Suite struct ICEAgentStreamRelayTests {
    static let host = TransportAddress(host: "192.0.2.10", port: 5000)!
    static let server = TransportAddress(host: "198.51.100.1", port: 3478)!

    struct Setup {
        var agent: ICEAgent
        /// One fake server per transport: each keys allocations by the client's address.
        var servers: [TransportProtocol: TURNFakeServer] = [:]
        var events: [ICEEvent] = []
        var sent: [TransportProtocol: Int] = [:]

        init() {
            var config = ICEAgentConfig()
            config.turnServers = TransportProtocol.allCases.map {
                ICETURNServer(address: ICEAgentStreamRelayTests.server, username: "u", password: "p", transport: $0,
                              serverName: $0 == .tls ? "turn.example" : nil)
            }
            agent = ICEAgent(config: config, credentials: ICECredentials(ufrag: "abcd", pwd: "abcdabcdabcdabcdabcdabcd"),
                             isControlling: true, random: STUNRandom(seed: 3))
            for (i, t) in TransportProtocol.allCases.enumerated() {
                servers[t] = TURNFakeServer(address: ICEAgentStreamRelayTests.server, relayIP: 0xC633_6401 + UInt32(i))
            }
        }

        mutating func pump(at now: Instant) {
            var inbox: [(TransportProtocol, [UInt8])] = []
            repeat {
                for (t, bytes) in inbox {
                    _ = agent.handleDatagram(bytes, from: ICEAgentStreamRelayTests.server, to: ICEAgentStreamRelayTests.host,
                                             transport: t, at: now)
                }
                inbox.removeAll()
                while let out = agent.poll() {
                    switch out {
                    case .transmit(let d):
                        #expect(d.to == ICEAgentStreamRelayTests.server && d.from == ICEAgentStreamRelayTests.host)
                        sent[d.transport, default: 0] += 1
                        for reply in servers[d.transport]!.receive(d.bytes, from: d.from, to: d.to) {
                            inbox.append((d.transport, reply.bytes))
                        }
                    case .event(let e): events.append(e)
                    case .timeout: break
                    }
                }
            } while !inbox.isEmpty
        }

        var relays: [ICECandidate] {
            events.compactMap { if case .localCandidate(let c) = $0, c.kind == .relay { c } else { nil } }
        }
    }

    @Test func relaysOverEachTransportRankUDPAboveTCPAboveTLS() throws {
        var s = Setup()
        s.agent.addLocalHost(Self.host, at: .zero)
        s.pump(at: .zero)
        // 401 then Allocate on each transport.
        #expect(s.sent == [.udp: 2, .tcp: 2, .tls: 2])
        #expect(s.servers.values.allSatisfy { $0.log == ["401", "allocate"] })
        let relays = s.relays
        #expect(relays.count == 3)
        #expect(Set(relays.map(\.foundation)).count == 3, "the transport to the server is part of the foundation")
        let byPriority = relays.sorted { $0.priority > $1.priority }
        #expect(byPriority.map(\.priority) == relays.map(\.priority), "UDP, TCP, TLS in that order")
        #expect(relays.allSatisfy { $0.transport == .udp && $0.relatedAddress != nil })
        // Local preferences 65535, 65535 - 8192, 65535 - 16384 under relay's type preference 0.
        #expect(relays.map { $0.priority >> 8 & 0xFFFF } == [65535, 57343, 49151])
        // No server-reflexive candidate from a TCP connection's mapped address.
        #expect(!s.events.contains { if case .localCandidate(let c) = $0 { c.kind == .srflx } else { false } })
        #expect(s.events.contains(.gatheringComplete))
    }

    @Test func aLostConnectionFailsThatRelayOnly() throws {
        var s = Setup()
        s.agent.addLocalHost(Self.host, at: .zero)
        s.pump(at: .zero)
        s.agent.relayTransportClosed(server: Self.server, transport: .tls, at: .zero + .seconds(1))
        s.pump(at: .zero + .seconds(1))
        #expect(s.events.contains(.relayFailed(transport: .tls, error: .transportClosed)))
        #expect(!s.events.contains { if case .relayFailed(let t, _) = $0 { t != .tls } else { false } })
        // Messages on a stream never reach the non-relay path.
        let stray = STUNMessage(type: .bindingRequest, transactionID: .init(high: 9, low: 9)).encode()
        let other = TransportAddress(host: "198.51.100.9", port: 3478)!
        #expect(s.agent.handleDatagram(stray, from: other, to: Self.host, transport: .tcp, at: .zero) == .dropped(.unexpected))
    }

    @Test func aRelayThatTimesOutOverAStreamIsReportedOnce() throws {
        var config = ICEAgentConfig()
        config.turnServers = [ICETURNServer(address: Self.server, username: "u", password: "p", transport: .tcp)]
        var agent = ICEAgent(config: config, credentials: ICECredentials(ufrag: "abcd", pwd: "abcdabcdabcdabcdabcdabcd"),
                             isControlling: true, random: STUNRandom(seed: 4))
        agent.addLocalHost(Self.host, at: .zero)
        var sends = 0
        var events: [ICEEvent] = []
        var now = Instant.zero
        while now < .zero + .seconds(60) {
            while let out = agent.poll() {
                if case .transmit = out { sends += 1 }
                if case .event(let e) = out { events.append(e) }
                if case .timeout(let t) = out { now = max(now + .milliseconds(1), min(t, .zero + .seconds(60))) }
            }
            agent.handleTimeout(at: now)
        }
        #expect(sends == 1, "no retransmission over TCP")
        #expect(events.filter { if case .relayFailed = $0 { true } else { false } } == [.relayFailed(transport: .tcp, error: .timedOut)])
        #expect(events.contains(.gatheringComplete))
    }
}
