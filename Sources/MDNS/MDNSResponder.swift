import SessionCore

/// The Multicast DNS responder for the kiosk's ICE host-candidate names
/// (draft-ietf-mmusic-mdns-ice-candidates: the offer carries `<uuid>.local` instead of a LAN
/// address, and only a peer on the same link can resolve it). Sans-IO: queries from the link
/// in, answers out, one timer for the announcements.
///
/// RFC 6762 as a responder for unique names needs it: an answer to an A/AAAA (or ANY) question
/// for a name we own, multicast to the group with ID 0 (§6), or unicast back with the query's
/// ID and question when it came from a port other than 5353 (§6.7, legacy unicast, TTL 10);
/// each record multicast at most once a second on its link (§6.2): a question within that
/// second is answered when it is over (a resolver that starts asking just after our
/// announcement did not hear it: Chromium does), so a host flooding the link with queries
/// costs one answer per second and name; two announcements a second apart
/// when a name is registered (§8.3) and a goodbye (TTL 0) when it is released (§10.1).
/// Probing (§8.1) is left out: a random version-4 UUID is not going to be taken.
/// A message for the driver: from the IPv4 address of the interface it must leave by
/// (`IP_MULTICAST_IF`) to the group, or to one querier.
public struct MDNSTransmit: Equatable, Sendable {
    public var bytes: [UInt8]
    public var to: TransportAddress
    public var interface: TransportAddress.IP
}

public struct MDNSResponder: SansIOMachine {
    public static let port: UInt16 = 5353
    public static let groupV4 = TransportAddress(ip: .v4(0xE000_00FB), port: port) // 224.0.0.251

    public struct Config: Sendable {
        public var ttl: UInt32 = 120
        public var legacyUnicastTTL: UInt32 = 10
        public var announcements = 2
        public var announceInterval: Duration = .seconds(1)
        public var minMulticastInterval: Duration = .seconds(1)
        /// Legacy unicast answers allowed per second (they are not held back by §6.2).
        public var unicastPerSecond = 20
        public var maxNames = 16
        public init() {}
    }

    public typealias Transmit = MDNSTransmit

    public enum Output: Equatable, TimedOutput {
        case transmit(Transmit)
        case timeout(Instant)

        public var timeoutInstant: Instant? { if case .timeout(let t) = self { t } else { nil } }
    }

    /// What `handle` did with a message from the link.
    public enum Receive: Equatable, Sendable {
        case answered
        /// Asked within a second of the last multicast of that record: answered once the
        /// second is over (`handleTimeout`).
        case answerScheduled
        /// A query we were not asked (another host's names), a response, or a record we
        /// answered less than a second ago.
        case ignored
        case malformed(DNSMessageError)
    }

    struct Name {
        var name: String
        var address: TransportAddress.IP
        var interface: TransportAddress.IP
        var announcementsLeft: Int
        var nextAnnouncement: Instant
        var lastMulticast: Instant?
        var answerDue: Instant?
    }

    public let config: Config
    private(set) var names: [Name] = []
    private var outputs = OutputQueue<Output>()
    private var unicastWindow: (start: Instant, count: Int) = (.zero, 0)
    public private(set) var answersSent = 0
    public private(set) var queriesIgnored = 0

    public init(config: Config = Config()) { self.config = config }

    /// Owns `name` (lowercase, ending in `.local`) for `address`, answered on the link of
    /// `interface` (the IPv4 address of the interface `address` is on; the same for IPv4).
    /// Announced at once and again after `announceInterval`.
    public mutating func register(name: String, address: TransportAddress.IP, interface: TransportAddress.IP, at now: Instant) {
        outputs.inputHandled()
        let key = name.lowercased()
        names.removeAll { $0.name == key }
        guard names.count < config.maxNames else { return }
        names.append(Name(name: key, address: address, interface: interface, announcementsLeft: config.announcements,
                          nextAnnouncement: now, lastMulticast: nil))
        handleTimeout(at: now)
    }

    /// Gives `name` up: a goodbye (TTL 0) so caches drop it at once.
    public mutating func unregister(name: String, at now: Instant) {
        outputs.inputHandled()
        let key = name.lowercased()
        guard let i = names.firstIndex(where: { $0.name == key }) else { return }
        let n = names.remove(at: i)
        multicast([.address(n.name, n.address, ttl: 0)], via: n.interface)
    }

    /// Gives every name up (the call ended).
    public mutating func unregisterAll(at now: Instant) {
        for n in names { unregister(name: n.name, at: now) }
        outputs.inputHandled()
    }

    public var registeredNames: [String] { names.map(\.name) }

    /// A message received on port 5353 from `source`.
    @discardableResult
    public mutating func handle(_ bytes: [UInt8], from source: TransportAddress, at now: Instant) -> Receive {
        outputs.inputHandled()
        let message: DNSMessage
        do {
            message = try DNSMessage.parse(bytes)
        } catch {
            return .malformed(error)
        }
        // §18.3/§18.4: only standard queries; responses are other hosts' business.
        guard !message.isResponse, message.opcode == 0 else { return .ignored }
        let legacy = source.port != Self.port
        var unicastAnswers: [DNSMessage.Record] = []
        var unicastQuestions: [DNSMessage.Question] = []
        var multicastAnswers: [Int] = []
        for question in message.questions where question.recordClass == DNSMessage.classIN || question.recordClass == 255 {
            guard let i = names.firstIndex(where: { $0.name == question.name }) else { continue }
            let n = names[i]
            let wanted: UInt16 = n.address.isV4 ? DNSMessage.typeA : DNSMessage.typeAAAA
            guard question.type == wanted || question.type == DNSMessage.typeANY else { continue }
            // §7.1: the querier already holds this answer with at least half its TTL left.
            let known = message.answers.contains {
                $0.name == n.name && $0.type == wanted && $0.address == n.address && $0.ttl >= config.ttl / 2
            }
            if legacy {
                unicastQuestions.append(question)
                unicastAnswers.append(.address(n.name, n.address, ttl: config.legacyUnicastTTL))
            } else if !known {
                multicastAnswers.append(i)
            }
        }
        var answered = false
        var scheduled = false
        if !unicastAnswers.isEmpty, unicastAllowed(at: now), let via = names.first(where: { $0.name == unicastAnswers[0].name })?.interface {
            // §6.7: the query's ID and question, records without the cache-flush bit.
            let records = unicastAnswers.map { var r = $0; r.cacheFlush = false; return r }
            let reply = DNSMessage(id: message.id, flags: DNSMessage.responseFlags, questions: unicastQuestions, answers: records)
            outputs.push(.transmit(Transmit(bytes: reply.encoded(), to: source, interface: via)))
            answersSent += 1
            answered = true
        }
        for i in multicastAnswers {
            if let last = names[i].lastMulticast, now - last < config.minMulticastInterval {
                if names[i].answerDue == nil {
                    names[i].answerDue = last + config.minMulticastInterval
                    scheduled = true
                }
                continue
            }
            names[i].lastMulticast = now
            names[i].answerDue = nil
            multicast([.address(names[i].name, names[i].address, ttl: config.ttl)], via: names[i].interface)
            answered = true
        }
        if answered { return .answered }
        if scheduled { return .answerScheduled }
        queriesIgnored += 1
        return .ignored
    }

    public mutating func handleTimeout(at now: Instant) {
        outputs.inputHandled()
        for i in names.indices {
            let announce = names[i].announcementsLeft > 0 && names[i].nextAnnouncement <= now
            let answer = names[i].answerDue.map { $0 <= now } ?? false
            guard announce || answer else { continue }
            if announce {
                names[i].announcementsLeft -= 1
                names[i].nextAnnouncement = now + config.announceInterval
            }
            names[i].answerDue = nil
            names[i].lastMulticast = now
            multicast([.address(names[i].name, names[i].address, ttl: config.ttl)], via: names[i].interface)
        }
    }

    public mutating func poll() -> Output? {
        if let o = outputs.next() { return o }
        return outputs.owesTimeout() ? .timeout(nextDeadline) : nil
    }

    private var nextDeadline: Instant {
        names.compactMap { n in [n.announcementsLeft > 0 ? n.nextAnnouncement : nil, n.answerDue].compactMap { $0 }.min() }.min() ?? .never
    }

    private mutating func multicast(_ records: [DNSMessage.Record], via interface: TransportAddress.IP) {
        let message = DNSMessage(flags: DNSMessage.responseFlags, answers: records)
        outputs.push(.transmit(Transmit(bytes: message.encoded(), to: Self.groupV4, interface: interface)))
        answersSent += 1
    }

    private mutating func unicastAllowed(at now: Instant) -> Bool {
        if now - unicastWindow.start >= .seconds(1) { unicastWindow = (now, 0) }
        guard unicastWindow.count < config.unicastPerSecond else { return false }
        unicastWindow.count += 1
        return true
    }
}

extension TransportAddress.IP {
    var isV4: Bool { if case .v4 = self { true } else { false } }
}
