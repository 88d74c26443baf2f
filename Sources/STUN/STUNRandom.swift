/// A small seeded generator (SplitMix64) for transaction IDs, tie-breakers and jitter. The
/// agents take one by value so tests are deterministic; the driver seeds it from the system
/// generator (`STUNRandom(seed: .random(in: .min ... .max))`).
public struct STUNRandom: RandomNumberGenerator, Sendable {
    public private(set) var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// An independent generator for a sub-component (a TURN client inside the agent).
    public mutating func split() -> STUNRandom { STUNRandom(seed: next()) }
}
