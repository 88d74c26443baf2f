import SessionCore

/// When and how often to ask for missing packets again (RFC 4585 §6.2.1 generic NACK).
public struct RTPNackConfig: Sendable, Equatable {
    /// Wait this long after a gap appears before the first NACK, so plain reordering is not
    /// mistaken for loss.
    public var initialDelay: Duration = .milliseconds(10)
    /// NACKs per missing packet at most.
    public var maxRetries = 10
    /// Resend spacing is the round-trip time (at most a third of `giveUpAfter`), but at least this.
    public var minResendInterval: Duration = .milliseconds(20)
    /// Stop asking this long after the packet went missing; the receiver then wants a keyframe.
    public var giveUpAfter: Duration = .milliseconds(150)
    /// A larger gap than this is not NACKed at all: a keyframe is cheaper.
    public var maxMissing = 500

    public init() {}
}

/// Tracks missing sequence numbers and decides which to NACK now (str0m/libwebrtc-style
/// NACK register). Storage is reserved once; entries are kept sorted by sequence.
struct RTPNackGenerator {
    struct Entry {
        var sequence: Int64
        var missingSince: Instant
        var nextSend: Instant
        var sent: Int
    }

    enum PacketResult: Equatable {
        case inOrder
        /// A packet that had been missing arrived (reordered or retransmitted).
        case recovered(nacked: Bool)
        /// Too many new missing packets to NACK; the list was cleared.
        case tooManyMissing
        case old
    }

    let config: RTPNackConfig
    /// `config.giveUpAfter`, raised with the RTT to match the jitter buffer's wait.
    var giveUpAfter: Duration
    private(set) var entries: [Entry] = []
    private var highest: Int64?

    init(config: RTPNackConfig) {
        self.config = config
        giveUpAfter = config.giveUpAfter
        entries.reserveCapacity(max(16, config.maxMissing))
    }

    mutating func onPacket(_ seq: Int64, at now: Instant) -> PacketResult {
        guard let h = highest else { highest = seq; return .inOrder }
        if seq > h {
            highest = seq
            let gap = seq - h - 1
            if gap == 0 { return .inOrder }
            if Int64(entries.count) + gap > Int64(config.maxMissing) {
                entries.removeAll(keepingCapacity: true)
                return .tooManyMissing
            }
            for s in (h + 1)..<seq {
                entries.append(Entry(sequence: s, missingSince: now, nextSend: now + config.initialDelay, sent: 0))
            }
            return .inOrder
        }
        if let i = index(of: seq) {
            let nacked = entries[i].sent > 0
            entries.remove(at: i)
            return .recovered(nacked: nacked)
        }
        return .old
    }

    private func index(of seq: Int64) -> Int? {
        var lo = 0, hi = entries.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if entries[mid].sequence < seq { lo = mid + 1 } else { hi = mid }
        }
        return lo < entries.count && entries[lo].sequence == seq ? lo : nil
    }

    /// Whether `seq` is still asked for (a repair for it is useful).
    func isMissing(_ seq: Int64) -> Bool { index(of: seq) != nil }

    /// Marks a packet before the highest as missing (one the gap logic cannot see, such as
    /// the start of the first frame). No effect if it is already tracked or is not older.
    mutating func addMissing(_ seq: Int64, at now: Instant) {
        guard let h = highest, seq < h, entries.count < config.maxMissing, index(of: seq) == nil else { return }
        var lo = 0
        while lo < entries.count, entries[lo].sequence < seq { lo += 1 }
        entries.insert(Entry(sequence: seq, missingSince: now, nextSend: now + config.initialDelay, sent: 0), at: lo)
    }

    /// Forgets packets before `seq`: nobody wants them any more (the jitter buffer moved on).
    mutating func discard(below seq: Int64) {
        var n = 0
        while n < entries.count, entries[n].sequence < seq { n += 1 }
        if n > 0 { entries.removeFirst(n) }
    }

    mutating func reset() {
        entries.removeAll(keepingCapacity: true)
    }

    /// Appends the sequence numbers to NACK now to `due`; returns how many entries were given
    /// up on (too old, or asked for too often).
    mutating func collectDue(at now: Instant, roundTripTime rtt: Duration, into due: inout [UInt16]) -> Int {
        // A little over one RTT apart, but at least three tries must fit before giving up:
        // before the RTT is measured the default guess may be far too high. Not exactly one
        // RTT: libwebrtc's sender resends a packet only once its last resend is RTT + 5 ms old
        // by its own measure, so a NACK one RTT after the last was refused as often as not,
        // and on a 100 ms path only every other try was a try (frames given up, keyframes).
        let spacing = max(min(rtt + rtt / 10 + .milliseconds(10), giveUpAfter / 3), config.minResendInterval)
        var gaveUp = 0
        var kept = 0
        for i in entries.indices {
            var e = entries[i]
            let expired = now - e.missingSince >= giveUpAfter
            let exhausted = e.sent >= config.maxRetries && e.nextSend <= now
            if expired || exhausted {
                gaveUp += 1
                continue
            }
            if e.nextSend <= now {
                due.append(UInt16(truncatingIfNeeded: e.sequence))
                e.sent += 1
                e.nextSend = now + spacing
            }
            entries[kept] = e
            kept += 1
        }
        entries.removeLast(entries.count - kept)
        return gaveUp
    }

    var deadline: Instant? {
        var d: Instant?
        for e in entries {
            let t = min(e.nextSend, e.missingSince + giveUpAfter)
            if let cur = d, cur <= t { continue }
            d = t
        }
        return d
    }
}
