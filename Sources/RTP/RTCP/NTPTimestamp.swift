import SessionCore

/// A 64-bit NTP timestamp: seconds since 1900 in the high 32 bits, a binary fraction in the
/// low 32 (RFC 3550 §4). RTCP sender reports carry it; report blocks echo its middle 32 bits.
public struct NTPTimestamp: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var rawValue: UInt64

    public init(rawValue: UInt64) { self.rawValue = rawValue }

    public init(seconds: UInt32, fraction: UInt32) {
        rawValue = UInt64(seconds) << 32 | UInt64(fraction)
    }

    /// Seconds between the NTP era (1900) and the Unix epoch (1970).
    public static let unixEpochOffsetSeconds: Int64 = 2_208_988_800

    /// From Unix time in nanoseconds (the driver's wall clock).
    public init(unixNanoseconds ns: Int64) {
        let seconds = ns / 1_000_000_000 + Self.unixEpochOffsetSeconds
        let rest = ns % 1_000_000_000
        self.init(rawValue: UInt64(truncatingIfNeeded: seconds) << 32)
        self = self + .nanoseconds(rest)
    }

    public var seconds: UInt32 { UInt32(truncatingIfNeeded: rawValue >> 32) }
    public var fraction: UInt32 { UInt32(truncatingIfNeeded: rawValue) }

    /// The middle 32 bits (16.16 fixed point): what LSR and DLSR use (RFC 3550 §6.4.1).
    public var compact: UInt32 { UInt32(truncatingIfNeeded: rawValue >> 16) }

    public static func < (a: NTPTimestamp, b: NTPTimestamp) -> Bool { a.rawValue < b.rawValue }

    /// Moves by a duration (wrapping at the era boundary, as NTP does).
    public static func + (t: NTPTimestamp, d: Duration) -> NTPTimestamp {
        let ns = d.nanosecondsClamped
        let whole = ns / 1_000_000_000
        var rest = ns % 1_000_000_000
        var secs = whole
        if rest < 0 { rest += 1_000_000_000; secs -= 1 }
        let frac = (UInt64(rest) << 32) / 1_000_000_000
        return NTPTimestamp(rawValue: t.rawValue &+ (UInt64(bitPattern: secs) << 32) &+ frac)
    }

    public var description: String { "ntp(\(seconds).\(fraction))" }
}

/// Maps the driver's monotonic `Instant`s to NTP wall-clock time. The driver measures the
/// wall clock once and hands this in; the protocol code never reads a clock.
public struct NTPClock: Sendable, Equatable {
    /// The NTP time at `Instant.zero`.
    public var ntpAtZero: NTPTimestamp

    public init(ntpAtZero: NTPTimestamp) { self.ntpAtZero = ntpAtZero }

    /// - Parameters: the wall clock (Unix ns) read at the same moment as the monotonic `at`.
    public init(unixNanoseconds: Int64, at instant: Instant) {
        ntpAtZero = NTPTimestamp(unixNanoseconds: unixNanoseconds) + .nanoseconds(-instant.nanoseconds)
    }

    public func ntp(at instant: Instant) -> NTPTimestamp {
        ntpAtZero + .nanoseconds(instant.nanoseconds)
    }
}

/// 16.16 fixed-point seconds as used by LSR/DLSR (RFC 3550 §6.4.1).
public enum NTPCompact {
    public static func duration(_ value: UInt32) -> Duration {
        .nanoseconds((Int64(value) * 1_000_000_000) >> 16)
    }

    /// Saturates at the largest representable value (about 18 hours).
    public static func from(_ d: Duration) -> UInt32 {
        let ns = max(0, d.nanosecondsClamped)
        let (hi, lo) = ns.multipliedFullWidth(by: 65_536)
        guard hi == 0 else { return .max }
        let units = lo / 1_000_000_000
        return units > UInt64(UInt32.max) ? .max : UInt32(units)
    }
}
