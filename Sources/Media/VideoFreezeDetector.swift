/// Freezes and frame rate of a received video, as webrtc-stats defines `freezeCount` and
/// `totalFreezesDuration` (and Chromium's VideoQualityObserver computes them): a freeze is a
/// gap between two frames of at least max(3 × mean, mean + 150 ms), the mean taken over the
/// previous 30 gaps (at least 5 of them); its duration is the whole gap. Comparable with the
/// browser's own figures on the same link, so the two sides of a call can be set side by side.
///
/// Fixed storage: nothing allocates after init, one call per frame.
public struct VideoFreezeDetector: Sendable {
    public private(set) var freezeCount = 0
    public private(set) var totalFreezesNanos: Int64 = 0
    public private(set) var longestFreezeNanos: Int64 = 0
    public private(set) var frames = 0

    static let window = 30
    static let minimumGaps = 5
    static let minimumIncreaseNanos: Int64 = 150_000_000
    /// Frames remembered for the rate; more than a second's worth at any camera's rate.
    static let rateCapacity = 128

    private var lastNanos: Int64?
    private var gaps: [Int64]
    private var gapCount = 0
    private var gapNext = 0
    private var gapSum: Int64 = 0
    private var times: [Int64]
    private var timeNext = 0

    public init() {
        gaps = [Int64](repeating: 0, count: Self.window)
        times = [Int64](repeating: .min, count: Self.rateCapacity)
    }

    /// A frame was decoded (or shown) at `nanos` on a monotonic clock.
    public mutating func frame(atNanos nanos: Int64) {
        frames += 1
        times[timeNext] = nanos
        timeNext = (timeNext + 1) % Self.rateCapacity
        defer { lastNanos = nanos }
        guard let last = lastNanos, nanos > last else { return }
        let gap = nanos - last
        if gapCount >= Self.minimumGaps {
            let mean = gapSum / Int64(gapCount)
            if gap >= max(3 * mean, mean + Self.minimumIncreaseNanos) {
                freezeCount += 1
                totalFreezesNanos += gap
                longestFreezeNanos = max(longestFreezeNanos, gap)
            }
        }
        if gapCount == Self.window { gapSum -= gaps[gapNext] } else { gapCount += 1 }
        gaps[gapNext] = gap
        gapSum += gap
        gapNext = (gapNext + 1) % Self.window
    }

    /// Frames in the second before `nanos`.
    public func framesPerSecond(atNanos nanos: Int64) -> Int {
        var n = 0
        for t in times where t != .min && t > nanos - 1_000_000_000 && t <= nanos { n += 1 }
        return n
    }

    /// Nanoseconds since the last frame, e.g. a freeze still going on (no frame ends it yet).
    public func sinceLastFrame(atNanos nanos: Int64) -> Int64? { lastNanos.map { max(0, nanos - $0) } }
}
