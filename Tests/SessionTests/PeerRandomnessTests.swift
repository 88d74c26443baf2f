import DTLS
import SessionCore
@testable import SessionPeer
import STUN
import Testing

/// Values a stranger must not guess come from the system CSPRNG unless a test asks for a seed.
@Suite struct PeerRandomnessTests {
    static let host = TransportAddress(host: "10.0.0.1", port: 5000)!

    @Test func aPeerWithoutASeedDrawsItsSecretsFromTheSystem() throws {
        let certificate = try DTLSCertificate()
        let config = PeerConfiguration(localAddresses: [Self.host])
        #expect(!config.random.isSeeded)
        let peers = (0..<8).map { _ in Peer(configuration: config, certificate: certificate) }
        #expect(Set(peers.map(\.localCredentials.pwd)).count == 8, "the same configuration, different passwords")
        #expect(Set(peers.map(\.localCredentials.ufrag)).count == 8)
        #expect(Set(peers.map(\.audioSSRC)).count == 8 && Set(peers.map(\.cname)).count == 8)
        // RFC 8839 §5.4: ice-pwd carries at least 128 bits (24 ice-chars of 6 bits: 144).
        #expect(peers.allSatisfy { $0.localCredentials.pwd.utf8.count >= 22 })
    }

    @Test func aSeedIsReproducibleAndOnlyForTests() throws {
        let certificate = try DTLSCertificate()
        let config = PeerConfiguration(localAddresses: [Self.host], seed: 42)
        #expect(config.random.isSeeded)
        let a = Peer(configuration: config, certificate: certificate), b = Peer(configuration: config, certificate: certificate)
        #expect(a.localCredentials == b.localCredentials && a.videoSSRC == b.videoSSRC)
    }

    @Test func splittingTheSystemGeneratorStaysTheSystemGenerator() {
        var system = STUNRandom.system
        #expect(!system.split().isSeeded)
        var seeded = STUNRandom(seed: 1)
        #expect(seeded.split().isSeeded)
        // 64 draws never repeat (a seeded SplitMix could be replayed from one output; these come
        // from getrandom).
        #expect(Set((0..<64).map { _ in system.next() }).count == 64)
    }
}
