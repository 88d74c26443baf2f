import SessionCore
import STUN

/// W3C `RTCIceConnectionState`, as the agent reports it.
public enum ICEConnectionState: String, Sendable {
    case new, checking, connected, completed, disconnected, failed
    /// After `close`.
    case closed
}

/// A datagram to send: from the local socket bound to `from` (one of the addresses given to
/// `addLocalHost`), to `to`. Relayed traffic is already wrapped and addressed to the TURN server.
public typealias ICETransmit = Datagram

public enum ICEEvent: Equatable, Sendable {
    /// Trickle this to the peer (`candidate.trickleString`).
    case localCandidate(ICECandidate)
    /// With `hostCandidateNames`: host candidates on `address` are signalled as `name`; the
    /// driver's mDNS responder answers for it on that address's link. Once per address, before
    /// the first candidate that uses it.
    case hostNamed(name: String, address: TransportAddress.IP)
    /// With `resolveRemoteHostNames`: the peer signalled a candidate under this mDNS name;
    /// ask the link (`hostNameResolved` with the answer). Once per name and generation.
    case resolveHostName(String)
    /// No more local candidates in this generation (send end-of-candidates).
    case gatheringComplete
    /// The pair application data now uses. May be reported again when it changes.
    case selectedPair(local: ICECandidate, remote: ICECandidate)
    case stateChanged(ICEConnectionState)
    /// RFC 7675: no authenticated response for `consentTimeout`; stop sending (the state
    /// becomes `failed`).
    case consentLost
    /// `config.stallAfter` without a packet on the selected pair and its consent probes
    /// unanswered: the path is very likely gone (a network change); restart ICE now rather
    /// than wait for consent to expire.
    case selectedPairStalled
    /// Role conflict resolution (RFC 8445 §7.3.1.1) switched this agent's role.
    case roleChanged(isControlling: Bool)
    /// A TURN allocation failed or was lost (bad credentials, no answer, connection closed):
    /// its relay candidate is gone, the other candidates go on.
    case relayFailed(transport: TransportProtocol, error: TURNError)
    /// A TURN server answered 300 Try Alternate and the allocation now goes to `to` (over
    /// TLS the driver checks `to`'s certificate against `from`'s name).
    case relayRedirected(transport: TransportProtocol, from: TransportAddress, to: TransportAddress)
}

public enum ICEOutput: Equatable, TimedOutput {
    case transmit(ICETransmit)
    case event(ICEEvent)
    /// Call `handleTimeout` at this instant (`Instant.never`: nothing scheduled). The
    /// last output of a drain; `poll()` returns nil after it until the next input.
    case timeout(Instant)
}

/// What `handleDatagram` did with a datagram.
public enum ICEReceive: Equatable, Sendable {
    /// STUN or TURN control traffic, consumed by the agent.
    case handled
    /// Application data (DTLS, SRTP): hand `bytes[payload]` on. For relayed traffic the range
    /// points inside the TURN framing, so no copy is made.
    case application(payload: Range<Int>, from: TransportAddress)
    case dropped(ICEDropReason)
}

public enum ICEDropReason: Equatable, Sendable {
    case malformed(STUNError)
    /// Bad or missing MESSAGE-INTEGRITY, or a USERNAME that is not ours.
    case unauthenticated
    /// Application data from an address no check has validated.
    case unknownSource
    /// A response to no transaction of ours, or a message this agent does not take.
    case unexpected
}

/// A read-only view of one candidate pair, for tests and statistics.
public struct ICEPairInfo: Equatable, Sendable {
    public enum State: String, Sendable { case frozen, waiting, inProgress, succeeded, failed }
    public var local: ICECandidate
    public var remote: ICECandidate
    public var priority: UInt64
    public var state: State
    public var valid: Bool
    public var nominated: Bool
}

extension ICEOutput {
    public var timeoutInstant: Instant? { if case .timeout(let t) = self { t } else { nil } }
}
