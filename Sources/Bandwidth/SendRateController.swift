import SessionCore

/// The send rate from what the receiver tells us: the loss in its reports (libwebrtc's
/// `SendSideBandwidthEstimation` loss rules, the GCC draft §6) capped by the delay signals:
/// its REMB (Chromium's estimate from the packets' arrival delays, when it sends one) and
/// our own `DelayBasedEstimator` from its transport-wide feedback. Sans-IO: every input
/// returns whether the target changed; nothing here keeps time by itself.
///
/// The rules judge the loss above the link's inherent loss, as libwebrtc's loss-based v2
/// does: Wi-Fi and radio links lose packets whatever the rate, and cutting the rate for
/// that only starves the picture (on a 10 % random-loss link the classic rules hold or cut
/// for ever). The inherent loss is a slow average of the reported loss (about 8 reports to
/// learn it, faster to forget it, at most 20 %), learnt only while the delay-based estimate (ours, or the
/// receiver's REMB) leaves room above the target: loss at the edge of a cap, or with no
/// delay signal at all, is congestion until shown otherwise. Congestion then shows as loss
/// rising above the inherent loss, and sooner as queueing delay in the delay-based
/// estimate, which still caps everything.
///
/// - excess loss ≤ 2 %: 8 % more than the lowest target of the last second, plus 1 kbit/s
///   (so a steady link gains 8 % per second however often reports come);
/// - 2–10 %: hold;
/// - > 10 % (plus twice the sampling noise of a report's few packets at the inherent loss):
///   × (1 − excess / 2), at most once per report and per 300 ms + RTT;
/// - the delay-based estimate (REMB or ours) caps the result; in the first 2 s, with no
///   loss seen, it may also raise it.
public struct SendRateController: Sendable {
    public let config: SendRateConfig
    public private(set) var targetBitsPerSecond: Int
    /// The last REMB, nil before one arrived.
    public private(set) var remoteEstimate: Int?
    /// Our own delay-based estimate from transport-wide feedback, nil without it.
    public private(set) var delayEstimate: Int?
    /// What the delay signals allow: REMB (the receiver's delay-based estimate) and ours.
    var delayCap: Int? {
        switch (remoteEstimate, delayEstimate) {
        case let (r?, d?): min(r, d)
        case let (r, d): r ?? d
        }
    }
    /// The loss of the last complete report interval, out of 256.
    public private(set) var lastFractionLost: UInt8 = 0
    /// The link's loss whatever the rate, out of 256 (see above).
    public private(set) var inherentLoss = 0.0
    public private(set) var decreases = 0

    /// The loss rules need this many expected packets before they judge (libwebrtc's
    /// `kLimitNumPackets`): one audio report of 5 packets says nothing.
    static let minimumExpectedPackets = 20
    static let startPhase = Duration.seconds(2)
    static let increaseWindow = Duration.seconds(1)
    static let decreaseInterval = Duration.milliseconds(300)
    static let historyLimit = 32
    /// The inherent loss learns a rise at 1/8 per report and a fall at 1/4, up to 20 %.
    static let inherentRise = 0.125, inherentFall = 0.25, inherentCeiling = 51.0
    /// Below this share of the REMB the delay-based estimate sees no congestion (libwebrtc's
    /// estimate runs up to 1.5 × the incoming rate on a free link, under it when queueing).
    static let headroom = 0.9

    private var startedAt: Instant?
    private var roundTripTime: Duration = .milliseconds(100)
    private var lastDecreaseAt: Instant?
    private var decreasedSinceReport = false
    private var lossSeen = false
    /// Per SSRC the extended highest sequence number last reported (audio and video: two).
    private var highest: [(ssrc: UInt32, sequence: UInt32)] = []
    private var pendingLost = 0
    /// How many packets the last judged loss was counted over.
    private var lastExpected = 0
    private var pendingExpected = 0
    /// (when, target) for the last second, oldest first, the minimum kept at the front.
    private var history: [(at: Instant, bps: Int)] = []

    public init(config: SendRateConfig = SendRateConfig()) {
        self.config = config
        targetBitsPerSecond = config.startBitsPerSecond
        history.reserveCapacity(Self.historyLimit)
        highest.reserveCapacity(4)
    }

    public mutating func setRoundTripTime(_ rtt: Duration) {
        roundTripTime = min(max(rtt, .zero), .seconds(2))
    }

    /// A report block about one of our streams (RFC 3550 §6.4.1). Returns true when the
    /// target changed.
    @discardableResult
    public mutating func handleReport(ssrc: UInt32, fractionLost: UInt8, extendedHighestSequence: UInt32,
                                      at now: Instant) -> Bool {
        if startedAt == nil { startedAt = now }
        let expected: Int
        if let i = highest.firstIndex(where: { $0.ssrc == ssrc }) {
            let delta = Int64(extendedHighestSequence) - Int64(highest[i].sequence)
            highest[i].sequence = extendedHighestSequence
            // A report about older packets (reordered RTCP) or a wrapped counter says nothing new.
            guard delta > 0, delta < 1 << 16 else { return false }
            expected = Int(delta)
        } else {
            guard highest.count < 8 else { return false }
            highest.append((ssrc, extendedHighestSequence))
            return false
        }
        pendingLost += Int(fractionLost) * expected
        pendingExpected += expected
        guard pendingExpected >= Self.minimumExpectedPackets else { return false }
        lastFractionLost = UInt8(min(255, (pendingLost + pendingExpected / 2) / pendingExpected))
        lastExpected = pendingExpected
        pendingLost = 0
        pendingExpected = 0
        decreasedSinceReport = false
        if lastFractionLost > 0 { lossSeen = true }
        let roomBelowEstimate = delayCap.map { Double(targetBitsPerSecond) < Self.headroom * Double($0) } ?? false
        let changed = update(at: now)
        // Learnt after the report is judged, so a sudden rise is judged against the past.
        let loss = Double(lastFractionLost)
        if roomBelowEstimate || loss < inherentLoss {
            inherentLoss += (loss - inherentLoss) * (loss > inherentLoss ? Self.inherentRise : Self.inherentFall)
            inherentLoss = min(inherentLoss, Self.inherentCeiling)
        }
        return changed
    }

    /// A REMB (draft-alvestrand-rmcat-remb §2.2) naming one of our streams.
    @discardableResult
    public mutating func handleRemoteEstimate(bitsPerSecond: UInt64, at now: Instant) -> Bool {
        if startedAt == nil { startedAt = now }
        remoteEstimate = Int(min(bitsPerSecond, UInt64(Int.max)))
        return update(at: now)
    }

    /// Our delay-based estimate moved (`DelayBasedEstimator`): a cap like REMB.
    @discardableResult
    public mutating func handleDelayEstimate(bitsPerSecond: Int, at now: Instant) -> Bool {
        if startedAt == nil { startedAt = now }
        delayEstimate = bitsPerSecond
        return update(at: now)
    }

    /// A probe found the path carries `bitsPerSecond` (and the delay-based estimate took it):
    /// the target goes there at once rather than 8 % a second (libwebrtc's `SetSendBitrate`
    /// after a probe), within the delay cap and the bounds.
    @discardableResult
    public mutating func handleProbeResult(bitsPerSecond: Int, at now: Instant) -> Bool {
        let before = targetBitsPerSecond
        let capped = min(bitsPerSecond, delayCap ?? bitsPerSecond)
        guard capped > targetBitsPerSecond else { return false }
        targetBitsPerSecond = min(max(capped, config.minBitsPerSecond), config.maxBitsPerSecond)
        history.removeAll(keepingCapacity: true)
        rememberTarget(at: now)
        return targetBitsPerSecond != before
    }

    private mutating func update(at now: Instant) -> Bool {
        let before = targetBitsPerSecond
        var next = targetBitsPerSecond
        if let remote = delayCap, !lossSeen, let start = startedAt, now - start < Self.startPhase {
            next = max(next, remote)
        } else {
            rememberTarget(at: now)
            let excess = max(0, Int(lastFractionLost) - Int(inherentLoss.rounded()))
            if excess <= 5 {  // ≤ 2 % of 256
                next = Int(Double(history.first?.bps ?? next) * 1.08 + 0.5) + 1000
            } else if excess > 25 + lossNoise, !decreasedSinceReport,  // > 10 % (and the noise)
                      lastDecreaseAt.map({ now - $0 >= Self.decreaseInterval + roundTripTime }) ?? true {
                lastDecreaseAt = now
                decreasedSinceReport = true
                decreases += 1
                next = Int(Double(targetBitsPerSecond) * Double(512 - excess) / 512)
            }
        }
        if let cap = delayCap { next = min(next, cap) }
        targetBitsPerSecond = min(max(next, config.minBitsPerSecond), config.maxBitsPerSecond)
        if targetBitsPerSecond != before { rememberTarget(at: now) }
        return targetBitsPerSecond != before
    }

    /// Two standard deviations of the loss a report counts over its few packets when the link
    /// loses its inherent share at random (binomial), out of 256: a 10 % link reporting on 20
    /// packets shows 17 % one report in ten without any congestion. Zero while nothing is
    /// learnt, so a clean link's rules are libwebrtc's.
    private var lossNoise: Int {
        guard inherentLoss > 0, lastExpected > 0 else { return 0 }
        let p = inherentLoss / 256
        return Int((2 * (p * (1 - p) / Double(lastExpected)).squareRoot() * 256).rounded())
    }

    /// Keeps the last second's targets with the minimum in front (a monotonic queue, as
    /// libwebrtc's `min_bitrate_history_`).
    private mutating func rememberTarget(at now: Instant) {
        // libwebrtc's millisecond of slack: a report exactly a second after the last may climb.
        while let first = history.first, now - first.at + .milliseconds(1) > Self.increaseWindow { history.removeFirst() }
        while let last = history.last, last.bps >= targetBitsPerSecond { history.removeLast() }
        if history.count == Self.historyLimit { history.removeFirst() }
        history.append((now, targetBitsPerSecond))
    }
}
