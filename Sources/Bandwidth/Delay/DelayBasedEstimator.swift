import SessionCore

/// The send side's own estimate of the path from transport-wide feedback: the arrival
/// spacing of our packet groups against their send spacing (InterArrival), whether the
/// queue grows (TrendlineEstimator), and the rate that follows (AIMDRateControl), backing
/// off to what got through (AcknowledgedBitrate). libwebrtc's `DelayBasedBwe` without
/// probes. Random loss does not move it (only delay does), which is why the loss rules may
/// learn a lossy link's inherent loss below it. Sans-IO: feedback in, estimate out.
public struct DelayBasedEstimator: Sendable {
    /// Two seconds without feedback: the old groups say nothing about the path now.
    static let streamTimeout = Duration.seconds(2)
    static let initialBackoffInterval = Duration.milliseconds(200)

    private var interArrival = InterArrival()
    private var trendline = TrendlineEstimator()
    private var acknowledged = AcknowledgedBitrate()
    private var rate: AIMDRateControl
    private var lastFeedbackAt: Instant?
    private var lastInitialBackoff: Instant?
    struct Received: Sendable {
        var sentAt: Instant
        var arrivedAt: Instant
        var size: Int
    }

    /// The feedback being read: the packets it says arrived (lost ones say nothing about delay).
    private var feedback: [Received] = []

    public var bitsPerSecond: Int { Int(rate.bitsPerSecond) }
    public var overusing: Bool { trendline.usage == .overusing }
    public private(set) var overuses = 0

    public init(config: SendRateConfig) {
        rate = AIMDRateControl(start: config.startBitsPerSecond, min: config.minBitsPerSecond, max: config.maxBitsPerSecond)
        feedback.reserveCapacity(512)
    }

    public mutating func setRoundTripTime(_ rtt: Duration) { rate.roundTripTime = rtt }

    /// One packet a feedback reports received: when we sent it, when it arrived (the
    /// receiver's clock, any origin) and its size. Read at `feedbackDone`, in arrival order.
    public mutating func packet(sentAt: Instant, arrivedAt: Instant, size: Int) {
        feedback.append(Received(sentAt: sentAt, arrivedAt: arrivedAt, size: size))
    }

    private mutating func read(_ p: Received, at now: Instant) {
        let arrivalMs = Double(p.arrivedAt.nanoseconds) / 1e6
        acknowledged.add(bytes: p.size, arrivalMs: arrivalMs)
        guard let d = interArrival.add(sentAt: p.sentAt, arrivedAt: p.arrivedAt, localNow: now, size: p.size) else { return }
        let before = trendline.usage
        trendline.update(arrivalDeltaMs: Double(d.arrival.nanosecondsClamped) / 1e6,
                         sendDeltaMs: Double(d.send.nanosecondsClamped) / 1e6, arrivalMs: arrivalMs)
        if trendline.usage == .overusing, before != .overusing { overuses += 1 }
    }

    /// Insertion sort by arrival, in place: feedback comes in sequence order, nearly sorted
    /// by arrival already (only what the path reordered moves), and nothing is allocated.
    private mutating func sortByArrival() {
        guard feedback.count > 1 else { return }
        for i in 1..<feedback.count {
            let p = feedback[i]
            var j = i
            while j > 0, feedback[j - 1].arrivedAt > p.arrivedAt {
                feedback[j] = feedback[j - 1]
                j -= 1
            }
            feedback[j] = p
        }
    }

    /// A probe found the path carries `bitsPerSecond`: the estimate jumps there (if higher,
    /// and the queue is not growing). True when it changed.
    public mutating func probeResult(bitsPerSecond: Int, at now: Instant) -> Bool {
        guard trendline.usage != .overusing, Double(bitsPerSecond) > rate.bitsPerSecond else { return false }
        rate.set(Double(bitsPerSecond), at: now)
        return true
    }

    /// The feedback is read: the estimate moves. True when it changed.
    public mutating func feedbackDone(at now: Instant) -> Bool {
        defer { feedback.removeAll(keepingCapacity: true) }
        guard !feedback.isEmpty else { return false }
        if let last = lastFeedbackAt, now - last > Self.streamTimeout {
            interArrival.reset()
            trendline = TrendlineEstimator()
        }
        lastFeedbackAt = now
        sortByArrival()
        for p in feedback { read(p, at: now) }
        let before = rate.bitsPerSecond
        let throughput = acknowledged.estimateKbps.map { $0 * 1000 }
        if trendline.usage == .overusing {
            if let throughput {
                if rate.mayReduceFurther(at: now, throughput: throughput) { rate.update(.overusing, throughput: throughput, at: now) }
            } else if lastInitialBackoff.map({ now - $0 >= Self.initialBackoffInterval }) ?? true {
                // Overuse before anything is known to have got through: halve, every 200 ms.
                lastInitialBackoff = now
                rate.set(rate.bitsPerSecond / 2, at: now)
            }
        } else {
            rate.update(trendline.usage, throughput: throughput, at: now)
        }
        return rate.bitsPerSecond != before
    }
}
