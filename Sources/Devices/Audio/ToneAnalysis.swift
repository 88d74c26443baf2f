/// Frequency of a clean tone in captured audio, for the loopback self-test (speaker → mic).
public enum ToneAnalysis {
    /// Estimates the fundamental from the median period between rising zero crossings
    /// (interpolated between samples) on channel `channel` of interleaved PCM. The median
    /// ignores the odd period broken by a dropout. Nil when there are fewer than 3 crossings.
    public static func estimateFrequency(_ samples: [Int16], channels: Int = 1, channel: Int = 0,
                                         sampleRate: Int = 48_000) -> Double? {
        let stride = max(1, channels)
        var crossings: [Double] = []
        guard channel < stride, samples.count > channel else { return nil }
        var previous = Int(samples[channel])
        var i = channel + stride
        var n = 1
        // A little hysteresis: ignore crossings out of tiny noise around zero.
        var armed = previous < 0
        while i < samples.count {
            let current = Int(samples[i])
            if current < -64 { armed = true }
            if armed, previous < 0, current >= 0 {
                crossings.append(Double(n - 1) + Double(-previous) / Double(current - previous))
                armed = false
            }
            previous = current
            i += stride
            n += 1
        }
        guard crossings.count >= 3 else { return nil }
        var periods = zip(crossings.dropFirst(), crossings).map { $0 - $1 }
        periods.sort()
        let median = periods.count % 2 == 1 ? periods[periods.count / 2]
            : (periods[periods.count / 2 - 1] + periods[periods.count / 2]) / 2
        return median > 0 ? Double(sampleRate) / median : nil
    }
}
