@testable import ICE
@testable import SessionCore
@testable import STUN
import Testing

/// The TURN client unchanged over TCP/TLS (RFC 8656 §3.1): its messages go through
/// `TURNStreamFramer` into a byte stream, cut into odd chunks both ways, to the fake server.
/// Simulated time: the reliable policy sends each transaction once and fails it exactly at
/// its timeout.
@Suite struct TURNClientStreamTests {
    static let server = TURNClientTests.server
    static let client = TURNClientTests.client
    static let peer = TURNClientTests.peer
    static let timeout: Duration = .milliseconds(39_500)

    struct StreamHarness {
        var turn: TURNClient
        var fake = TURNFakeServer(address: TURNClientTests.server, relayIP: 0xC633_6401)
        var now = Instant.zero
        var events: [TURNClient.Event] = []
        var relayedToClient: [(TransportAddress, [UInt8])] = []
        var peerInbox: [[UInt8]] = []
        /// Client → server and server → client bytes, and the framers reading them.
        var upstream: [UInt8] = []
        var downstream: [UInt8] = []
        var serverFramer = TURNStreamFramer()
        var clientFramer = TURNStreamFramer()
        var transmissions = 0
        var serverDown = false
        let chunk: Int

        init(password: String = "p", chunk: Int = 7) {
            turn = TURNClient(config: .init(server: TURNClientTests.server, username: "u", password: password,
                                            retransmit: .reliable(timeout: TURNClientStreamTests.timeout)),
                              random: STUNRandom(seed: 7))
            self.chunk = chunk
        }

        mutating func pump() throws {
            while true {
                while let out = turn.poll() {
                    switch out {
                    case .transmit(let bytes):
                        transmissions += 1
                        TURNStreamFramer.frame(bytes, into: &upstream)
                    case .event(let e): events.append(e)
                    case .timeout: break
                    }
                }
                guard !upstream.isEmpty || !downstream.isEmpty else { return }
                // Both directions move `chunk` bytes at a time: messages split anywhere.
                if !upstream.isEmpty {
                    let n = min(chunk, upstream.count)
                    try serverFramer.append(Array(upstream.prefix(n)))
                    upstream.removeFirst(n)
                    while let m = try serverFramer.nextMessage() {
                        guard !serverDown else { continue }
                        for d in fake.receive(m, from: TURNClientTests.client, to: TURNClientTests.server) {
                            if d.to == TURNClientTests.client { TURNStreamFramer.frame(d.bytes, into: &downstream) }
                            else { peerInbox.append(d.bytes) }
                        }
                    }
                }
                if !downstream.isEmpty {
                    let n = min(chunk, downstream.count)
                    try clientFramer.append(Array(downstream.prefix(n)))
                    downstream.removeFirst(n)
                    while let m = try clientFramer.nextMessage() { deliver(m) }
                }
            }
        }

        mutating func deliver(_ m: [UInt8]) {
            if case .relayed(let from, let range) = turn.handleDatagram(m, at: now) {
                relayedToClient.append((from, Array(m[range])))
            }
        }

        mutating func advance(to t: Instant) throws {
            while let deadline = turn.nextDeadline, deadline <= t {
                now = deadline
                turn.handleTimeout(at: now)
                try pump()
            }
            now = t
        }

        mutating func fromPeer(_ bytes: [UInt8]) throws {
            let relayed = try #require(turn.relayedAddress)
            for d in fake.receive(bytes, from: TURNClientTests.peer, to: relayed) {
                TURNStreamFramer.frame(d.bytes, into: &downstream)
            }
            try pump()
        }
    }

    @Test(arguments: [1, 7, 64])
    func allocatesBindsAndRelaysPaddedChannelData(chunk: Int) throws {
        var h = StreamHarness(chunk: chunk)
        h.turn.start(at: h.now)
        try h.pump()
        #expect(h.fake.log == ["401", "allocate"])
        #expect(h.transmissions == 2)
        let relayed = try #require(h.turn.relayedAddress)
        #expect(h.events == [.allocated(relayed: relayed, mapped: Self.client)])

        h.turn.createPermission(for: Self.peer, at: h.now)
        h.turn.bindChannel(to: Self.peer, at: h.now)
        try h.pump()
        #expect(h.fake.log == ["401", "allocate", "permission", "channel"])
        #expect(h.events.contains(.channelBound(peer: Self.peer, channel: 0x4000)))

        // ChannelData of 5 bytes: 9 on the wire for UDP, 12 on the stream (RFC 8656 §12.5).
        let w = h.turn.wrap([1, 2, 3, 4, 5], to: Self.peer)
        let wrapped = try #require(w)
        #expect(wrapped.count == 9)
        var framed: [UInt8] = []
        TURNStreamFramer.frame(wrapped, into: &framed)
        #expect(framed == [0x40, 0x00, 0x00, 0x05, 1, 2, 3, 4, 5, 0, 0, 0])
        h.upstream += framed
        try h.pump()
        #expect(h.peerInbox == [[1, 2, 3, 4, 5]])
        #expect(h.fake.channelDataSeen == 1)

        try h.fromPeer([42, 43, 44])
        #expect(h.relayedToClient.count == 1)
        #expect(h.relayedToClient.first?.0 == Self.peer)
        #expect(h.relayedToClient.first?.1 == [42, 43, 44])
    }

    /// No retransmission over a stream: one Allocate, failed at exactly 39.5 s.
    @Test func silentServerFailsOnceAtTheTransactionTimeout() throws {
        var h = StreamHarness()
        h.serverDown = true
        h.turn.start(at: h.now)
        try h.pump()
        #expect(h.turn.nextDeadline == Instant.zero + Self.timeout)
        try h.advance(to: .zero + Self.timeout - .milliseconds(1))
        #expect(h.turn.state == .allocating)
        try h.advance(to: .zero + .seconds(120))
        #expect(h.transmissions == 1)
        #expect(h.turn.state == .failed(.timedOut))
        #expect(h.events == [.failed(.timedOut)])
        #expect(h.turn.nextDeadline == nil)
    }

    /// Refreshes run over the stream as over UDP, each sent once.
    @Test func refreshesAndPermissionsKeepGoing() throws {
        var h = StreamHarness()
        h.fake.lifetime = 120
        h.turn.start(at: h.now)
        try h.pump()
        h.turn.createPermission(for: Self.peer, at: h.now)
        try h.pump()
        try h.advance(to: .zero + .seconds(700))
        #expect(h.fake.log.filter { $0.hasPrefix("refresh") }.count == 11)
        #expect(h.fake.log.filter { $0 == "permission" }.count == 3)
        #expect(h.transmissions == 2 + 1 + 11 + 2)
        #expect(h.turn.isAllocated)
    }

    @Test func staleNonceAndBadPasswordBehaveAsOverUDP() throws {
        var stale = StreamHarness()
        stale.fake.staleNonceOnce = true
        stale.turn.start(at: stale.now)
        try stale.pump()
        #expect(stale.fake.log == ["401", "438", "allocate"])
        #expect(stale.turn.isAllocated)

        var bad = StreamHarness(password: "nope")
        bad.turn.start(at: bad.now)
        try bad.pump()
        #expect(bad.fake.log == ["401", "401-bad"])
        #expect(bad.turn.state == .failed(.unauthorized))
        #expect("\(TURNError.unauthorized)".contains("refused the credentials"))
    }

    @Test func aClosedConnectionFailsTheAllocation() throws {
        var h = StreamHarness()
        h.turn.start(at: h.now)
        try h.pump()
        #expect(h.turn.isAllocated)
        h.turn.transportClosed()
        try h.pump()
        #expect(h.turn.state == .failed(.transportClosed))
        #expect(h.events.last == .failed(.transportClosed))
        #expect(h.turn.wrap([1], to: Self.peer) == nil)
        // A second report (the driver seeing the close twice) changes nothing.
        h.turn.transportClosed()
        try h.pump()
        #expect(h.events.filter { $0 == .failed(.transportClosed) }.count == 1)
    }
}
