import Media
import Testing

/// The playout buffer's decisions, packet by packet, and a seeded jittery link end to end.
@Suite struct AudioPlayoutBufferTests {
    static let frame: UInt32 = 960

    /// Pushes packet `n` (timestamp n × 960) whose single payload byte is `n`.
    static func push(_ b: inout AudioPlayoutBuffer, _ n: Int, fec: Bool = false) {
        let byte = [UInt8(truncatingIfNeeded: n)]
        byte.withUnsafeBytes { b.push($0, timestamp: 1_000 &+ UInt32(n) * frame, frameTicks: frame, fec: fec) }
    }

    /// One pull: the action and, for the decoding ones, which packet it was.
    static func pull(_ b: inout AudioPlayoutBuffer) -> String {
        var payload: [UInt8] = []
        let action = b.pull(into: &payload)
        switch action {
        case .silence: return "silence"
        case .decode: return "decode \(payload[0])"
        case .decodeAndDrop: return "drop \(payload[0]), " + pull(&b)
        case .recoverFEC: return "fec \(payload[0])"
        case .conceal(.lost): return "lost"
        case .conceal(.underflow): return "underflow"
        }
    }

    @Test func silenceUntilTheFirstPacketThenEachInTurn() {
        var b = AudioPlayoutBuffer()
        #expect(Self.pull(&b) == "silence")
        var played: [String] = []
        for n in 0..<5 {
            Self.push(&b, n)
            played.append(Self.pull(&b))
        }
        #expect(played == ["decode 0", "decode 1", "decode 2", "decode 3", "decode 4"])
        #expect(b.counters.framesDecoded == 5 && b.depth == 0)
    }

    @Test func aFrameMissingBetweenArrivedPacketsIsLostAndFECRebuildsIt() {
        var b = AudioPlayoutBuffer()
        for n in [0, 2, 3] { Self.push(&b, n) }
        Self.push(&b, 5, fec: true)
        let played = (0..<6).map { _ in Self.pull(&b) }
        // Frame 1 has no FEC after it; frame 4's is in packet 5, which then still plays.
        #expect(played == ["decode 0", "lost", "decode 2", "decode 3", "fec 5", "decode 5"])
        #expect(b.counters.framesConcealedLost == 1 && b.counters.framesRecoveredByFEC == 1)
    }

    @Test func aLatePacketIsWaitedForByConcealingAndThenStillPlays() {
        var b = AudioPlayoutBuffer()
        Self.push(&b, 0)
        #expect(Self.pull(&b) == "decode 0")
        #expect(Self.pull(&b) == "underflow")
        Self.push(&b, 1)
        Self.push(&b, 2)
        // The delay grew one frame: packet 1 plays late instead of being thrown away.
        #expect(Self.pull(&b) == "decode 1")
        #expect(Self.pull(&b) == "decode 2")
        #expect(b.counters.packetsLate == 0 && b.counters.framesConcealedUnderflow == 1)
    }

    @Test func anOutageIsNotConcealedTwiceWhenThePacketsAfterItArrive() {
        var b = AudioPlayoutBuffer()
        Self.push(&b, 0)
        #expect(Self.pull(&b) == "decode 0")
        // Ten frames' time with nothing (packets 1–10 lost on the way), then 11 onwards.
        for _ in 0..<10 { #expect(Self.pull(&b) == "underflow") }
        Self.push(&b, 11)
        Self.push(&b, 12)
        #expect(Self.pull(&b) == "decode 11")
        #expect(Self.pull(&b) == "decode 12")
        #expect(b.counters.framesConcealedLost == 0)
    }

    @Test func aQueueDeeperThanNeededForAWholeWindowShrinksByOnePacket() {
        var b = AudioPlayoutBuffer()
        // A burst of five, then one packet per pull: four frames of excess stand.
        for n in 0..<5 { Self.push(&b, n) }
        var played: [String] = []
        for n in 5..<(5 + AudioPlayoutBuffer.shrinkWindow + 2) {
            Self.push(&b, n)
            played.append(Self.pull(&b))
        }
        // The window's last pull drops packet 49 and plays 50 in its place.
        #expect(played.filter { $0.hasPrefix("drop") } == ["drop 49, decode 50"])
        #expect(played.firstIndex(of: "drop 49, decode 50") == AudioPlayoutBuffer.shrinkWindow - 1)
        #expect(b.counters.packetsDroppedCatchingUp == 1)
        #expect(b.depth == 4)
    }

    @Test func reorderedDuplicateAndStalePacketsAreSortedDroppedAndCounted() {
        var b = AudioPlayoutBuffer()
        Self.push(&b, 0)
        Self.push(&b, 2)
        Self.push(&b, 1)
        Self.push(&b, 2)
        #expect(b.depth == 3 && b.counters.packetsIn == 3)
        #expect((0..<3).map { _ in Self.pull(&b) } == ["decode 0", "decode 1", "decode 2"])
        Self.push(&b, 1)
        #expect(b.counters.packetsLate == 1 && b.depth == 0)
    }

    @Test func aJumpOfMoreThanASecondStartsANewTimeline() {
        var b = AudioPlayoutBuffer()
        Self.push(&b, 0)
        #expect(Self.pull(&b) == "decode 0")
        Self.push(&b, 500)
        #expect(Self.pull(&b) == "decode 244")  // 500 as one byte
        #expect(b.counters.resyncs == 1 && b.counters.framesConcealedLost == 0)
    }

    /// 30 s of packets every 20 ms over a link adding 0–60 ms of uniform jitter and losing 5 %,
    /// the speaker pulling every 20 ms: every decision counted, exactly, for one seed.
    @Test func aSeededJitteryLossyLinkPlaysOutTheSameEveryTime() {
        var b = AudioPlayoutBuffer()
        var rng = LCG(seed: 7)
        var arrivals: [(at: Int, n: Int)] = []
        for n in 0..<1500 where rng.next() % 100 >= 5 {
            arrivals.append((n * 20_000 + Int(rng.next() % 60_000), n))
        }
        arrivals.sort { $0.at < $1.at }
        var next = 0
        var maxQueued = 0
        // Pulls start 10 ms after the first packet was sent, on their own 20 ms clock.
        for tick in 0..<1510 {
            let now = 10_000 + tick * 20_000
            while next < arrivals.count, arrivals[next].at <= now {
                Self.push(&b, arrivals[next].n)
                next += 1
            }
            _ = Self.pull(&b)
            maxQueued = max(maxQueued, b.queuedMillis)
        }
        let c = b.counters
        #expect(c.packetsIn == arrivals.count)
        #expect(arrivals.count == 1423)  // 77 of 1500 lost
        // Every pull is one of these (the first, before any packet, is silence).
        #expect(c.framesDecoded + c.framesConcealedLost + c.framesConcealedUnderflow == 1509)
        #expect(c.framesDecoded == 1421)
        #expect(c.framesConcealedLost == 74)
        // The delay grew by underflows to the link's 60 ms of jitter, and stayed there:
        // two packets later still than that were given up; it never held more than it needed.
        #expect(c.framesConcealedUnderflow == 14)
        #expect(c.packetsLate == 2)
        #expect(c.packetsDroppedCatchingUp == 0)
        #expect(maxQueued == 60)
    }
}

/// A tiny seeded generator (Knuth's MMIX constants): the Media target has no other.
struct LCG {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return state >> 33
    }
}
