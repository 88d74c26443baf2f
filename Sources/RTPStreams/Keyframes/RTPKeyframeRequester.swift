import SessionCore

/// How a receiver asks for a keyframe: PLI (RFC 4585 §6.3.1) or FIR (RFC 5104 §4.3.1).
public enum RTPKeyframeRequestMethod: Sendable, Equatable {
    case pli
    case fir
}

/// Rate-limits keyframe requests: the first goes out at once, later ones no sooner than
/// `minInterval` after the previous; a request made too soon waits, and is cancelled if a
/// keyframe arrives meanwhile.
struct RTPKeyframeRequester {
    let minInterval: Duration
    private(set) var lastSent: Instant?
    private(set) var pending = false

    init(minInterval: Duration) { self.minInterval = minInterval }

    /// True when the request should be sent now.
    mutating func request(at now: Instant) -> Bool {
        if let last = lastSent, now - last < minInterval {
            pending = true
            return false
        }
        lastSent = now
        pending = false
        return true
    }

    mutating func keyframeArrived() { pending = false }

    mutating func handleTimeout(at now: Instant) -> Bool {
        guard pending, let d = deadline, now >= d else { return false }
        lastSent = now
        pending = false
        return true
    }

    var deadline: Instant? {
        guard pending, let last = lastSent else { return nil }
        return last + minInterval
    }
}
