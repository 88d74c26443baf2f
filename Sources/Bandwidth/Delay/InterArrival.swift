import SessionCore

/// Groups packets by send time and gives the change in their spacing across the path
/// (libwebrtc's `InterArrivalDelta`, the GCC draft §5.2): packets sent within 5 ms are one
/// group (a frame's burst), and a group that arrives within 5 ms of the previous one while
/// it left later is still part of it (the network released both at once). For each finished
/// group: its send-time distance and arrival-time distance to the one before.
struct InterArrival: Sendable {
    static let groupLength = Duration.milliseconds(5)
    static let burstDelta = Duration.milliseconds(5)
    static let maxBurst = Duration.milliseconds(100)
    /// An arrival clock that jumps this far past ours was reset (the receiver restarted).
    static let offsetThreshold = Duration.seconds(3)
    static let reorderedResetCount = 3

    struct Group: Sendable {
        var size = 0
        var firstSend: Instant?
        var send = Instant.zero
        var firstArrival = Instant.zero
        var complete = Instant.zero
        var lastLocal = Instant.zero
    }

    struct Deltas: Sendable, Equatable {
        var send: Duration
        var arrival: Duration
        var size: Int
    }

    private var current = Group()
    private var previous = Group()
    private var reordered = 0

    mutating func reset() { self = InterArrival() }

    /// One received packet: its send time, its arrival time (the receiver's clock) and when
    /// its feedback was read here. Deltas when it starts a new group after two complete ones.
    mutating func add(sentAt: Instant, arrivedAt: Instant, localNow: Instant, size: Int) -> Deltas? {
        var deltas: Deltas?
        if current.firstSend == nil {
            current.firstSend = sentAt
            current.send = sentAt
            current.firstArrival = arrivedAt
        } else if let first = current.firstSend, first > sentAt {
            return nil  // reordered before the group it belongs to was closed
        } else if startsNewGroup(sentAt: sentAt, arrivedAt: arrivedAt) {
            if previous.firstSend != nil {
                let send = current.send - previous.send
                let arrival = current.complete - previous.complete
                let local = current.lastLocal - previous.lastLocal
                if arrival - local >= Self.offsetThreshold {
                    reset()
                    return nil
                }
                if arrival < .zero {
                    reordered += 1
                    if reordered >= Self.reorderedResetCount { reset() }
                    return nil
                }
                reordered = 0
                deltas = Deltas(send: send, arrival: arrival, size: current.size - previous.size)
            }
            previous = current
            current = Group(firstSend: sentAt, send: sentAt, firstArrival: arrivedAt)
        } else {
            current.send = max(current.send, sentAt)
        }
        current.size += size
        current.complete = arrivedAt
        current.lastLocal = localNow
        return deltas
    }

    private func startsNewGroup(sentAt: Instant, arrivedAt: Instant) -> Bool {
        guard let first = current.firstSend else { return false }
        if belongsToBurst(sentAt: sentAt, arrivedAt: arrivedAt) { return false }
        return sentAt - first > Self.groupLength
    }

    private func belongsToBurst(sentAt: Instant, arrivedAt: Instant) -> Bool {
        let arrival = arrivedAt - current.complete
        let send = sentAt - current.send
        if send == .zero { return true }
        return arrival - send < .zero && arrival <= Self.burstDelta && arrivedAt - current.firstArrival < Self.maxBurst
    }
}
