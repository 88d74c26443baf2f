import SessionCore

/// The querier for the peer's ICE candidate names (draft-ietf-mmusic-mdns-ice-candidates
/// §3.2): a one-shot Multicast DNS query (RFC 6762 §5.2 continuous querying cut short: the
/// name is either on this link now or not at all), asked on each of the kiosk's interfaces,
/// again after 1 s and 2 s, given up after 4 s. Answers count only from port 5353 (§11) and
/// only for names asked: a host on the link cannot plant addresses for names we never
/// wanted. Sans-IO: names in, queries out, answers in, addresses out.
public struct MDNSResolver: SansIOMachine {
    public struct Config: Sendable {
        public var retryIntervals: [Duration] = [.seconds(1), .seconds(2)]
        public var giveUpAfter: Duration = .seconds(4)
        public var maxPending = 16
        public init() {}
    }

    public enum Output: Equatable, TimedOutput {
        case transmit(MDNSTransmit)
        case resolved(name: String, address: TransportAddress.IP)
        /// No answer in time: the candidates under this name stay unusable.
        case unresolved(name: String)
        case timeout(Instant)

        public var timeoutInstant: Instant? { if case .timeout(let t) = self { t } else { nil } }
    }

    struct Pending {
        var name: String
        var interfaces: [TransportAddress.IP]
        var askedAt: Instant
        var retries: Int
        var nextQuery: Instant
    }

    public let config: Config
    private var pending: [Pending] = []
    private var outputs = OutputQueue<Output>()
    public private(set) var queriesSent = 0

    public init(config: Config = Config()) { self.config = config }

    /// Asks for `name`'s address on each of `interfaces` (their IPv4 addresses). A name
    /// already asked for is not asked again.
    public mutating func resolve(_ name: String, on interfaces: [TransportAddress.IP], at now: Instant) {
        outputs.inputHandled()
        let key = name.lowercased()
        guard key.hasSuffix(".local"), !interfaces.isEmpty, !pending.contains(where: { $0.name == key }),
              pending.count < config.maxPending else { return }
        pending.append(Pending(name: key, interfaces: interfaces, askedAt: now, retries: 0, nextQuery: now))
        handleTimeout(at: now)
    }

    /// A message from the link. True when it answered a name we asked for.
    @discardableResult
    public mutating func handle(_ bytes: [UInt8], from source: TransportAddress, at now: Instant) -> Bool {
        outputs.inputHandled()
        guard source.port == MDNSResponder.port, !pending.isEmpty,
              let message = try? DNSMessage.parse(bytes), message.isResponse else { return false }
        var answered = false
        for record in message.answers + message.additionals where record.ttl > 0 {
            guard let address = record.address, let i = pending.firstIndex(where: { $0.name == record.name }) else { continue }
            pending.remove(at: i)
            outputs.push(.resolved(name: record.name, address: address))
            answered = true
        }
        return answered
    }

    public mutating func handleTimeout(at now: Instant) {
        outputs.inputHandled()
        var kept: [Pending] = []
        for var p in pending {
            if now - p.askedAt >= config.giveUpAfter {
                outputs.push(.unresolved(name: p.name))
                continue
            }
            if p.nextQuery <= now {
                // §5.4: QM, answered to the group, which we have joined on each interface.
                let query = DNSMessage(questions: [.init(name: p.name, type: DNSMessage.typeA),
                                                   .init(name: p.name, type: DNSMessage.typeAAAA)]).encoded()
                for interface in p.interfaces {
                    outputs.push(.transmit(MDNSTransmit(bytes: query, to: MDNSResponder.groupV4, interface: interface)))
                    queriesSent += 1
                }
                p.nextQuery = p.retries < config.retryIntervals.count ? now + config.retryIntervals[p.retries] : p.askedAt + config.giveUpAfter
                p.retries += 1
            }
            kept.append(p)
        }
        pending = kept
    }

    public mutating func poll() -> Output? {
        if let o = outputs.next() { return o }
        return outputs.owesTimeout() ? .timeout(pending.map { min($0.nextQuery, $0.askedAt + config.giveUpAfter) }.min() ?? .never) : nil
    }

    public var pendingNames: [String] { pending.map(\.name) }
}
