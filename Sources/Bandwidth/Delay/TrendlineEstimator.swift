/// Whether the path's queue is growing (libwebrtc's `TrendlineEstimator` with its adaptive
/// threshold, the GCC draft §5.3–5.4): the one-way delay change of each packet group,
/// accumulated and smoothed, over the last 20 groups; the slope of a least-squares line
/// through it against arrival time is the trend. The trend, scaled by how many groups it
/// rests on, beyond a threshold for more than 10 ms means the queue builds (overuse); below
/// minus the threshold it drains (underuse). The threshold follows the trend itself, fast
/// up and slowly down, so a competing TCP flow does not starve us and noise is not taken
/// for congestion.
struct TrendlineEstimator: Sendable {
    enum Usage: Sendable, Equatable { case normal, overusing, underusing }

    static let windowSize = 20
    static let smoothing = 0.9
    static let thresholdGain = 4.0
    static let minNumDeltas = 60
    static let deltaCounterMax = 1000
    static let overusingTimeMs = 10.0
    static let maxAdaptOffsetMs = 15.0
    static let kUp = 0.0087, kDown = 0.039
    static let thresholdRange = 6.0...600.0

    private(set) var usage = Usage.normal
    private(set) var threshold = 12.5
    private var deltas = 0
    private var firstArrivalMs: Double?
    private var accumulatedDelay = 0.0
    private var smoothedDelay = 0.0
    /// (arrival ms since the first, smoothed accumulated delay ms), a fixed ring.
    private var history = [(x: Double, y: Double)](repeating: (0, 0), count: windowSize)
    private var historyStart = 0
    private var historyCount = 0
    private var previousTrend = 0.0
    private var overusingMs = -1.0
    private var overuseCounter = 0
    private var lastThresholdUpdateMs: Double?

    /// One group's deltas (ms): how much later it arrived than it was sent, against the one
    /// before; `arrivalMs` is its arrival on the receiver's clock.
    mutating func update(arrivalDeltaMs: Double, sendDeltaMs: Double, arrivalMs: Double) {
        let delta = arrivalDeltaMs - sendDeltaMs
        deltas = min(deltas + 1, Self.deltaCounterMax)
        let first = firstArrivalMs ?? arrivalMs
        firstArrivalMs = first
        accumulatedDelay += delta
        smoothedDelay = Self.smoothing * smoothedDelay + (1 - Self.smoothing) * accumulatedDelay
        let point = (x: arrivalMs - first, y: smoothedDelay)
        if historyCount < Self.windowSize {
            history[(historyStart + historyCount) % Self.windowSize] = point
            historyCount += 1
        } else {
            history[historyStart] = point
            historyStart = (historyStart + 1) % Self.windowSize
        }
        var trend = previousTrend
        if historyCount == Self.windowSize, let slope = slope() { trend = slope }
        detect(trend: trend, sendDeltaMs: sendDeltaMs, nowMs: arrivalMs)
    }

    private func slope() -> Double? {
        var sx = 0.0, sy = 0.0
        for p in history { sx += p.x; sy += p.y }
        let mx = sx / Double(historyCount), my = sy / Double(historyCount)
        var numerator = 0.0, denominator = 0.0
        for p in history {
            numerator += (p.x - mx) * (p.y - my)
            denominator += (p.x - mx) * (p.x - mx)
        }
        return denominator == 0 ? nil : numerator / denominator
    }

    private mutating func detect(trend: Double, sendDeltaMs: Double, nowMs: Double) {
        guard deltas >= 2 else {
            usage = .normal
            return
        }
        let modified = Double(min(deltas, Self.minNumDeltas)) * trend * Self.thresholdGain
        if modified > threshold {
            overusingMs = overusingMs < 0 ? sendDeltaMs / 2 : overusingMs + sendDeltaMs
            overuseCounter += 1
            if overusingMs > Self.overusingTimeMs, overuseCounter > 1, trend >= previousTrend {
                overusingMs = 0
                overuseCounter = 0
                usage = .overusing
            }
        } else if modified < -threshold {
            overusingMs = -1
            overuseCounter = 0
            usage = .underusing
        } else {
            overusingMs = -1
            overuseCounter = 0
            usage = .normal
        }
        previousTrend = trend
        updateThreshold(modified, nowMs: nowMs)
    }

    private mutating func updateThreshold(_ modified: Double, nowMs: Double) {
        let last = lastThresholdUpdateMs ?? nowMs
        lastThresholdUpdateMs = nowMs
        // A spike far beyond the threshold (a route change, a burst) does not move it.
        if abs(modified) > threshold + Self.maxAdaptOffsetMs { return }
        let k = abs(modified) < threshold ? Self.kDown : Self.kUp
        let elapsed = min(nowMs - last, 100)
        threshold += k * (abs(modified) - threshold) * elapsed
        threshold = min(max(threshold, Self.thresholdRange.lowerBound), Self.thresholdRange.upperBound)
    }
}
