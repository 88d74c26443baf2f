import SessionCore

/// A seeded, sans-IO network between two peers, A and B (str0m's `netem` is the model), and
/// any number of servers (STUN, TURN) on public addresses. Send datagrams into it with the
/// time; take them out when due. Each sender has its own uplink `LinkConfig`; either peer may
/// sit behind a NAT. What a peer sends goes to the server owning the destination IP, else to
/// the other peer; what a server sends goes to the peer whose NAT or own address it names.
/// Same seed, same inputs: the same datagrams lost, delayed, reordered and duplicated, so a
/// simulated call can assert exact outcomes.
public struct NetworkEmulator: Sendable {
    /// A node of the network: the two peers, `.a` and `.b`, or a server from `addServer`.
    public struct Side: Sendable, Hashable {
        fileprivate let index: Int
        public static let a = Side(index: 0)
        public static let b = Side(index: 1)
    }

    public typealias Datagram = SessionCore.Datagram

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
        var sender: Int
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
        /// Per public port, where the inside has sent to (what filtering lets back in).
        var contacted: [TransportAddress: Set<TransportAddress>] = [:]
    }

    private var random: SplitMix64
    /// Per node (A, B, then servers): its uplink.
    private var directions: [Direction]
    /// Per node; servers never sit behind one.
    private var nats: [NATState?]
    /// The addresses each peer has sent from (before its NAT): where a server's answer goes.
    private var ownAddresses: [Set<TransportAddress>] = [[], []]
    private var placed = [false, false]
    /// Per peer, addresses it no longer has (`move`): nothing leaves from or arrives at them.
    private var gone: [Set<TransportAddress>] = [[], []]
    private var servers: [(ips: Set<TransportAddress.IP>, node: Int)] = []
    private var inFlight: [InFlight] = []
    private var order = 0

    /// - Parameters: `aToB` for what A sends, `bToA` for what B sends.
    public init(seed: UInt64, aToB: LinkConfig = .clean, bToA: LinkConfig = .clean, natA: NATConfig? = nil, natB: NATConfig? = nil) {
        random = SplitMix64(seed: seed)
        directions = [Direction(config: aToB), Direction(config: bToA)]
        nats = [natA.map { NATState(config: $0, nextPort: $0.firstPort) }, natB.map { NATState(config: $0, nextPort: $0.firstPort) }]
    }

    /// What `side` sends crosses `link` from now on (a cap that comes or goes, a Wi-Fi that
    /// starts losing); packets already queued keep the times they were given.
    public mutating func setLink(from side: Side, _ link: LinkConfig) {
        directions[side.index].config = link
    }

    /// `address` is `side`'s own (behind its NAT, if it has one): from now on only datagrams
    /// to its addresses reach it, and a datagram to an address no node owns is unroutable.
    public mutating func place(_ address: TransportAddress, at side: Side) {
        precondition(side.index < 2, "servers own IPs, not addresses")
        ownAddresses[side.index].insert(address)
        placed[side.index] = true
    }

    /// `side`'s interface address `old` is replaced by `new` at once (a kiosk moving from one
    /// network to another, or its DHCP lease changing): datagrams still in flight to `old` are
    /// lost on arrival, anything sent from `old` afterwards is lost, and `new` is `side`'s from
    /// now on. The side is placed, so what is sent to an address nobody owns is unroutable.
    public mutating func move(_ side: Side, from old: TransportAddress, to new: TransportAddress) {
        precondition(side.index < 2, "servers own IPs, not addresses")
        ownAddresses[side.index].remove(old)
        ownAddresses[side.index].insert(new)
        gone[side.index].insert(old)
        gone[side.index].remove(new)
        placed[side.index] = true
        if let nat = nats[side.index], let mapped = nat.outbound[old] {
            // The NAT forgets the mapping of an address that is gone.
            nats[side.index]?.outbound[old] = nil
            nats[side.index]?.inbound[mapped] = nil
        }
    }

    /// A server owning `ips` (a STUN or TURN server and its relayed addresses), sending
    /// through `uplink`. Deliveries to it carry its `Side`.
    public mutating func addServer(ips: [TransportAddress.IP], uplink: LinkConfig = .clean) -> Side {
        let node = directions.count
        directions.append(Direction(config: uplink))
        nats.append(nil)
        servers.append((Set(ips), node))
        return Side(index: node)
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
        guard d >= 2 || !gone[d].contains(datagram.from), let receiver = route(datagram.to, from: d) else {
            directions[d].stats.unroutable += 1
            return
        }
        var datagram = datagram
        // Where a server's answer goes; servers own IPs, not addresses.
        if d < 2 { ownAddresses[d].insert(datagram.from) }
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
        enqueue(datagram, from: d, to: receiver, at: at)
        if impaired, config.duplicate > 0, random.unit() < config.duplicate {
            directions[d].stats.duplicated += 1
            enqueue(datagram, from: d, to: receiver, at: at)
        }
    }

    /// When the next datagram arrives, if any is in flight.
    public var nextDelivery: Instant? { inFlight.first?.deliverAt }

    /// The next datagram due at `now` (in arrival order), or nil. NAT filtering happens here.
    public mutating func popDue(at now: Instant) -> Delivery? {
        while let first = inFlight.first, first.deliverAt <= now {
            inFlight.removeFirst()
            var delivery = first.delivery
            let receiver = index(delivery.to), sender = first.sender
            if receiver < 2, gone[receiver].contains(delivery.datagram.to) {
                directions[sender].stats.unroutable += 1
                continue
            }
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

    private func index(_ side: Side) -> Int { side.index }

    /// The node a datagram to `to` reaches: a server owning the IP, else the peer `to` names
    /// (its NAT's public IP, or an address it was placed at or has sent from). A peer that was
    /// never placed is reached by whatever the other peer sends that no one else owns.
    private func route(_ to: TransportAddress, from sender: Int) -> Int? {
        if let server = servers.first(where: { $0.ips.contains(to.ip) }) { return server.node }
        if let peer = (0..<2).first(where: { peer in
            nats[peer].map { $0.config.publicIP == to.ip } ?? false || ownAddresses[peer].contains(to)
        }) { return peer }
        if sender < 2, !placed[1 - sender] { return 1 - sender }
        return nil
    }

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

    private mutating func enqueue(_ datagram: Datagram, from sender: Int, to receiver: Int, at: Instant) {
        order += 1
        let item = InFlight(deliverAt: at, order: order, sender: sender,
                            delivery: Delivery(to: Side(index: receiver), datagram: datagram))
        // Stable: equal times keep their send order.
        let i = inFlight.firstIndex { $0.deliverAt > at } ?? inFlight.count
        inFlight.insert(item, at: i)
    }

    private mutating func mapOutbound(_ from: TransportAddress, to: TransportAddress, side: Int) -> TransportAddress {
        guard var nat = nats[side] else { return from }
        defer { nats[side] = nat }
        let mapped = nat.outbound[from] ?? TransportAddress(ip: nat.config.publicIP, port: nat.nextPort)
        if nat.outbound[from] == nil {
            nat.nextPort &+= 1
            nat.outbound[from] = mapped
            nat.inbound[mapped] = from
        }
        nat.contacted[mapped, default: []].insert(to)
        return mapped
    }

    private func mapInbound(_ datagram: Datagram, side: Int) -> TransportAddress? {
        guard let nat = nats[side], let inside = nat.inbound[datagram.to] else { return nil }
        let contacted = nat.contacted[datagram.to] ?? []
        switch nat.config.filtering {
        case .endpointIndependent: return inside
        case .addressDependent: return contacted.contains { $0.ip == datagram.from.ip } ? inside : nil
        case .addressAndPortDependent: return contacted.contains(datagram.from) ? inside : nil
        }
    }
}
