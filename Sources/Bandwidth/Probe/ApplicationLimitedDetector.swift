import SessionCore

/// Whether the encoder leaves the send rate unused (libwebrtc's `AlrDetector`): a budget
/// that fills at 65 % of the target and empties by what is sent, over a 500 ms window;
/// application-limited once it is 80 % full, no longer once under 50 %. Then, and only
/// then, periodic probes find what the path would carry: while the encoder fills the rate a
/// probe is no better than the estimate's own climb, and a shaper's token bucket (tbf,
/// Wi-Fi aggregation) passes a short probe faster than the path carries, so a probe there
/// misleads (measured: 300 kbit/s tbf link, 15 fps and 3 frozen s per 15 s with probes every
/// 3 s, 22–23 fps and none without).
public struct ApplicationLimitedDetector: Sendable {
    static let usageRatio = 0.65, startRatio = 0.8, stopRatio = 0.5
    static let windowMs = 500.0

    public private(set) var limited = false
    private var targetKbps = 0.0
    private var remaining = 0.0
    private var last: Instant?

    public init() {}

    public mutating func setTarget(bitsPerSecond: Int) {
        targetKbps = Double(bitsPerSecond) / 1000 * Self.usageRatio
    }

    /// Media of `bytes` went at `now` (not probes).
    public mutating func sent(bytes: Int, at now: Instant) {
        let maxBytes = Self.windowMs * targetKbps / 8
        guard maxBytes > 0 else { return }
        if let last, now > last {
            let ms = Double((now - last).nanosecondsClamped) / 1e6
            remaining = min(remaining + targetKbps * ms / 8, maxBytes)
        }
        last = now
        remaining = max(remaining - Double(bytes), -maxBytes)
        let ratio = remaining / maxBytes
        if ratio > Self.startRatio { limited = true } else if ratio < Self.stopRatio { limited = false }
    }
}
