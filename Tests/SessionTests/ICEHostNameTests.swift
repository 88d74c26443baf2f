@testable import ICE
import NetEmulator
import SessionCore
import STUN
import Testing

/// Host candidates under mDNS names (`ICEAgentConfig.hostCandidateNames`,
/// draft-ietf-mmusic-mdns-ice-candidates): what the peer is told hides the LAN address, the
/// agent itself still pairs and checks with it.
struct ICEHostNameTests {
    static func signalled(_ sim: ICESim, _ i: Int) -> [ICECandidate] {
        sim.events[i].compactMap { if case .localCandidate(let c) = $0.event { c } else { nil } }
    }

    static func isVersion4UUIDName(_ s: String) -> Bool {
        let u = Array(s.utf8)
        guard s.hasSuffix(".local"), u.count == 42 else { return false }
        let hex = Set("0123456789abcdef".utf8)
        for (i, c) in u.prefix(36).enumerated() {
            if [8, 13, 18, 23].contains(i) { guard c == UInt8(ascii: "-") else { return false } } else { guard hex.contains(c) else { return false } }
        }
        return u[14] == UInt8(ascii: "4") && Set("89ab".utf8).contains(u[19])
    }

    @Test func hostCandidatesAreSignalledUnderANameAndRelatedAddressesHidden() throws {
        var config = ICEAgentConfig()
        config.hostCandidateNames = true
        config.stunServers = [ICESim.turnAddress]
        var sim = ICESim(configA: config, aBehindNAT: true)
        sim.run(for: .seconds(3))
        let named = sim.events[0].compactMap { e -> (String, TransportAddress.IP)? in
            if case .hostNamed(let n, let a) = e.event { (n, a) } else { nil }
        }
        #expect(named.count == 1)
        let (name, ip) = try #require(named.first)
        #expect(ip == ICESim.privateA.ip)
        #expect(Self.isVersion4UUIDName(name), "\(name)")
        let namedAt = sim.events[0].firstIndex { if case .hostNamed = $0.event { true } else { false } }
        let hostAt = sim.events[0].firstIndex { if case .localCandidate(let c) = $0.event { c.kind == .host } else { false } }
        #expect(namedAt != nil && hostAt != nil && namedAt! < hostAt!, "the driver learns the name before the peer does")

        let candidates = Self.signalled(sim, 0)
        let host = try #require(candidates.first { $0.kind == .host })
        #expect(host.connectionAddress == name && host.port == ICESim.privateA.port && host.isMDNS)
        let srflx = try #require(candidates.first { $0.kind == .srflx })
        #expect(srflx.address?.ip == ICESim.natA, "the public address is what the peer needs")
        #expect(srflx.relatedAddress == TransportAddress(host: "0.0.0.0", port: 0))
        #expect(candidates.allSatisfy { !$0.sdpAttribute.contains("10.0.0.1") })
        #expect(sim.agents[0].localCandidates.allSatisfy { !$0.sdpAttribute.contains("10.0.0.1") })
        // B cannot resolve the name (it ignores mDNS candidates); A's checks and B's answers
        // through the NAT still make the call.
        #expect(sim.sameSelectedPath())
        #expect(sim.agents[0].selectedPair?.local.address == srflx.address)
    }

    @Test func aRestartKeepsTheNameOfAnAddress() throws {
        var config = ICEAgentConfig()
        config.hostCandidateNames = true
        var sim = ICESim(configA: config)
        sim.run(for: .seconds(3))
        let before = try #require(Self.signalled(sim, 0).first { $0.kind == .host })
        let restartAt = sim.now
        sim.agents[0].restart(newUfrag: "newufrag", newPwd: "a-new-password-of-24-chars", at: sim.now)
        sim.drain(0)
        let after = sim.events[0].filter { $0.at >= restartAt }.compactMap { e -> ICECandidate? in
            if case .localCandidate(let c) = e.event, c.kind == .host { c } else { nil }
        }
        #expect(after.map(\.connectionAddress) == [before.connectionAddress])
        #expect(after.first?.generation == 1)
        #expect(!sim.events[0].filter { $0.at >= restartAt }.contains { if case .hostNamed = $0.event { true } else { false } })
    }

    /// Outside tests the name comes from the system CSPRNG: two agents never share one.
    @Test func namesAreUnguessable() {
        var config = ICEAgentConfig()
        config.hostCandidateNames = true
        var names: Set<String> = []
        for _ in 0..<20 {
            var agent = ICEAgent(config: config, credentials: ICECredentials(ufrag: "abcd", pwd: "0123456789abcdefghijklmn"),
                                 isControlling: true, random: .system)
            agent.addLocalHost(ICESim.addrA, at: Instant.zero)
            while let o = agent.poll() {
                if case .event(.hostNamed(let n, _)) = o { names.insert(n) }
                if case .timeout = o { break }
            }
        }
        #expect(names.count == 20)
        #expect(names.allSatisfy(Self.isVersion4UUIDName))
    }

    @Test func withoutTheSettingAddressesAreSignalled() {
        var sim = ICESim()
        sim.run(for: .seconds(1))
        #expect(Self.signalled(sim, 0).first { $0.kind == .host }?.address == ICESim.addrA)
        #expect(!sim.events[0].contains { if case .hostNamed = $0.event { true } else { false } })
    }
}

extension ICEHostNameTests {
    /// Both hide their addresses; B also resolves the peer's names (`resolveRemoteHostNames`):
    /// A's named candidate waits for B's answer, then is paired as a host candidate, and the
    /// call runs on it (B's remote is host, not peer-reflexive).
    @Test func aResolvedNameIsPairedAsAHostCandidate() throws {
        var configA = ICEAgentConfig()
        configA.hostCandidateNames = true
        var configB = ICEAgentConfig()
        configB.resolveRemoteHostNames = true
        configB.hostCandidateNames = true
        var sim = ICESim(configA: configA, configB: configB)
        sim.run(for: .milliseconds(100))
        let asked = sim.events[1].compactMap { if case .resolveHostName(let n) = $0.event { n } else { nil } }
        let named = sim.events[0].compactMap { e -> (String, TransportAddress.IP)? in
            if case .hostNamed(let n, let a) = e.event { (n, a) } else { nil }
        }
        #expect(asked.count == 1 && asked == named.map(\.0), "B asks for A's one name, once")
        // Neither could check the other yet: no usable candidate either way.
        #expect(sim.agents[1].pairInfo.isEmpty && sim.agents[0].pairInfo.isEmpty)
        // An answer for a name nobody signalled changes nothing.
        sim.agents[1].hostNameResolved("11111111-2222-4333-8444-555555555555.local", to: .v4(1), at: sim.now)
        #expect(sim.agents[1].pairInfo.isEmpty)
        let (name, ip) = try #require(named.first)
        sim.agents[1].hostNameResolved(name.uppercased(), to: ip, at: sim.now)
        sim.drain(1)
        sim.run(for: .seconds(3))
        #expect(sim.sameSelectedPath())
        #expect(sim.agents[1].selectedPair?.remote.kind == .host)
        #expect(sim.agents[1].selectedPair?.remote.address == ICESim.addrA)
        #expect(sim.agents[0].selectedPair?.remote.kind == .prflx, "A cannot resolve B's name: it learnt B from B's checks")
    }

    /// Only named candidates from a peer that cannot be reached: failure waits for the name,
    /// and comes once the link did not answer for it.
    @Test func anUnresolvedNameHoldsFailureUntilItIsGivenUp() throws {
        var configA = ICEAgentConfig()
        configA.hostCandidateNames = true
        var configB = ICEAgentConfig()
        configB.resolveRemoteHostNames = true
        var sim = ICESim(configA: configA, configB: configB)
        sim.silent = [1]
        sim.run(for: .seconds(20))
        let name = try #require(sim.events[1].compactMap { if case .resolveHostName(let n) = $0.event { n } else { nil } }.first)
        #expect(sim.agents[1].state != .failed, "waiting for \(name)")
        sim.agents[1].hostNameUnresolved(name, at: sim.now)
        sim.drain(1)
        #expect(sim.agents[1].state == .failed)
    }
}
