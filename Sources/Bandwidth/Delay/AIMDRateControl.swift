#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import SessionCore

/// The delay-based rate (libwebrtc's `AimdRateControl`, the GCC draft §5.5): overuse →
/// back off to 85 % of what got through (less 5 kbit/s) and hold; underuse → hold while the
/// queue drains; normal → increase, 8 % a second while the link's capacity is unknown, then
/// about a packet per response time once an overuse has shown where it is. Never more than
/// 1.5 × what got through plus 10 kbit/s: a rate the encoder does not use proves nothing.
struct AIMDRateControl: Sendable {
    enum State: Sendable, Equatable { case hold, increase, decrease }

    static let beta = 0.85
    static let backoffTermBps = 5_000.0
    static let minIncreaseBpsPerSecond = 4_000.0

    private(set) var bitsPerSecond: Double
    private(set) var state = State.increase
    let minBitsPerSecond: Double
    let maxBitsPerSecond: Double
    private var lastChange: Instant?
    private var lastThroughput: Double?
    private var capacity = LinkCapacity()
    var roundTripTime = Duration.milliseconds(200)

    init(start: Int, min: Int, max: Int) {
        bitsPerSecond = Double(start)
        minBitsPerSecond = Double(min)
        maxBitsPerSecond = Double(max)
    }

    /// Whether an overuse now may cut again: once per RTT (10–200 ms), or at once when what
    /// gets through fell under half the rate.
    func mayReduceFurther(at now: Instant, throughput: Double) -> Bool {
        let interval = Swift.min(Swift.max(roundTripTime, .milliseconds(10)), .milliseconds(200))
        if let last = lastChange, now - last < interval { return throughput < 0.5 * bitsPerSecond }
        return true
    }

    mutating func update(_ usage: TrendlineEstimator.Usage, throughput: Double?, at now: Instant) {
        if let throughput { lastThroughput = throughput }
        switch usage {
        case .normal:
            if state == .hold {
                lastChange = now
                state = .increase
            }
        case .overusing: state = .decrease
        case .underusing: state = .hold
        }
        let acked = lastThroughput ?? bitsPerSecond
        var next = bitsPerSecond
        switch state {
        case .hold:
            break
        case .increase:
            if acked > capacity.upperBound { capacity.reset() }
            let limit = 1.5 * acked + 10_000
            if bitsPerSecond < limit {
                let increase = capacity.estimate != nil ? additiveIncrease(at: now) : multiplicativeIncrease(at: now)
                next = Swift.min(bitsPerSecond + increase, limit)
            }
            lastChange = now
        case .decrease:
            var decreased = acked * Self.beta
            if decreased > Self.backoffTermBps { decreased -= Self.backoffTermBps }
            if decreased > bitsPerSecond, let c = capacity.estimate { decreased = Self.beta * c }
            if decreased < bitsPerSecond { next = decreased }
            if acked < capacity.lowerBound { capacity.reset() }
            capacity.overuse(throughput: acked)
            state = .hold
            lastChange = now
        }
        bitsPerSecond = Swift.min(Swift.max(next, minBitsPerSecond), maxBitsPerSecond)
    }

    /// An estimate from elsewhere (a probe, the first overuse's halving).
    mutating func set(_ bps: Double, at now: Instant) {
        bitsPerSecond = Swift.min(Swift.max(bps, minBitsPerSecond), maxBitsPerSecond)
        lastChange = now
    }

    private func multiplicativeIncrease(at now: Instant) -> Double {
        var alpha = 1.08
        if let last = lastChange {
            let seconds = Swift.min(Double((now - last).nanosecondsClamped) / 1e9, 1)
            alpha = pow(1.08, seconds)
        }
        return Swift.max(bitsPerSecond * (alpha - 1), 1000)
    }

    /// About one average packet per response time (the detector's ~100 ms plus an RTT, twice).
    private func additiveIncrease(at now: Instant) -> Double {
        guard let last = lastChange else { return 0 }
        let frameBits = bitsPerSecond / 30
        let packetsPerFrame = (frameBits / (8 * 1200)).rounded(.up)
        let packetBits = frameBits / Swift.max(packetsPerFrame, 1)
        let response = 2 * (Double(roundTripTime.nanosecondsClamped) / 1e9 + 0.1)
        let rate = Swift.max(Self.minIncreaseBpsPerSecond, packetBits / response)
        return rate * Double((now - last).nanosecondsClamped) / 1e9
    }
}

/// Where overuse was last seen (libwebrtc's `LinkCapacityEstimator`): an average of the
/// throughputs at overuse with their spread, in kbit/s.
struct LinkCapacity: Sendable {
    private(set) var estimateKbps: Double?
    private var deviation = 0.4

    var estimate: Double? { estimateKbps.map { $0 * 1000 } }
    private var spreadKbps: Double { (deviation * (estimateKbps ?? 0)).squareRoot() }
    var upperBound: Double { estimateKbps.map { ($0 + 3 * spreadKbps) * 1000 } ?? .infinity }
    var lowerBound: Double { estimateKbps.map { Swift.max(0, $0 - 3 * spreadKbps) * 1000 } ?? 0 }

    mutating func reset() { estimateKbps = nil }

    mutating func overuse(throughput: Double) {
        let sample = throughput / 1000, alpha = 0.05
        let e = estimateKbps.map { (1 - alpha) * $0 + alpha * sample } ?? sample
        estimateKbps = e
        let error = e - sample
        deviation = Swift.min(Swift.max((1 - alpha) * deviation + alpha * error * error / Swift.max(e, 1), 0.4), 2.5)
    }
}
