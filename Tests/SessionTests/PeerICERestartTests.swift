@testable import Codecs
import NetEmulator
@testable import SessionCore
@testable import SessionPeer
import Testing

/// ICE restart in simulated time (RFC 8445 §9): the call survives a network change with the
/// same DTLS association, keys and streams. Deterministic, so the exact figures are asserted.
@Suite struct PeerICERestartTests {
    static let movedA = TransportAddress(host: "10.0.1.1", port: 5002)!

    /// Frames in `frames` received after `t` that a decoder fed every frame in order decodes.
    static func decodedAfter(_ t: Instant, _ frames: [(payload: [UInt8], keyframe: Bool, rtpTimestamp: UInt32, at: Instant)]) throws -> Int {
        let decoder = try VP8Decoder()
        var count = 0
        for f in frames where (try? decoder.decode(f.payload)) != nil && f.at > t { count += 1 }
        return count
    }

    static func dtlsSent(_ sim: CallSimulation) -> Int {
        sim.net.stats(from: .a).sentByClass[.dtls, default: 0] + sim.net.stats(from: .b).sentByClass[.dtls, default: 0]
    }

    /// The kiosk (A, the offerer) moves to another network at 10 s: its driver reports the new
    /// address, the peer asks for a restart, A re-offers with new credentials, B answers, and
    /// video flows both ways again over the new pair, without a second DTLS handshake.
    @Test func aNetworkChangeRestartsICEAndMediaResumes() throws {
        let sim = try CallSimulation(net: NetworkEmulator(seed: 21), bothSendVideo: true)
        try sim.run(until: .zero + .seconds(10))
        #expect(sim.a.connected)
        #expect(sim.b.connected)
        let moveAt = sim.now
        let dtlsBefore = Self.dtlsSent(sim)
        sim.moveA(to: Self.movedA)
        try sim.run(until: moveAt + .seconds(3))
        let resumedAtB = try #require(sim.b.framesReceived.first { $0.at > moveAt }?.at)
        let resumedAtA = try #require(sim.a.framesReceived.first { $0.at > moveAt }?.at)
        let decodedB = try Self.decodedAfter(moveAt, sim.b.framesReceived)
        let decodedA = try Self.decodedAfter(moveAt, sim.a.framesReceived)
        print("restart: moved at \(moveAt), restarted A \(sim.a.restartedAt) B \(sim.b.restartedAt), video resumed at B \(resumedAtB) A \(resumedAtA), decoded after B \(decodedB) A \(decodedA), selected \(sim.a.peer.stats.selectedPair ?? "-")")
        #expect(sim.a.restartsNeeded.map(\.reason) == [.localAddressesChanged])
        #expect(sim.b.restartsNeeded.isEmpty)
        #expect(sim.a.peer.stats.iceRestarts == 1)
        #expect(sim.b.peer.stats.iceRestarts == 1)
        #expect(sim.a.restartedAt.count == 1)
        #expect(sim.b.restartedAt.count == 1)
        #expect(sim.a.connectedEvents == 1 && sim.b.connectedEvents == 1, "DTLS handshook once")
        #expect(Self.dtlsSent(sim) == dtlsBefore, "no DTLS datagram after the restart")
        #expect(resumedAtB - moveAt < .seconds(3))
        #expect(resumedAtA - moveAt < .seconds(3))
        // Seed 21, exactly: B restarts on A's re-offer, A once its new pair is nominated, and
        // video is decoded again at B and at A 142.6 ms after the move.
        #expect(sim.b.restartedAt == [.zero + .nanoseconds(10_066_666_568)])
        #expect(sim.a.restartedAt == [.zero + .nanoseconds(10_086_666_568)])
        #expect(resumedAtB == .zero + .nanoseconds(10_146_651_226))
        #expect(resumedAtA == .zero + .nanoseconds(10_146_644_723))
        // 3 s at 30 fps: every frame after the move decoded, but the last 2, still held at the
        // end: packets lost in the move were repaired, so frames now wait a round trip.
        #expect(decodedB == 88 && decodedA == 88)
        #expect(sim.a.failure == nil)
        #expect(sim.b.failure == nil)
    }

    /// A subsequent offer with the same credentials (a renegotiation, not a restart) leaves
    /// ICE alone: no new generation, the same pair, media uninterrupted.
    @Test func aReofferWithUnchangedCredentialsDoesNotRestartICE() throws {
        let sim = try CallSimulation(net: NetworkEmulator(seed: 22))
        try sim.run(until: .zero + .seconds(3))
        let offer = sim.b.peer.createOffer(iceRestart: false, at: sim.now)
        let answer = try sim.a.peer.acceptOffer(offer, at: sim.now)
        try sim.b.peer.acceptAnswer(answer, at: sim.now)
        sim.drain(sim.a)
        sim.drain(sim.b)
        let before = sim.b.framesReceived.count
        try sim.run(until: .zero + .seconds(5))
        #expect(sim.a.peer.stats.iceRestarts == 0)
        #expect(sim.b.peer.stats.iceRestarts == 0)
        #expect(sim.a.peer.stats.selectedPairChanges == 1)
        #expect(sim.b.peer.stats.selectedPairChanges == 1)
        #expect(sim.a.restartedAt.isEmpty)
        #expect(sim.b.restartedAt.isEmpty)
        // 2 s at 30 fps, uninterrupted (61: a frame held at the window's start is released in it).
        #expect(sim.b.framesReceived.count - before == 61)
    }

    /// An offer mid-call from someone else (another certificate) is refused and changes nothing.
    @Test func aMidCallOfferFromAnotherCertificateIsRefused() throws {
        let sim = try CallSimulation(net: NetworkEmulator(seed: 23))
        try sim.run(until: .zero + .seconds(2))
        let stranger = try CallSimulation(net: NetworkEmulator(seed: 24))
        let offer = stranger.a.peer.createOffer(iceRestart: true, at: sim.now)
        #expect(throws: PeerError.notThisCall("another DTLS certificate")) { try sim.b.peer.acceptOffer(offer, at: sim.now) }
        let before = sim.b.framesReceived.count
        try sim.run(until: .zero + .seconds(3))
        #expect(sim.b.peer.stats.iceRestarts == 0)
        // 1 s at 30 fps (29: the window's last frame is still held by the playout delay).
        #expect(sim.b.framesReceived.count - before == 29)
    }

    /// Consent loss without a word from the driver: A's NAT forgets its mapping at 10 s (a NAT
    /// reboot), so nothing from B reaches A and A's packets come from a new public port. The
    /// stall signal (2 s of silence, consent probes unanswered) asks for the restart; B learns
    /// A's new mapping as peer-reflexive from A's checks, and media flows again.
    @Test func aStalledPathIsRestartedWithoutADriverEvent() throws {
        let nat = NATConfig(publicIP: .v4(0xC633_640A))  // 198.51.100.10
        let sim = try CallSimulation(net: NetworkEmulator(seed: 25, natA: nat), bothSendVideo: true) {
            $0.ice.stallAfter = .seconds(2)
        }
        try sim.run(until: .zero + .seconds(10))
        #expect(sim.a.connected)
        #expect(sim.b.connected)
        let lossAt = sim.now
        sim.net.move(.a, from: CallSimulation.addressA, to: CallSimulation.addressA)  // the NAT mapping is gone
        try sim.run(until: lossAt + .seconds(6))
        let needs = (sim.a.restartsNeeded + sim.b.restartsNeeded).map(\.reason)
        let resumedAtB = sim.b.framesReceived.first { $0.at > lossAt + .seconds(1) }?.at
        let resumedAtA = sim.a.framesReceived.first { $0.at > lossAt + .seconds(1) }?.at
        print("stall: needs A \(sim.a.restartsNeeded.map { "\($0.at) \($0.reason)" }) B \(sim.b.restartsNeeded.map { "\($0.at) \($0.reason)" }), restarted A \(sim.a.restartedAt) B \(sim.b.restartedAt), resumed B \(resumedAtB.map { "\($0)" } ?? "-") A \(resumedAtA.map { "\($0)" } ?? "-"), restarts A \(sim.a.peer.stats.iceRestarts) B \(sim.b.peer.stats.iceRestarts), failures \(String(describing: sim.a.failure)) \(String(describing: sim.b.failure))")
        #expect(needs.allSatisfy { $0 == .pathStalled })
        #expect(!needs.isEmpty)
        // Seed 25, exactly: B notices first (2.02 s after the loss) and re-offers; A's own stall
        // is not reported, its restart having begun; video is back 2.7 s after the loss.
        #expect(sim.a.restartsNeeded.isEmpty)
        #expect(sim.b.restartsNeeded.map(\.at) == [.zero + .milliseconds(12_020)])
        #expect(sim.a.restartedAt == [.zero + .milliseconds(12_600)])
        #expect(sim.b.restartedAt == [.zero + .milliseconds(12_620)])
        #expect(resumedAtB == .zero + .nanoseconds(12_765_299_420))
        #expect(resumedAtA == .zero + .nanoseconds(12_713_327_901))
        #expect(sim.a.peer.stats.iceRestarts == 1)
        #expect(sim.b.peer.stats.iceRestarts == 1)
        #expect(sim.a.connectedEvents == 1 && sim.b.connectedEvents == 1, "DTLS handshook once")
        #expect(sim.a.failure == nil)
        #expect(sim.b.failure == nil)
    }
}
