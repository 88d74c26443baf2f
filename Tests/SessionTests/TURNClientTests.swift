@testable import ICE
@testable import SessionCore
@testable import STUN
import Testing

/// A small TURN server written from RFC 8656 for tests (UDP, long-term credentials, one realm):
/// Allocate / Refresh / CreatePermission / ChannelBind, Send and Data indications, ChannelData,
/// and a plain Binding answer so it doubles as a STUN server. It is deliberately strict where
/// a client bug would show: integrity on every request, permissions enforced on relayed data.
///
/// Against real coturn, run (flags from /work/shared/notes/network-faults.md):
///   turnserver -n --no-cli --listening-ip IP --relay-ip IP --listening-port 3478 \
///     --min-port 49160 --max-port 49200 --lt-cred-mech --user u:p --realm kiosk \
///     --no-tls --no-dtls --log-file stdout --simple-log
/// then point `ICEAgentConfig.turnServers` at IP:3478 with user "u", password "p".
struct TURNFakeServer {
    struct Allocation {
        var relayed: TransportAddress
        var permissions: Set<TransportAddress.IP> = []
        var channels: [UInt16: TransportAddress] = [:]
        var lifetime: UInt32
    }

    let address: TransportAddress
    let relayIP: UInt32
    var realm = "kiosk"
    var username = "u"
    var password = "p"
    var nonce = "nonce-1"
    var lifetime: UInt32 = 600
    /// Answer the next authenticated request with 438 and a fresh nonce.
    var staleNonceOnce = false
    /// Answer authenticated Allocates with 300 Try Alternate (towards this, when not nil).
    var tryAlternate: TransportAddress?? = nil
    /// Send that 300 without MESSAGE-INTEGRITY, as a forger who saw the request would.
    var forgeTryAlternate = false
    var allocations: [TransportAddress: Allocation] = [:]
    var nextPort: UInt16 = 49160
    var log: [String] = []
    var relayedToPeers = 0
    var channelDataSeen = 0

    init(address: TransportAddress, relayIP: UInt32) {
        self.address = address
        self.relayIP = relayIP
    }

    var key: [UInt8] { STUNKey.longTerm(username: username, realm: realm, password: password) }

    func owns(_ a: TransportAddress) -> Bool {
        a == address || allocations.values.contains { $0.relayed == a }
    }

    mutating func receive(_ bytes: [UInt8], from: TransportAddress, to: TransportAddress) -> [Datagram] {
        if to != address {
            // Peer → relayed address (RFC 8656 §11.3, §12.6).
            guard let (client, alloc) = allocations.first(where: { $0.value.relayed == to }),
                  alloc.permissions.contains(from.ip) else { return [] }
            if let channel = alloc.channels.first(where: { $0.value == from })?.key {
                var out: [UInt8] = []
                TURNChannelData.encode(channel: channel, payload: bytes, into: &out)
                return [Datagram(from: address, to: client, bytes: out)]
            }
            let indication = STUNMessage(type: STUNMessageType(.data, .indication), transactionID: randomID(),
                                         attributes: [.xorPeerAddress(from), .data(bytes)])
            return [Datagram(from: address, to: client, bytes: indication.encode())]
        }
        if TURNChannelData.isChannelData(bytes) {
            guard let frame = try? TURNChannelData.parse(bytes), let alloc = allocations[from],
                  let peer = alloc.channels[frame.channel] else { return [] }
            channelDataSeen += 1
            relayedToPeers += 1
            return [Datagram(from: alloc.relayed, to: peer, bytes: Array(bytes[frame.payload]))]
        }
        guard let m = try? STUNMessage.parse(bytes) else { return [] }
        if m.type == STUNMessageType(.send, .indication) {
            guard let alloc = allocations[from], let peer = m.xorPeerAddress, let data = m.data,
                  alloc.permissions.contains(peer.ip) else { return [] }
            relayedToPeers += 1
            return [Datagram(from: alloc.relayed, to: peer, bytes: data)]
        }
        guard m.type.messageClass == .request else { return [] }
        if m.type.method == .binding {
            return [reply(m, to: from, [.xorMappedAddress(from)], authenticated: false)]
        }
        // RFC 8489 §9.2.4: no credentials → 401 with realm and nonce.
        guard m.username != nil, m.messageIntegrity != nil else {
            log.append("401")
            return [error(m, 401, to: from, [.realm(realm), .nonce(nonce)])]
        }
        guard m.username == username, m.realm == realm, m.verifyIntegrity(key: key) else {
            log.append("401-bad")
            return [error(m, 401, to: from, [.realm(realm), .nonce(nonce)])]
        }
        if staleNonceOnce || m.nonce != nonce {
            staleNonceOnce = false
            nonce += "x"
            log.append("438")
            return [error(m, 438, to: from, [.realm(realm), .nonce(nonce)])]
        }
        switch m.type.method {
        case .allocate where tryAlternate != nil:
            log.append("300")
            return [error(m, 300, to: from, tryAlternate!.map { [.alternateServer($0)] } ?? [], authenticated: !forgeTryAlternate)]
        case .allocate:
            log.append("allocate")
            guard allocations[from] == nil else { return [error(m, 437, to: from, [])] }
            guard m.attributes.contains(.requestedTransport(17)) else { return [error(m, 400, to: from, [])] }
            let relayed = TransportAddress(ip: .v4(relayIP), port: nextPort)
            nextPort += 1
            allocations[from] = Allocation(relayed: relayed, lifetime: lifetime)
            return [reply(m, to: from, [.xorRelayedAddress(relayed), .lifetime(lifetime), .xorMappedAddress(from)])]
        case .refresh:
            log.append("refresh \(m.lifetime ?? 600)")
            guard allocations[from] != nil else { return [error(m, 437, to: from, [])] }
            if m.lifetime == 0 { allocations[from] = nil }
            return [reply(m, to: from, [.lifetime(m.lifetime == 0 ? 0 : lifetime)])]
        case .createPermission:
            log.append("permission")
            guard let peer = m.xorPeerAddress, allocations[from] != nil else { return [error(m, 400, to: from, [])] }
            allocations[from]?.permissions.insert(peer.ip)
            return [reply(m, to: from, [])]
        case .channelBind:
            log.append("channel")
            guard let peer = m.xorPeerAddress, let number = m.channelNumber,
                  TURNChannelData.channelNumbers.contains(number), allocations[from] != nil else {
                return [error(m, 400, to: from, [])]
            }
            allocations[from]?.channels[number] = peer
            allocations[from]?.permissions.insert(peer.ip)
            return [reply(m, to: from, [])]
        default:
            return [error(m, 400, to: from, [])]
        }
    }

    private var counter: UInt64 = 0
    private mutating func randomID() -> STUNTransactionID {
        counter += 1
        return STUNTransactionID(high: 7, low: counter)
    }

    private func reply(_ request: STUNMessage, to: TransportAddress, _ attributes: [STUNAttribute],
                       authenticated: Bool = true) -> Datagram {
        let m = STUNMessage(type: STUNMessageType(request.type.method, .successResponse),
                            transactionID: request.transactionID, attributes: attributes)
        return Datagram(from: address, to: to, bytes: m.encode(integrityKey: authenticated ? key : nil))
    }

    private func error(_ request: STUNMessage, _ code: Int, to: TransportAddress, _ attributes: [STUNAttribute],
                       authenticated: Bool = false) -> Datagram {
        let m = STUNMessage(type: STUNMessageType(request.type.method, .errorResponse),
                            transactionID: request.transactionID, attributes: [.errorCode(STUNErrorCode(code))] + attributes)
        return Datagram(from: address, to: to, bytes: m.encode(integrityKey: authenticated ? key : nil))
    }
}

@Suite struct TURNClientTests {
    static let server = TransportAddress(host: "198.51.100.1", port: 3478)!
    static let client = TransportAddress(host: "192.0.2.10", port: 5000)!
    static let peer = TransportAddress(host: "203.0.113.7", port: 6000)!

    /// Client and server wired back to back; `peerInbox` collects what the relay sent the peer.
    struct Harness {
        var turn: TURNClient
        var server = TURNFakeServer(address: TURNClientTests.server, relayIP: 0xC633_6401)
        var now = Instant.zero
        var events: [TURNClient.Event] = []
        var relayedToClient: [(TransportAddress, [UInt8])] = []
        var peerInbox: [[UInt8]] = []
        var sentToServer = 0
        var serverDown = false

        init(password: String = "p", lifetime: UInt32 = 600) {
            turn = TURNClient(config: .init(server: TURNClientTests.server, username: "u", password: password),
                              random: STUNRandom(seed: 42))
            server.lifetime = lifetime
        }

        mutating func pump() {
            var pending: [Datagram] = []
            while true {
                while let out = turn.poll() {
                    if case .timeout = out { break }
                    switch out {
                    case .transmit(let bytes):
                        sentToServer += 1
                        if !serverDown { pending += server.receive(bytes, from: TURNClientTests.client, to: TURNClientTests.server) }
                    case .event(let e): events.append(e)
                    case .timeout: break
                    }
                }
                guard !pending.isEmpty else { return }
                let d = pending.removeFirst()
                if d.to == TURNClientTests.client {
                    if case .relayed(let from, let range) = turn.handleDatagram(d.bytes, at: now) {
                        relayedToClient.append((from, Array(d.bytes[range])))
                    }
                } else if d.to == TURNClientTests.peer {
                    peerInbox.append(d.bytes)
                }
            }
        }

        mutating func advance(to t: Instant) {
            while let deadline = turn.nextDeadline, deadline <= t {
                now = deadline
                turn.handleTimeout(at: now)
                pump()
            }
            now = t
        }

        mutating func fromPeer(_ bytes: [UInt8]) {
            guard let relayed = turn.relayedAddress else {
                Issue.record("data from the peer before the allocation")
                return
            }
            for d in server.receive(bytes, from: TURNClientTests.peer, to: relayed) {
                if case .relayed(let from, let range) = turn.handleDatagram(d.bytes, at: now) {
                    relayedToClient.append((from, Array(d.bytes[range])))
                }
            }
        }
    }

    @Test func allocatesAfterChallengeAndRelaysBothWays() throws {
        var h = Harness()
        h.turn.start(at: h.now)
        h.pump()
        #expect(h.server.log.prefix(2) == ["401", "allocate"])
        let relayed = try #require(h.turn.relayedAddress)
        #expect(h.events.first == .allocated(relayed: relayed, mapped: Self.client))

        // Without a permission the server drops relayed data (RFC 8656 §9).
        h.fromPeer([1, 2, 3])
        #expect(h.relayedToClient.isEmpty)
        h.turn.createPermission(for: Self.peer, at: h.now)
        h.pump()
        #expect(h.events.contains(.permissionCreated(peer: Self.peer.ip)))

        // Send indication out, Data indication in.
        let wrapped = h.turn.wrap([9, 8, 7], to: Self.peer)
        let out = try #require(wrapped)
        #expect(STUNMessage.isSTUN(out))
        h.peerInbox += h.server.receive(out, from: Self.client, to: Self.server).map(\.bytes)
        #expect(h.peerInbox == [[9, 8, 7]])
        h.fromPeer([4, 5, 6])
        #expect(h.relayedToClient.last?.0 == Self.peer)
        #expect(h.relayedToClient.last?.1 == [4, 5, 6])

        // After ChannelBind: ChannelData both ways, 4 bytes of framing.
        h.turn.bindChannel(to: Self.peer, at: h.now)
        h.pump()
        #expect(h.events.contains(.channelBound(peer: Self.peer, channel: 0x4000)))
        let wrapped2 = h.turn.wrap([1, 1, 2, 3, 5], to: Self.peer)
        let framed = try #require(wrapped2)
        #expect(framed == [0x40, 0x00, 0x00, 0x05, 1, 1, 2, 3, 5])
        h.peerInbox += h.server.receive(framed, from: Self.client, to: Self.server).map(\.bytes)
        #expect(h.peerInbox.last == [1, 1, 2, 3, 5])
        #expect(h.server.channelDataSeen == 1)
        h.fromPeer([42])
        #expect(h.relayedToClient.last?.1 == [42])
    }

    @Test func refreshesBeforeLifetimeAndKeepsPermissions() {
        var h = Harness(lifetime: 120)
        h.turn.start(at: h.now)
        h.pump()
        h.turn.createPermission(for: Self.peer, at: h.now)
        h.pump()
        h.advance(to: .zero + .seconds(700))
        // 120 s lifetime → refresh every 60 s; permissions every 240 s.
        let refreshes = h.server.log.filter { $0.hasPrefix("refresh") }.count
        #expect(refreshes >= 10 && refreshes <= 12)
        #expect(h.server.log.filter { $0 == "permission" }.count == 3)
        #expect(h.turn.isAllocated)
        h.turn.release(at: h.now)
        h.pump()
        #expect(h.turn.state == .released)
        #expect(h.server.allocations.isEmpty)
    }

    @Test func staleNonceIsRetriedWithTheNewOne() {
        var h = Harness()
        h.server.staleNonceOnce = true
        h.turn.start(at: h.now)
        h.pump()
        #expect(h.server.log == ["401", "438", "allocate"])
        #expect(h.turn.isAllocated)
    }

    @Test func tryAlternateIsReportedWithTheAlternate() {
        let alternate = TransportAddress(host: "198.51.100.2", port: 3478)!
        var h = Harness()
        h.server.tryAlternate = .some(alternate)
        h.turn.start(at: h.now)
        h.pump()
        #expect(h.server.log == ["401", "300"])
        #expect(h.turn.state == .failed(.redirected(to: alternate)))
        #expect(h.events == [.failed(.redirected(to: alternate))])
        // Without ALTERNATE-SERVER there is nowhere to go: an ordinary refusal.
        var bare = Harness()
        bare.server.tryAlternate = .some(nil)
        bare.turn.start(at: bare.now)
        bare.pump()
        #expect(bare.turn.state == .failed(.rejected(code: 300)))
        // A redirect that cannot prove it knows the key is not followed (nor is the request
        // abandoned: the real answer may still come).
        var forged = Harness()
        forged.server.tryAlternate = .some(alternate)
        forged.server.forgeTryAlternate = true
        forged.turn.start(at: forged.now)
        forged.pump()
        #expect(forged.turn.state == .allocating && forged.events.isEmpty)
    }

    @Test func alternateServerRoundTrips() throws {
        let alternate = TransportAddress(host: "198.51.100.2", port: 3479)!
        let m = STUNMessage(type: STUNMessageType(.allocate, .errorResponse), transactionID: STUNTransactionID(high: 7, low: 7),
                            attributes: [.errorCode(STUNErrorCode(300, "Try Alternate")), .alternateServer(alternate)])
        let parsed = try STUNMessage.parse(m.encode(fingerprint: true))
        #expect(parsed.alternateServer == alternate)
    }

    @Test func wrongPasswordFailsWithoutLooping() {
        var h = Harness(password: "nope")
        h.turn.start(at: h.now)
        h.pump()
        #expect(h.server.log == ["401", "401-bad"])
        #expect(h.turn.state == .failed(.unauthorized))
        #expect(h.events == [.failed(.unauthorized)])
    }

    @Test func silentServerTimesOut() {
        var h = Harness()
        h.serverDown = true
        h.turn.start(at: h.now)
        h.pump()
        h.advance(to: .zero + .seconds(60))
        #expect(h.turn.state == .failed(.timedOut))
        #expect(h.sentToServer == 7)
        #expect(h.turn.nextDeadline == nil)
    }

    @Test func channelDataParsing() throws {
        let frame = try TURNChannelData.parse([0x40, 0x01, 0x00, 0x02, 0xAA, 0xBB, 0x00, 0x00])
        #expect(frame.channel == 0x4001)
        #expect(frame.payload == 4..<6)
        #expect(throws: TURNError.truncated) { try TURNChannelData.parse([0x40, 0x01, 0x00, 0x09, 0xAA]) }
        #expect(throws: TURNError.invalidChannel(0x5000)) { try TURNChannelData.parse([0x50, 0x00, 0x00, 0x00]) }
        #expect(throws: TURNError.truncated) { try TURNChannelData.parse([0x40]) }
        #expect(TURNChannelData.isChannelData([0x4F, 0, 0, 0]))
        #expect(!TURNChannelData.isChannelData([0x00, 0x01, 0, 0]))
    }

    @Test func unsolicitedAndGarbageDatagramsAreDropped() {
        var h = Harness()
        h.turn.start(at: h.now)
        h.pump()
        #expect(h.turn.handleDatagram([0x40, 0x00, 0x00, 0x01, 0x00], at: h.now) == .dropped) // unbound channel
        #expect(h.turn.handleDatagram([1, 2, 3], at: h.now) == .dropped)
        let stray = STUNMessage(type: STUNMessageType(.allocate, .successResponse), transactionID: .init(high: 1, low: 1))
        #expect(h.turn.handleDatagram(stray.encode(), at: h.now) == .dropped)
        #expect(h.turn.isAllocated)
    }
}
