import NetEmulator
import SessionCore
import Testing

/// The emulator itself: each impairment does what it says, exactly, for a given seed.
@Suite struct NetEmulatorTests {
    static let a = TransportAddress(host: "10.0.0.1", port: 5000)!
    static let b = TransportAddress(host: "10.0.0.2", port: 6000)!
    /// An RTP-shaped packet carrying `n` in bytes 4–7.
    static func rtp(_ n: Int, size: Int = 100) -> [UInt8] {
        [0x80, 96, 0, 0, UInt8(n >> 24 & 0xff), UInt8(n >> 16 & 0xff), UInt8(n >> 8 & 0xff), UInt8(n & 0xff)]
            + [UInt8](repeating: 0, count: size - 8)
    }

    static func id(_ bytes: [UInt8]) -> Int { bytes[4...7].reduce(0) { $0 << 8 | Int($1) } }

    /// Sends `count` RTP packets from A every `spacing`, then collects every delivery.
    static func run(_ net: inout NetworkEmulator, count: Int, spacing: Duration = .milliseconds(10), size: Int = 100)
        -> [(at: Instant, seq: Int)] {
        var now = Instant.zero
        var out: [(Instant, Int)] = []
        for i in 0..<count {
            net.send(.init(from: a, to: b, bytes: rtp(i, size: size)), from: .a, at: now)
            now = now + spacing
            while let d = net.popDue(at: now) { out.append((now, id(d.datagram.bytes))) }
        }
        while let t = net.nextDelivery {
            while let d = net.popDue(at: t) { out.append((t, id(d.datagram.bytes))) }
        }
        return out
    }

    /// A peer's address changes mid-call: what is in flight to the old one and what is sent
    /// from or to it afterwards is lost; the new one works both ways.
    @Test func aMovedPeerIsReachedOnlyAtItsNewAddress() {
        var net = NetworkEmulator(seed: 1)
        let moved = TransportAddress(host: "10.0.9.1", port: 5002)!
        net.send(.init(from: Self.a, to: Self.b, bytes: Self.rtp(1)), from: .a, at: .zero)
        net.send(.init(from: Self.b, to: Self.a, bytes: Self.rtp(2)), from: .b, at: .zero)
        net.move(.a, from: Self.a, to: moved)
        var delivered: [Int] = []
        while let t = net.nextDelivery { while let d = net.popDue(at: t) { delivered.append(Self.id(d.datagram.bytes)) } }
        #expect(delivered == [1], "what B sent to A's old address is lost on arrival")
        net.send(.init(from: Self.a, to: Self.b, bytes: Self.rtp(3)), from: .a, at: .zero + .seconds(1))
        net.send(.init(from: Self.b, to: Self.a, bytes: Self.rtp(4)), from: .b, at: .zero + .seconds(1))
        net.send(.init(from: moved, to: Self.b, bytes: Self.rtp(5)), from: .a, at: .zero + .seconds(1))
        net.send(.init(from: Self.b, to: moved, bytes: Self.rtp(6)), from: .b, at: .zero + .seconds(1))
        var after: [(Int, TransportAddress)] = []
        while let t = net.nextDelivery { while let d = net.popDue(at: t) { after.append((Self.id(d.datagram.bytes), d.datagram.to)) } }
        #expect(after.map(\.0) == [5, 6] && after.map(\.1) == [Self.b, moved])
        #expect(net.stats(from: .a).unroutable == 1 && net.stats(from: .b).unroutable == 2)
    }

    @Test func aCleanLinkDelaysEveryPacketAndKeepsOrder() {
        var net = NetworkEmulator(seed: 1)
        let got = Self.run(&net, count: 100)
        #expect(got.map(\.seq) == Array(0..<100))
        #expect(net.stats(from: .a).delivered == 100 && net.stats(from: .a).lost == 0)
    }

    @Test func bernoulliLossIsSeededAndOnlyHitsTheClassesItImpairs() {
        var link = LinkConfig()
        link.loss = .bernoulli(0.05)
        var net = NetworkEmulator(seed: 42, aToB: link)
        let got = Self.run(&net, count: 10_000)
        #expect(net.stats(from: .a).lost == 10_000 - got.count)
        #expect(net.stats(from: .a).lost == 506)
        var again = NetworkEmulator(seed: 42, aToB: link)
        #expect(Self.run(&again, count: 10_000).map(\.seq) == got.map(\.seq), "same seed, same packets")
        link.impairs = [.dtls]
        var dtlsOnly = NetworkEmulator(seed: 42, aToB: link)
        #expect(Self.run(&dtlsOnly, count: 1000).count == 1000, "RTP is not impaired")
    }

    @Test func gilbertElliottLosesInBurstsOfTheAskedMeanLength() {
        var link = LinkConfig()
        link.loss = .bursts(meanBurst: 3, average: 0.05)
        var net = NetworkEmulator(seed: 3, aToB: link)
        let got = Set(Self.run(&net, count: 100_000).map(\.seq))
        var bursts: [Int] = []
        var current = 0
        for i in 0..<100_000 {
            if got.contains(i) {
                if current > 0 { bursts.append(current) }
                current = 0
            } else {
                current += 1
            }
        }
        let lost = net.stats(from: .a).lost
        let mean = Double(lost) / Double(bursts.count)
        #expect(lost == 5132 && bursts.count == 1714)
        #expect(abs(mean - 3) < 0.1 && abs(Double(lost) / 100_000 - 0.05) < 0.002)
    }

    @Test func aRateCapQueuesAtTheLinkRateAndTailDropsBeyondTheQueue() {
        var link = LinkConfig()
        link.delay = .zero
        link.rateBitsPerSecond = 1_000_000
        link.queueLimit = .milliseconds(50)
        var net = NetworkEmulator(seed: 1, aToB: link)
        // 1222 B + 28 B of headers = 10 000 bits = 10 ms each at 1 Mbit/s; sent all at once.
        var delivered: [Instant] = []
        for i in 0..<10 { net.send(.init(from: Self.a, to: Self.b, bytes: Self.rtp(i, size: 1222)), from: .a, at: .zero) }
        while let t = net.nextDelivery { while net.popDue(at: t) != nil { delivered.append(t) } }
        #expect(delivered == (1...6).map { .zero + .milliseconds(10 * $0) }, "the 7th would wait 60 ms > 50 ms")
        #expect(net.stats(from: .a).tailDropped == 4 && net.stats(from: .a).maxQueueDelay == .milliseconds(50))
    }

    @Test func reorderingAndDuplicationAreCountedAndVisible() {
        var link = LinkConfig()
        link.reorder = 0.1
        link.reorderDelay = .milliseconds(50)
        link.duplicate = 0.02
        var net = NetworkEmulator(seed: 5, aToB: link)
        let got = Self.run(&net, count: 1000).map(\.seq)
        let stats = net.stats(from: .a)
        #expect(stats.reordered == 95 && stats.duplicated == 22 && got.count == 1022)
        #expect(got != got.sorted(), "late packets arrive after later ones")
        #expect(Set(got) == Set(0..<1000))
    }

    @Test func aNATMapsTheInsideAndFiltersStrangers() {
        let publicIP = TransportAddress(host: "203.0.113.7", port: 0)!.ip
        var net = NetworkEmulator(seed: 1, natA: NATConfig(publicIP: publicIP))
        let stranger = TransportAddress(host: "10.9.9.9", port: 1)!
        // Inside to outside: the source becomes the public mapping.
        net.send(.init(from: Self.a, to: Self.b, bytes: Self.rtp(1)), from: .a, at: .zero)
        let out = net.popDue(at: .zero + .seconds(1))
        let mapped = TransportAddress(ip: publicIP, port: 40_000)
        #expect(out?.datagram.from == mapped && out?.to == .b)
        #expect(net.publicAddress(of: Self.a, behind: .a) == mapped)
        // Back to the mapping from the contacted address: delivered to the inside address.
        net.send(.init(from: Self.b, to: mapped, bytes: Self.rtp(2)), from: .b, at: .zero + .seconds(1))
        #expect(net.popDue(at: .zero + .seconds(2))?.datagram.to == Self.a)
        // From a stranger (address-dependent filtering), or to the private address: dropped.
        net.send(.init(from: stranger, to: mapped, bytes: Self.rtp(3)), from: .b, at: .zero + .seconds(2))
        net.send(.init(from: Self.b, to: Self.a, bytes: Self.rtp(4)), from: .b, at: .zero + .seconds(2))
        #expect(net.popDue(at: .zero + .seconds(3)) == nil)
        #expect(net.stats(from: .b).unroutable == 2)
    }

    @Test func aServerIsReachedByItsIPsAndAnswersTheRightPeer() throws {
        let publicIP = TransportAddress(host: "203.0.113.7", port: 0)!.ip
        var nat = NATConfig(publicIP: publicIP)
        nat.filtering = .addressAndPortDependent
        var net = NetworkEmulator(seed: 1, natA: nat)
        net.place(Self.a, at: .a)
        net.place(Self.b, at: .b)
        let server = TransportAddress(host: "198.51.100.1", port: 3478)!
        let relayed = TransportAddress(host: "198.51.100.2", port: 49152)!
        let node = net.addServer(ips: [server.ip, relayed.ip])
        // Both peers reach the server; the server answers each at the address it saw.
        net.send(.init(from: Self.a, to: server, bytes: Self.rtp(1)), from: .a, at: .zero)
        net.send(.init(from: Self.b, to: relayed, bytes: Self.rtp(2)), from: .b, at: .zero)
        let firstDue = net.popDue(at: .zero + .seconds(1)), secondDue = net.popDue(at: .zero + .seconds(1))
        let first = try #require(firstDue), second = try #require(secondDue)
        let mapped = TransportAddress(ip: publicIP, port: 40_000)
        #expect(first.to == node && first.datagram.from == mapped && second.to == node && second.datagram.to == relayed)
        net.send(.init(from: server, to: mapped, bytes: Self.rtp(3)), from: node, at: .zero + .seconds(1))
        net.send(.init(from: relayed, to: Self.b, bytes: Self.rtp(4)), from: node, at: .zero + .seconds(1))
        let back = [net.popDue(at: .zero + .seconds(2)), net.popDue(at: .zero + .seconds(2))]
        #expect(back.map { $0?.to } == [.a, .b])
        #expect(back.map { $0?.datagram.to } == [Self.a, Self.b])
        // Port-dependent filtering: the server's other port is a stranger to A's mapping; a
        // placed peer is not reached at an address it does not own.
        net.send(.init(from: relayed, to: mapped, bytes: Self.rtp(5)), from: node, at: .zero + .seconds(2))
        net.send(.init(from: Self.b, to: TransportAddress(host: "10.0.0.99", port: 1)!, bytes: Self.rtp(6)), from: .b,
                 at: .zero + .seconds(2))
        #expect(net.popDue(at: .zero + .seconds(3)) == nil)
        #expect(net.stats(from: node).unroutable == 1 && net.stats(from: .b).unroutable == 1)
        #expect(net.stats(from: node).delivered == 2)
    }
}
