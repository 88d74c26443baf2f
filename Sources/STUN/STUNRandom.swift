import SessionCore

/// Where the call's unguessable values come from: ICE credentials, SSRCs, the CNAME, STUN
/// transaction IDs, tie-breakers. `.system` is the system CSPRNG (`SystemRandomNumberGenerator`:
/// getrandom(2) on Linux), what every real call uses; a stranger who sees one value learns
/// nothing of the next. `init(seed:)` is SplitMix64, deterministic and so guessable: for
/// simulations and tests only. Components take one by value (injected), never make their own.
public struct STUNRandom: RandomNumberGenerator, Sendable {
    private var seeded: SplitMix64?

    /// The system CSPRNG.
    public static var system: STUNRandom { STUNRandom(seeded: nil) }

    /// A deterministic generator for tests (never for a real call).
    public init(seed: UInt64) { seeded = SplitMix64(seed: seed) }

    private init(seeded: SplitMix64?) { self.seeded = seeded }

    /// Whether this is a test generator.
    public var isSeeded: Bool { seeded != nil }

    public mutating func next() -> UInt64 {
        guard var generator = seeded else {
            var system = SystemRandomNumberGenerator()
            return system.next()
        }
        defer { seeded = generator }
        return generator.next()
    }

    /// An independent generator for a sub-component (a TURN client inside the agent): the
    /// system one again, or a seeded one derived from this one.
    public mutating func split() -> STUNRandom { seeded == nil ? .system : STUNRandom(seed: next()) }
}
