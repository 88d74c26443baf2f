import SessionCore

/// A cap for the remote sender, sent as REMB, while the path toward us holds a standing queue.
///
/// Chromium's delay-based estimator reacts to a queue that grows, not to one that stays full:
/// behind a 300 kbit/s shaper with a 100 ms queue its packets to the kiosk waited 100 ms and
/// one in eight was tail-dropped for whole calls (its target steady, its loss-based estimate
/// settling where the loss is), so frames waited for resends that were themselves dropped.
///
/// The queue is read from abs-send-time, which the sender's pacer stamps as each packet
/// leaves: arrival minus send time, less the least of it over the last 10–20 s, is how long
/// the path held it. (The audio's RTP time would not do: on the lab's busy 2-core machine
/// Chromium's audio left up to 40 ms late for seconds at a time on a clean link, read as a
/// queue, and the cap took Chromium down to 320x180 for nothing.)
///
/// When it averages 40 ms or more over half a second, the sender is told 85 % of what came in
/// that half second or of the cap already sent, whichever is less (libwebrtc's own back-off
/// factor). Chromium's target follows a REMB but its parity, resends and the audio's RED come
/// on top (the lab's 300 kbit/s link: 260 kbit/s came in under a 220 kbit/s cap and the queue
/// stayed full), so the cap is cut again while the queue stands, but only a second or more
/// after the last cut and only if the queue is not draining (10 ms or more under what it was
/// at that cut): the sender takes a while to follow, and cutting on while its queue drained
/// took Chromium from 300 to 100 kbit/s in the lab. A delay that stands while the sender
/// keeps under the cap is taken for the path's own and becomes the base. Once the queue is
/// under 15 ms the cap rises 8 % a second (libwebrtc's own increase); after 10 s drained, or
/// far above anything a call needs, or three times what comes, it is lifted (a last REMB far
/// above any rate: a libwebrtc sender keeps the last value it got). libwebrtc caps its
/// estimate at the REMB it receives, transport-cc or not. Sans-IO: inputs with their times,
/// a deadline, no allocation.
public struct StandingQueueLimit: Sendable {
    public static let block = Duration.milliseconds(500)
    public static let standingQueue = Duration.milliseconds(40)
    public static let drained = Duration.milliseconds(15)
    public static let backoff = 0.85
    public static let minimumCutInterval = Duration.seconds(1)
    /// Less queue than at the last cut by this much: it is draining, no further cut.
    public static let draining = Duration.milliseconds(10)
    /// Per half-second block with the queue drained (8 % a second).
    public static let increasePerBlock = 1.0392
    /// Half-second blocks in a row with the queue drained before the cap is lifted.
    public static let drainedBlocksToLift = 20
    public static let resendInterval = Duration.seconds(1)
    /// Opus with RED and a small picture still fit.
    public static let minimumBitsPerSecond = 100_000
    /// A cap above this is no cap: lifted.
    public static let liftAbove = 4_000_000
    /// What the lifting REMB says.
    public static let lifted: UInt64 = 100_000_000
    /// The base delay is the least over two windows of this length.
    static let baseWindow = Duration.seconds(10)
    /// The call's first second of packets is no sample: in the lab its first half second read
    /// 64–72 ms less delay than every packet after, and as the base it made a standing queue of
    /// nothing. The cost: a queue that stands from the call's first second on is taken for the
    /// path's own delay (the lab's 300 kbit/s row, capped before the call: no cut that helps).
    static let warmUp = Duration.seconds(1)
    static let minimumSamples = 10

    /// The cap in force (bits per second); nil when the sender is not capped.
    public private(set) var limit: Int?
    public private(set) var cuts = 0
    /// The standing queue of the last half second (its mean delay over the base), when known.
    public private(set) var lastQueue: Duration?

    /// abs-send-time unwrapped (24 bits of 1/2^18 s wrap every 64 s).
    private var lastSendTime: UInt32?
    private var extendedSendTime: Int64 = 0
    /// The least arrival-minus-send-time (nanoseconds) of the current and the previous window.
    private var windowMin: Int64 = .max
    private var previousWindowMin: Int64 = .max
    private var windowStart: Instant?
    private var firstPacketAt: Instant?
    private var blockStart: Instant?
    private var blockDelaySum: Int64 = 0
    private var blockSamples = 0
    private var blockBytes = 0
    private var lastCut: Instant?
    private var queueAtCut = Duration.zero
    private var drainedBlocks = 0
    /// When a REMB is due: at once after a change, then every second while capped.
    public private(set) var rembDue: Instant?
    private var liftPending = false

    public init() {}

    /// Any packet from the remote (media, resends, parity, probes): what came in.
    public mutating func received(bytes: Int, at now: Instant) {
        if blockStart == nil { blockStart = now }
        blockBytes += bytes
        endBlock(at: now)
    }

    /// A packet's abs-send-time (the extension's 24 bits: seconds in 6.18 fixed point) against
    /// its arrival gives the path's delay.
    public mutating func packet(absSendTime: UInt32, at now: Instant) {
        if firstPacketAt == nil { firstPacketAt = now }
        let value = absSendTime & 0xFF_FFFF
        var sent = extendedSendTime
        if let last = lastSendTime {
            // A step of more than half the range is a reordered packet from before the wrap.
            var step = Int64(value) - Int64(last)
            if step > 0x80_0000 { step -= 0x100_0000 } else if step < -0x80_0000 { step += 0x100_0000 }
            sent += step
            if step > 0 {
                extendedSendTime = sent
                lastSendTime = value
            }
        } else {
            lastSendTime = value
            extendedSendTime = Int64(value)
            sent = extendedSendTime
        }
        if let first = firstPacketAt, now - first < Self.warmUp { return }
        // Whole seconds and the fraction apart, so hours of call cannot overflow.
        let delay = now.nanoseconds - ((sent >> 18) * 1_000_000_000 + ((sent & 0x3_FFFF) * 1_000_000_000) >> 18)
        if windowStart == nil { windowStart = now }
        if let start = windowStart, now - start >= Self.baseWindow {
            previousWindowMin = windowMin
            windowMin = .max
            windowStart = now
        }
        windowMin = min(windowMin, delay)
        blockDelaySum += delay
        blockSamples += 1
    }

    /// Closes a half-second block when one has passed: the cap moves.
    public mutating func handleTimeout(at now: Instant) { endBlock(at: now) }

    public var deadline: Instant? {
        guard let end = blockStart.map({ $0 + Self.block }) else { return rembDue }
        return rembDue.map { min($0, end) } ?? end
    }

    /// The REMB to send now, if one is due (bits per second).
    public mutating func remb(at now: Instant) -> UInt64? {
        guard let due = rembDue, now >= due else { return nil }
        if liftPending {
            liftPending = false
            rembDue = nil
            return Self.lifted
        }
        guard let limit else { rembDue = nil; return nil }
        rembDue = now + Self.resendInterval
        return UInt64(limit)
    }

    private mutating func endBlock(at now: Instant) {
        guard let start = blockStart, now - start >= Self.block else { return }
        defer {
            blockStart = now
            blockBytes = 0
            blockDelaySum = 0
            blockSamples = 0
        }
        let base = min(windowMin, previousWindowMin)
        guard blockSamples >= Self.minimumSamples, base != .max else {
            lastQueue = nil
            return
        }
        // The mean, not the least: a queue that fills to overflowing and drains again within
        // half a second (Chromium's rate see-sawing at a cap) still drops packets at its top.
        let queue = Duration.nanoseconds(max(0, blockDelaySum / Int64(blockSamples) - base))
        lastQueue = queue
        let seconds = Double((now - start).nanosecondsClamped) / 1e9
        let incoming = Double(blockBytes * 8) / seconds
        drainedBlocks = queue < Self.drained ? drainedBlocks + 1 : 0
        if queue >= Self.standingQueue {
            guard lastCut.map({ now - $0 >= Self.minimumCutInterval }) ?? true else { return }
            if let l = limit, incoming <= Double(l) {
                // The sender keeps under the cap and the delay still stands: not a queue it
                // fills but a longer path (on the lab's shaper the delay rose 64 ms for good
                // the moment the cap went on). It is the base from now on.
                windowMin = blockDelaySum / Int64(blockSamples)
                previousWindowMin = windowMin
                lastQueue = .zero
                return
            }
            if limit != nil, queue <= queueAtCut - Self.draining {
                queueAtCut = queue  // draining: measured against this next time
                return
            }
            let cut = max(Self.minimumBitsPerSecond, Int(min(incoming, Double(limit ?? .max)) * Self.backoff))
            if limit.map({ cut < $0 }) ?? true {
                limit = cut
                cuts += 1
                lastCut = now
                queueAtCut = queue
                liftPending = false
                rembDue = now
            }
        } else if queue < Self.drained, let l = limit {
            let raised = Int(Double(l) * Self.increasePerBlock)
            // Far above what comes (the clinician's camera went off, the cap was lifted long
            // ago): no longer a cap.
            if raised > Self.liftAbove || Double(raised) > 3 * incoming || drainedBlocks >= Self.drainedBlocksToLift {
                limit = nil
                liftPending = true
                rembDue = now
            } else {
                limit = raised
            }
        }
    }
}

