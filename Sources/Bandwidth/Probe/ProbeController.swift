import SessionCore

/// When to find out whether the path carries more than we send (libwebrtc's
/// `ProbeController`): a probe is a short burst at a higher rate, and what the receiver's
/// feedback says of its arrival spacing is what the path can carry. At the start two probes
/// at 3 × and 6 × the start rate; a probe that got through at 70 % or more of its rate is
/// followed by one at twice its result (exponential probing, so a free path is found in
/// a few round trips); and while the encoder leaves the rate unused
/// (`ApplicationLimitedDetector`), the estimate is under the maximum and the path has shown
/// no congestion for 3 s, one at twice the estimate every 3 s, as libwebrtc's ALR probes.
/// A probe whose raise is followed by congestion within 2 s misled (a shaper's burst): the
/// interval doubles.
public struct ProbeController: Sendable {
    public struct Cluster: Sendable, Equatable {
        public var id: Int
        public var bitsPerSecond: Int
        /// 15 ms of the rate, in at least 5 packets (libwebrtc's minimums): short enough that
        /// a full path's queue grows by a few milliseconds only.
        public var bytes: Int { bitsPerSecond * Self.minimumDurationMs / 8000 }
        public static let minimumDurationMs = 15
        public static let minimumPackets = 5
    }

    static let firstScale = 3, secondScale = 6
    static let furtherFraction = 0.7
    static let periodicInterval = Duration.seconds(3)
    static let resultWait = Duration.seconds(1)
    /// A raise followed this soon by congestion was wrong: a token bucket's burst (a shaper,
    /// Wi-Fi aggregation) let the probe through faster than the path carries.
    static let misleadWindow = Duration.seconds(2)
    static let maxBackoff = 4

    /// Probes that misled (see `misleadWindow`) in a row: the periodic interval doubles for
    /// each, up to 16 × (48 s), and a probe that held resets it.
    public private(set) var misleadingProbes = 0
    private var lastRaiseAt: Instant?

    public let maxBitsPerSecond: Int
    private var nextID = 1
    private var started = false
    /// The rate of the last probe while exponential probing goes on; nil when it stopped.
    private var exponentialTarget: Int?
    private var lastProbeAt: Instant?
    private var pending = FIFOQueue<Cluster>(capacity: 4)

    public init(maxBitsPerSecond: Int) {
        self.maxBitsPerSecond = maxBitsPerSecond
    }

    /// The next cluster to send now, if one is due.
    /// `congestedAt` is when the path last showed it was full (an overuse, a loss backoff):
    /// periodic probes wait for 3 s without, so a capped link is not pushed over its edge.
    public mutating func nextCluster(estimate: Int, congestedAt: Instant?, applicationLimited: Bool,
                                     at now: Instant) -> Cluster? {
        // A probe whose result did not come (or came too low) within a second: done waiting.
        if exponentialTarget != nil, let last = lastProbeAt, now - last > Self.resultWait { exponentialTarget = nil }
        // A raise that held for the window: probing this path tells the truth.
        if let r = lastRaiseAt, now - r >= Self.misleadWindow {
            lastRaiseAt = nil
            misleadingProbes = 0
        }
        if !started {
            started = true
            lastProbeAt = now
        } else if exponentialTarget == nil, applicationLimited, estimate < maxBitsPerSecond * 9 / 10,
                  congestedAt.map({ now - $0 >= Self.periodicInterval }) ?? true,
                  lastProbeAt.map({ now - $0 >= Self.periodicInterval * (1 << misleadingProbes) }) ?? true {
            queue(2 * estimate, at: now)
            exponentialTarget = min(2 * estimate, maxBitsPerSecond)
        }
        return pending.popFirst()
    }

    /// The path showed congestion (an overuse, a loss backoff): if soon after a probe raised
    /// the estimate, the probe misled.
    public mutating func congestion(at now: Instant) {
        guard let raised = lastRaiseAt else { return }
        lastRaiseAt = nil
        if now - raised < Self.misleadWindow {
            misleadingProbes = min(misleadingProbes + 1, Self.maxBackoff)
            exponentialTarget = nil
        } else {
            misleadingProbes = 0
        }
    }

    /// A probe's result raised the estimate.
    public mutating func raised(at now: Instant) {
        if let r = lastRaiseAt, now - r >= Self.misleadWindow { misleadingProbes = 0 }
        lastRaiseAt = now
    }

    /// A probe's result (`ProbeBitrateEstimator`): probe further, at twice it, when it got
    /// through at 70 % of the rate probed or more.
    public mutating func probeResult(bitsPerSecond: Int, at now: Instant) {
        guard let target = exponentialTarget, Double(bitsPerSecond) >= Self.furtherFraction * Double(target) else { return }
        exponentialTarget = nil
        guard bitsPerSecond < maxBitsPerSecond * 9 / 10 else { return }
        queue(2 * bitsPerSecond, at: now)
        exponentialTarget = min(2 * bitsPerSecond, maxBitsPerSecond)
    }

    private mutating func queue(_ bps: Int, at now: Instant) {
        let rate = min(bps, maxBitsPerSecond)
        guard rate > 0, pending.count < 4 else { return }
        pending.append(Cluster(id: nextID, bitsPerSecond: rate))
        nextID += 1
        lastProbeAt = now
    }
}
