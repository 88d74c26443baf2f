import SessionCore

/// A seeded, sans-IO network between two sides, A and B (str0m's `netem` is the model). Send
/// datagrams into it with the time; take them out when due. Each direction has its own
/// `LinkConfig`; either side may sit behind a NAT. Same seed, same inputs: the same datagrams
/// lost, delayed, reordered and duplicated, so a simulated call can assert exact outcomes.
public struct NetworkEmulator: Sendable {
    public enum Side: Sendable, Hashable { case a, b }

    public struct Datagram: Sendable, Equatable {
        public var from: TransportAddress
        public var to: TransportAddress
        public var bytes: [UInt8]
        public init(from: TransportAddress, to: TransportAddress, bytes: [UInt8]) {
            self.from = from
            self.to = to
            self.bytes = bytes
        }
    }

    public struct Delivery: Sendable, Equatable {
        /// The side that receives it; `datagram.to` is that side's own (private) address.
        public var to: Side
        public var datagram: Datagram
    }

    /// What one direction did, by cause; `sentByClass`/`lostByClass` by packet class.
    public struct DirectionStats: Sendable, Equatable {
        public var sent = 0
        public var delivered = 0
        public var lost = 0
        public var tailDropped = 0
        public var unroutable = 0
        public var reordered = 0
        public var duplicated = 0
        public var sentByClass: [PacketClass: Int] = [:]
        public var lostByClass: [PacketClass: Int] = [:]
        /// The longest any packet waited in the bottleneck's queue.
        public var maxQueueDelay: Duration = .zero
    }

    private struct InFlight: Sendable {
        var deliverAt: Instant
        var order: Int
        var delivery: Delivery
    }

    private struct Direction: Sendable {
        var config: LinkConfig
        var blackhole: (@Sendable ([UInt8]) -> Bool)?
        var bad = false
        var queueFreeAt = Instant.zero
        var stats = DirectionStats()
    }

    private struct NATState: Sendable {
        var config: NATConfig
        var nextPort: UInt16
        var outbound: [TransportAddress: TransportAddress] = [:]  // private → public
        var inbound: [TransportAddress: TransportAddress] = [:]   // public → private
        var contacted: Set<TransportAddress.IP> = []
    }

    private var random: SplitMix64
    private var directions: [Direction]
    private var nats: [NATState?]
    private var inFlight: [InFlight] = []
    private var order = 0

    /// - Parameters: `aToB` for what A sends, `bToA` for what B sends.
    public init(seed: UInt64, aToB: LinkConfig = .clean, bToA: LinkConfig = .clean, natA: NATConfig? = nil, natB: NATConfig? = nil) {
        random = SplitMix64(seed: seed)
        directions = [Direction(config: aToB), Direction(config: bToA)]
        nats = [natA.map { NATState(config: $0, nextPort: $0.firstPort) }, natB.map { NATState(config: $0, nextPort: $0.firstPort) }]
    }

    /// Changes a direction's impairments from now on (a link getting worse mid-call).
    public mutating func reconfigure(from side: Side, _ config: LinkConfig) {
        directions[index(side)].config = config
    }

    /// Datagrams from `side` that match are lost every time (originals and retransmissions
    /// alike): a packet lost for good.
    public mutating func blackhole(from side: Side, _ matches: @escaping @Sendable ([UInt8]) -> Bool) {
        directions[index(side)].blackhole = matches
    }

    /// What `side` has sent, and what became of it.
    public func stats(from side: Side) -> DirectionStats { directions[index(side)].stats }

    /// The public address a NAT gave `privateAddress` (nil: not behind one, or not yet mapped).
    public func publicAddress(of privateAddress: TransportAddress, behind side: Side) -> TransportAddress? {
        nats[index(side)]?.outbound[privateAddress]
    }

    /// `side` sends `datagram` at `now`.
    public mutating func send(_ datagram: Datagram, from side: Side, at now: Instant) {
        let d = index(side)
        let kind = PacketClass.of(datagram.bytes)
        directions[d].stats.sent += 1
        directions[d].stats.sentByClass[kind, default: 0] += 1
        var datagram = datagram
        if nats[d] != nil { datagram.from = mapOutbound(datagram.from, to: datagram.to, side: d) }
        let config = directions[d].config
        let impaired = config.impairs.contains(kind)
        if directions[d].blackhole?(datagram.bytes) == true || impaired && lose(direction: d) {
            directions[d].stats.lost += 1
            directions[d].stats.lostByClass[kind, default: 0] += 1
            return
        }
        var departure = now
        if let rate = config.rateBitsPerSecond, rate > 0 {
            let start = max(now, directions[d].queueFreeAt)
            let waited = start - now
            guard waited <= config.queueLimit else {
                directions[d].stats.tailDropped += 1
                directions[d].stats.lostByClass[kind, default: 0] += 1
                return
            }
            directions[d].stats.maxQueueDelay = max(directions[d].stats.maxQueueDelay, waited)
            // IPv4 + UDP headers on the wire too.
            let bits = Int64(datagram.bytes.count + 28) * 8
            departure = start + .nanoseconds(bits * 1_000_000_000 / Int64(rate))
            directions[d].queueFreeAt = departure
        }
        var delay = config.delay
        if impaired, config.jitter > .zero {
            let j = config.jitter.nanosecondsClamped
            delay = delay + .nanoseconds(Int64(random.unit() * Double(2 * j)) - j)
        }
        if impaired, config.reorder > 0, random.unit() < config.reorder {
            delay = delay + config.reorderDelay
            directions[d].stats.reordered += 1
        }
        let at = departure + max(delay, .zero)
        enqueue(datagram, to: other(side), at: at)
        if impaired, config.duplicate > 0, random.unit() < config.duplicate {
            directions[d].stats.duplicated += 1
            enqueue(datagram, to: other(side), at: at)
        }
    }

    /// When the next datagram arrives, if any is in flight.
    public var nextDelivery: Instant? { inFlight.first?.deliverAt }

    /// The next datagram due at `now` (in arrival order), or nil. NAT filtering happens here.
    public mutating func popDue(at now: Instant) -> Delivery? {
        while let first = inFlight.first, first.deliverAt <= now {
            inFlight.removeFirst()
            var delivery = first.delivery
            let receiver = index(delivery.to), sender = 1 - receiver
            if nats[receiver] != nil {
                guard let inside = mapInbound(delivery.datagram, side: receiver) else {
                    directions[sender].stats.unroutable += 1
                    continue
                }
                delivery.datagram.to = inside
            }
            directions[sender].stats.delivered += 1
            return delivery
        }
        return nil
    }

    // MARK: - Helpers

    private func index(_ side: Side) -> Int { side == .a ? 0 : 1 }
    private func other(_ side: Side) -> Side { side == .a ? .b : .a }

    private mutating func lose(direction d: Int) -> Bool {
        switch directions[d].config.loss {
        case .none:
            return false
        case .bernoulli(let p):
            return random.unit() < p
        case .gilbertElliott(let goodToBad, let badToGood, let lossInGood, let lossInBad):
            // Move first, then lose with the new state's probability.
            if directions[d].bad {
                if random.unit() < badToGood { directions[d].bad = false }
            } else if random.unit() < goodToBad {
                directions[d].bad = true
            }
            return random.unit() < (directions[d].bad ? lossInBad : lossInGood)
        }
    }

    private mutating func enqueue(_ datagram: Datagram, to side: Side, at: Instant) {
        order += 1
        let item = InFlight(deliverAt: at, order: order, delivery: Delivery(to: side, datagram: datagram))
        // Stable: equal times keep their send order.
        let i = inFlight.firstIndex { $0.deliverAt > at } ?? inFlight.count
        inFlight.insert(item, at: i)
    }

    private mutating func mapOutbound(_ from: TransportAddress, to: TransportAddress, side: Int) -> TransportAddress {
        guard var nat = nats[side] else { return from }
        defer { nats[side] = nat }
        nat.contacted.insert(to.ip)
        if let mapped = nat.outbound[from] { return mapped }
        let mapped = TransportAddress(ip: nat.config.publicIP, port: nat.nextPort)
        nat.nextPort &+= 1
        nat.outbound[from] = mapped
        nat.inbound[mapped] = from
        return mapped
    }

    private func mapInbound(_ datagram: Datagram, side: Int) -> TransportAddress? {
        guard let nat = nats[side], let inside = nat.inbound[datagram.to] else { return nil }
        if nat.config.filtering == .addressDependent, !nat.contacted.contains(datagram.from.ip) { return nil }
        return inside
    }
}
