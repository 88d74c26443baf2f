import SessionCore

/// How a receiver asks for a keyframe: PLI (RFC 4585 §6.3.1) or FIR (RFC 5104 §4.3.1).
public enum RTPKeyframeRequestMethod: Sendable, Equatable {
    case pli
    case fir
}

/// Rate-limits keyframe requests: the first goes out at once, later ones no sooner than
/// `minInterval` after the previous; a request made too soon waits, and is cancelled if a
/// keyframe arrives meanwhile.
///
/// Once a keyframe's first packet is here the keyframe is on its way: on a lossy 100 ms path
/// it takes several round trips of retransmissions to complete, and asking again meanwhile
/// only makes the sender start another, as large, on the same crowded link. Requests wait
/// until it is delivered (then they are moot) or given up (then one goes out), or until
/// `inFlightLimit` passed without either.
struct RTPKeyframeRequester {
    let minInterval: Duration
    static let inFlightLimit = Duration.seconds(1)
    private(set) var lastSent: Instant?
    private(set) var pending = false
    /// When the first packet of the keyframe on its way arrived; nil when none is.
    private(set) var inFlightSince: Instant?

    init(minInterval: Duration) { self.minInterval = minInterval }

    /// True when the request should be sent now.
    mutating func request(at now: Instant) -> Bool {
        if inFlightSince != nil || lastSent.map({ now - $0 < minInterval }) ?? false {
            pending = true
            return false
        }
        lastSent = now
        pending = false
        return true
    }

    /// A keyframe's first packet arrived.
    mutating func keyframeStarted(at now: Instant) {
        inFlightSince = now
        pending = false
    }

    mutating func keyframeArrived() {
        pending = false
        inFlightSince = nil
    }

    /// A frame was given up: if it was the keyframe on its way, a request waiting may go.
    mutating func frameGivenUp() { inFlightSince = nil }

    mutating func handleTimeout(at now: Instant) -> Bool {
        if let since = inFlightSince, now - since >= Self.inFlightLimit { inFlightSince = nil }
        guard pending, let d = deadline, now >= d else { return false }
        lastSent = now
        pending = false
        return true
    }

    var deadline: Instant? {
        if let since = inFlightSince { return pending ? since + Self.inFlightLimit : nil }
        guard pending else { return nil }
        return lastSent.map { $0 + minInterval } ?? .zero
    }
}
