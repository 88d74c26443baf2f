import SessionCore

/// Wrap-aware comparisons of 16-bit RTP sequence numbers (RFC 3550 §A.1 treats the space as
/// circular; "newer" means less than half the space ahead).
public enum RTPSequence {
    /// Signed distance from `a` to `b`, in -32768...32767.
    @inlinable public static func distance(from a: UInt16, to b: UInt16) -> Int {
        Int(Int16(bitPattern: b &- a))
    }

    @inlinable public static func isNewer(_ a: UInt16, than b: UInt16) -> Bool {
        distance(from: b, to: a) > 0
    }
}

/// Turns 16-bit sequence numbers into a monotone 64-bit count (the "extended sequence number"
/// of RFC 3550 §A.1), placing each number as close as possible to the highest seen so far.
/// Packets older than the first one unwrap to negative values.
public struct RTPSequenceUnwrapper: Sendable, Equatable {
    public private(set) var highest: Int64?

    public init() {}

    public mutating func unwrap(_ seq: UInt16) -> Int64 {
        guard let h = highest else {
            highest = Int64(seq)
            return Int64(seq)
        }
        let value = h + Int64(RTPSequence.distance(from: UInt16(truncatingIfNeeded: h), to: seq))
        if value > h { highest = value }
        return value
    }

    /// Where `seq` would unwrap to, without recording it.
    public func peek(_ seq: UInt16) -> Int64 {
        guard let h = highest else { return Int64(seq) }
        return h + Int64(RTPSequence.distance(from: UInt16(truncatingIfNeeded: h), to: seq))
    }
}

/// The same for 32-bit RTP timestamps.
public struct RTPTimestampUnwrapper: Sendable, Equatable {
    public private(set) var highest: Int64?

    public init() {}

    public mutating func unwrap(_ ts: UInt32) -> Int64 {
        guard let h = highest else {
            highest = Int64(ts)
            return Int64(ts)
        }
        let delta = Int64(Int32(bitPattern: ts &- UInt32(truncatingIfNeeded: h)))
        let value = h + delta
        if value > h { highest = value }
        return value
    }
}

/// RTP media-clock arithmetic (RFC 3550 §5.1: the timestamp counts ticks of the payload's
/// clock, 90 kHz for video, 48 kHz for Opus).
public enum RTPTimestamp {
    /// Whole clock ticks in `duration` (truncated toward zero, no overflow for any duration
    /// that fits in Int64 nanoseconds).
    public static func ticks(in duration: Duration, clockRate: Int) -> Int64 {
        let ns = duration.nanosecondsClamped
        let rate = Int64(clockRate)
        return (ns / 1_000_000_000) * rate + (ns % 1_000_000_000) * rate / 1_000_000_000
    }

    /// Ticks since the clock's origin for an `Instant` (used for arrival times in jitter).
    public static func ticks(at instant: Instant, clockRate: Int) -> Int64 {
        ticks(in: .nanoseconds(instant.nanoseconds), clockRate: clockRate)
    }

    public static func duration(ticks: Int64, clockRate: Int) -> Duration {
        guard clockRate > 0 else { return .zero }
        let rate = Int64(clockRate)
        return .seconds(ticks / rate) + .nanoseconds((ticks % rate) * 1_000_000_000 / rate)
    }

    /// `timestamp` moved forward by `duration` of media time, wrapping.
    public static func advance(_ timestamp: UInt32, by duration: Duration, clockRate: Int) -> UInt32 {
        timestamp &+ UInt32(truncatingIfNeeded: ticks(in: duration, clockRate: clockRate))
    }
}
