import SessionCore

/// How many refused messages get an `error` reply and a log line: a hostile or broken endpoint
/// can send thousands a second, and neither the uplink nor the journal (which would rate-limit
/// the real lines away with them) should pay for it. Per window of `window`: the first
/// `replies` get a reply, the first `lines` a log line; the rest are counted and reported once
/// when the next window opens.
struct RefusalBudget: Sendable {
    var window: Duration = .seconds(10)
    var replies = 20
    var lines = 3
    private var windowStart: Instant?
    private var taken = 0
    private var suppressed = 0

    /// For one refusal at `now`: whether to reply, whether to log, and how many log lines the
    /// previous window suppressed (to report before this one).
    mutating func take(at now: Instant) -> (reply: Bool, log: Bool, suppressedBefore: Int) {
        var report = 0
        if let start = windowStart, now - start < window {
            taken += 1
        } else {
            report = suppressed
            suppressed = 0
            windowStart = now
            taken = 1
        }
        let log = taken <= lines
        if !log { suppressed += 1 }
        return (taken <= replies, log, report)
    }
}
