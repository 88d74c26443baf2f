/// The rate at which the receiver got our packets, from transport feedback (libwebrtc's
/// `BitrateEstimator`): bytes counted over 150 ms windows of arrival time (500 ms for the
/// first), each window's rate merged into the estimate as a Bayesian update whose trust in
/// the sample falls with its distance from the estimate. What the delay-based rate backs
/// off to: slightly under what actually got through.
struct AcknowledgedBitrate: Sendable {
    static let initialWindowMs = 500.0
    static let windowMs = 150.0
    static let uncertaintyScale = 10.0
    static let varianceGrowth = 5.0

    /// kbit/s; nil before the first window closed.
    private(set) var estimateKbps: Double?
    private var variance = 50.0
    private var sumBytes = 0
    private var windowElapsedMs = 0.0
    private var previousMs: Double?

    /// A packet of `bytes` that arrived at `arrivalMs` (receiver's clock, in arrival order).
    mutating func add(bytes: Int, arrivalMs: Double) {
        let window = estimateKbps == nil ? Self.initialWindowMs : Self.windowMs
        guard let sample = closeWindow(arrivalMs, bytes: bytes, window: window) else { return }
        guard let estimate = estimateKbps else {
            estimateKbps = sample
            return
        }
        let uncertainty = Self.uncertaintyScale * abs(estimate - sample) / max(estimate, 1e-3)
        let sampleVariance = uncertainty * uncertainty
        let predicted = variance + Self.varianceGrowth
        estimateKbps = max(0, (sampleVariance * estimate + predicted * sample) / (sampleVariance + predicted))
        variance = sampleVariance * predicted / (sampleVariance + predicted)
    }

    /// The rate of a window that closes with this packet (counted into the next), kbit/s.
    private mutating func closeWindow(_ nowMs: Double, bytes: Int, window: Double) -> Double? {
        if let previous = previousMs, nowMs < previous {
            previousMs = nil
            sumBytes = 0
            windowElapsedMs = 0
        }
        if let previous = previousMs {
            windowElapsedMs += nowMs - previous
            // A silence longer than a window starts a new one.
            if nowMs - previous > window {
                sumBytes = 0
                windowElapsedMs = windowElapsedMs.truncatingRemainder(dividingBy: window)
            }
        }
        previousMs = nowMs
        var sample: Double?
        if windowElapsedMs >= window {
            sample = 8 * Double(sumBytes) / window
            windowElapsedMs -= window
            sumBytes = 0
        }
        sumBytes += bytes
        return sample
    }
}
