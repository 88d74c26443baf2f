import SessionCore
import STUN

/// A sans-IO TURN client for one UDP allocation (RFC 8656): Allocate with long-term
/// credentials (401 → realm/nonce → retry; 438 → new nonce), Refresh before the lifetime ends,
/// CreatePermission per peer IP, ChannelBind per peer, Send indications until a channel is
/// bound, then ChannelData. Every datagram goes to or comes from `config.server`.
///
/// Over TCP or TLS (RFC 8656 §3.1) the client is the same: the driver frames its messages on
/// the stream (`TURNStreamFramer`), the config's `retransmit` is `.reliable(...)` (sent once,
/// one transaction timeout), and `transportClosed()` reports a lost connection.
///
/// Drive it like the other state machines: call `start`, feed `handleDatagram` with what the
/// server sends and `handleTimeout` at the deadline, and drain `poll()` after each call.
public struct TURNClient: SansIOMachine, Sendable {
    public struct Config: Sendable, Equatable {
        public var server: TransportAddress
        public var username: String
        /// Already prepared (OpaqueString); used as is for the MD5 key.
        public var password: String
        /// Seconds asked for in LIFETIME; the server's answer wins (RFC 8656 §7.2).
        public var requestedLifetime: UInt32
        public var retransmit: STUNRetransmitPolicy
        public var software: String?

        public init(server: TransportAddress, username: String, password: String, requestedLifetime: UInt32 = 600,
                    retransmit: STUNRetransmitPolicy = .standard, software: String? = nil) {
            self.server = server
            self.username = username
            self.password = password
            self.requestedLifetime = requestedLifetime
            self.retransmit = retransmit
            self.software = software
        }
    }

    public enum State: Equatable, Sendable {
        case idle
        case allocating
        case allocated(relayed: TransportAddress, mapped: TransportAddress?)
        case failed(TURNError)
        case released
    }

    public enum Event: Equatable, Sendable {
        case allocated(relayed: TransportAddress, mapped: TransportAddress?)
        case permissionCreated(peer: TransportAddress.IP)
        case channelBound(peer: TransportAddress, channel: UInt16)
        /// The allocation is gone (or never came); relayed traffic stops.
        case failed(TURNError)
    }

    public enum Output: TimedOutput {
        /// A datagram for `config.server`.
        case transmit([UInt8])
        case event(Event)
        case timeout(Instant)

        public var timeoutInstant: Instant? { if case .timeout(let t) = self { t } else { nil } }
    }

    /// What `handleDatagram` made of a datagram from the server.
    public enum Received: Equatable, Sendable {
        /// A response or other control traffic: nothing for the caller.
        case consumed
        /// Data a peer sent through the relay: `payload` indexes the buffer passed in.
        case relayed(from: TransportAddress, payload: Range<Int>)
        /// Malformed, unexpected, or failed integrity.
        case dropped
    }

    enum RequestKind: Equatable, Sendable {
        case allocate
        case refresh(lifetime: UInt32)
        case permission(TransportAddress.IP, peer: TransportAddress)
        case channelBind(peer: TransportAddress, channel: UInt16)
    }

    struct Pending: Sendable {
        var kind: RequestKind
        /// The request without authentication attributes, so it can be re-sent with a new nonce.
        var unauthenticated: STUNMessage
        var bytes: [UInt8]
        var timer: STUNRetransmitTimer
        var authenticatedWithNonce: String?
        var nonceRetries: Int
    }

    struct Permission: Sendable {
        var installed = false
        var pending = false
        var refreshAt: Instant?
        var peer: TransportAddress
    }

    struct Channel: Sendable {
        var number: UInt16
        var bound = false
        var pending = false
        var refreshAt: Instant?
    }

    public let config: Config
    public internal(set) var state: State = .idle
    var random: STUNRandom
    var realm: String?
    var nonce: String?
    var key: [UInt8]?
    var transactions: [STUNTransactionID: Pending] = [:]
    var permissions: [TransportAddress.IP: Permission] = [:]
    var channels: [TransportAddress: Channel] = [:]
    /// Insertion order of the two maps above, so refreshes go out in a reproducible order.
    var permissionOrder: [TransportAddress.IP] = []
    var channelOrder: [TransportAddress] = []
    var channelPeers: [UInt16: TransportAddress] = [:]
    var nextChannel: UInt16 = TURNChannelData.channelNumbers.lowerBound
    var refreshAt: Instant?
    var outputs = OutputQueue<Output>()

    /// Permissions last 300 s (§9); refresh a minute early. Channels last 600 s (§12).
    static let permissionRefresh: Duration = .seconds(240)
    static let channelRefresh: Duration = .seconds(540)

    public init(config: Config, random: STUNRandom) {
        self.config = config
        self.random = random
    }

    public var isAllocated: Bool {
        if case .allocated = state { return true } else { return false }
    }

    public var relayedAddress: TransportAddress? {
        if case .allocated(let relayed, _) = state { return relayed } else { return nil }
    }

    /// Sends the first Allocate, without credentials: the server's 401 tells realm and nonce.
    public mutating func start(at now: Instant) {
        guard state == .idle else { return }
        state = .allocating
        var attributes: [STUNAttribute] = [.requestedTransport(17), .lifetime(config.requestedLifetime)]
        if let s = config.software { attributes.append(.software(s)) }
        sendRequest(.allocate, method: .allocate, attributes: attributes, at: now)
    }

    /// Asks for a permission for `peer`'s IP (idempotent; refreshed while allocated).
    public mutating func createPermission(for peer: TransportAddress, at now: Instant) {
        guard permissions[peer.ip] == nil else { return }
        permissions[peer.ip] = Permission(peer: peer)
        permissionOrder.append(peer.ip)
        if isAllocated { sendPermission(peer.ip, at: now) }
    }

    /// Binds a channel to `peer` (idempotent). Until the server confirms, `wrap` keeps using
    /// Send indications.
    public mutating func bindChannel(to peer: TransportAddress, at now: Instant) {
        guard channels[peer] == nil, nextChannel <= TURNChannelData.channelNumbers.upperBound else { return }
        let number = nextChannel
        nextChannel += 1
        channels[peer] = Channel(number: number)
        channelOrder.append(peer)
        channelPeers[number] = peer
        if isAllocated { sendChannelBind(peer, at: now) }
    }

    /// Frames `payload[range]` for `peer`: ChannelData on a bound channel, else a Send
    /// indication (RFC 8656 §11, §12). Nil unless allocated.
    public mutating func wrap(_ payload: [UInt8], range: Range<Int>? = nil, to peer: TransportAddress) -> [UInt8]? {
        guard isAllocated else { return nil }
        let r = range ?? 0..<payload.count
        var out: [UInt8] = []
        if let channel = channels[peer], channel.bound {
            TURNChannelData.encode(channel: channel.number, payload: payload, range: r, into: &out)
        } else {
            let message = STUNMessage(type: STUNMessageType(.send, .indication),
                                      transactionID: .random(using: &random),
                                      attributes: [.xorPeerAddress(peer), .data(Array(payload[r]))])
            message.encode(into: &out)
        }
        return out
    }

    /// TURN over TCP/TLS: the driver lost the connection (or never made it). An allocation
    /// lives and dies with its connection (RFC 8656 §3.1), so the client fails.
    public mutating func transportClosed() {
        outputs.inputHandled()
        switch state {
        case .failed, .released: return
        case .idle, .allocating, .allocated: fail(.transportClosed)
        }
    }

    /// Deletes the allocation (Refresh with LIFETIME 0, §7.3).
    public mutating func release(at now: Instant) {
        guard isAllocated else { return }
        sendRequest(.refresh(lifetime: 0), method: .refresh, attributes: [.lifetime(0)], at: now)
    }

    /// The drain contract (`SansIOMachine`): outputs, one closing `.timeout`, then nil.
    public mutating func poll() -> Output? {
        if let o = outputs.next() { return o }
        return outputs.owesTimeout() ? .timeout(nextDeadline ?? .never) : nil
    }

    /// The earliest retransmission or refresh.
    public var nextDeadline: Instant? {
        var d: Instant? = nil
        func consider(_ t: Instant?) { if let t, d.map({ t < $0 }) ?? true { d = t } }
        for p in transactions.values { consider(p.timer.deadline) }
        guard isAllocated else { return d }
        consider(refreshAt)
        for p in permissions.values where !p.pending { consider(p.refreshAt) }
        for c in channels.values where !c.pending { consider(c.refreshAt) }
        return d
    }

    // MARK: - Sending

    mutating func emit(_ output: Output) { outputs.push(output) }

    mutating func sendRequest(_ kind: RequestKind, method: STUNMethod, attributes: [STUNAttribute], at now: Instant) {
        let message = STUNMessage(type: STUNMessageType(method, .request), transactionID: .random(using: &random),
                                  attributes: attributes)
        let (bytes, usedNonce) = authenticate(message)
        transactions[message.transactionID] = Pending(kind: kind, unauthenticated: message, bytes: bytes,
                                                      timer: STUNRetransmitTimer(policy: config.retransmit, sentAt: now),
                                                      authenticatedWithNonce: usedNonce, nonceRetries: 0)
        emit(.transmit(bytes))
    }

    /// Adds USERNAME, REALM, NONCE and MESSAGE-INTEGRITY once the server has told a realm and
    /// nonce (RFC 8489 §9.2.4).
    func authenticate(_ message: STUNMessage) -> ([UInt8], String?) {
        guard let realm, let nonce, let key else { return (message.encode(), nil) }
        var m = message
        m.attributes += [.username(config.username), .realm(realm), .nonce(nonce)]
        return (m.encode(integrityKey: key), nonce)
    }

    /// The same request again under a new transaction ID (after 401/438).
    mutating func resend(_ pending: Pending, at now: Instant) {
        var p = pending
        p.unauthenticated.transactionID = .random(using: &random)
        (p.bytes, p.authenticatedWithNonce) = authenticate(p.unauthenticated)
        p.timer = STUNRetransmitTimer(policy: config.retransmit, sentAt: now)
        transactions[p.unauthenticated.transactionID] = p
        emit(.transmit(p.bytes))
    }

    mutating func sendPermission(_ ip: TransportAddress.IP, at now: Instant) {
        guard var p = permissions[ip] else { return }
        p.pending = true
        permissions[ip] = p
        sendRequest(.permission(ip, peer: p.peer), method: .createPermission, attributes: [.xorPeerAddress(p.peer)], at: now)
    }

    mutating func sendChannelBind(_ peer: TransportAddress, at now: Instant) {
        guard var c = channels[peer] else { return }
        c.pending = true
        channels[peer] = c
        sendRequest(.channelBind(peer: peer, channel: c.number), method: .channelBind,
                    attributes: [.channelNumber(c.number), .xorPeerAddress(peer)], at: now)
    }

    mutating func fail(_ error: TURNError) {
        state = .failed(error)
        transactions.removeAll()
        refreshAt = nil
        emit(.event(.failed(error)))
    }
}

extension TURNClient: CustomStringConvertible {
    /// Without credentials, key or addresses.
    public var description: String {
        "TURNClient(\(isAllocated ? "allocated" : "\(state)"), \(permissions.count) permissions, \(channels.count) channels)"
    }
}

extension TURNClient.Config: CustomStringConvertible {
    public var description: String { "TURNClient.Config(\(server), user: <redacted>, lifetime: \(requestedLifetime))" }
}
