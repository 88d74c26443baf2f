/// The 96-bit transaction ID (RFC 8489 §6), kept as two integers so it hashes and compares
/// without an allocation.
public struct STUNTransactionID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var high: UInt32
    public var low: UInt64

    public init(high: UInt32, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// Exactly 12 bytes, else nil.
    public init?(bytes: [UInt8]) {
        guard bytes.count == 12 else { return nil }
        var h: UInt32 = 0
        var l: UInt64 = 0
        for i in 0..<4 { h = h << 8 | UInt32(bytes[i]) }
        for i in 4..<12 { l = l << 8 | UInt64(bytes[i]) }
        self.init(high: h, low: l)
    }

    /// A fresh ID from the caller's generator (RFC 8489 §6: uniformly random).
    public static func random<R: RandomNumberGenerator>(using rng: inout R) -> STUNTransactionID {
        STUNTransactionID(high: UInt32(truncatingIfNeeded: rng.next()), low: rng.next())
    }

    public var bytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(12)
        out.appendU32(high)
        out.appendU64(low)
        return out
    }

    public static func < (a: STUNTransactionID, b: STUNTransactionID) -> Bool {
        (a.high, a.low) < (b.high, b.low)
    }

    public var description: String {
        "tid:" + String(high, radix: 16) + String(low, radix: 16)
    }
}
