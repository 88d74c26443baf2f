import SessionCore
import STUN

/// The agent's internal records. Indices into the arrays are stable within a generation
/// (nothing is removed until an ICE restart clears the remote side).

/// Where a datagram leaves from and goes to: a local socket, optionally through the TURN
/// allocation `relay`, to a remote transport address.
struct ICEPath: Hashable, Sendable {
    var socket: TransportAddress
    var relay: Int?
    var remote: TransportAddress
}

struct ICELocal: Sendable {
    var candidate: ICECandidate
    var address: TransportAddress
    /// The host socket this candidate's datagrams leave from (its base, or the TURN client's).
    var socket: TransportAddress
    var relay: Int?
    var localPreference: UInt16
    /// Host and relay candidates are paired; srflx share their host's pairs (§6.1.2.4) and
    /// prflx come from checks.
    var pairable: Bool { candidate.kind == .host || candidate.kind == .relay }
}

struct ICERemote: Sendable {
    var candidate: ICECandidate
    var address: TransportAddress
}

struct ICEPair: Sendable {
    var local: Int
    var remote: Int
    var priority: UInt64
    var foundation: String
    var state: ICEPairInfo.State = .frozen
    /// False for a valid pair built from a check on another pair (§7.2.5.3.2).
    var inCheckList: Bool
    var valid = false
    var nominated = false
    /// The controlled side got USE-CANDIDATE before this pair succeeded (§7.3.1.5).
    var nominateOnSuccess = false
    var validPair: Int?
}

/// An outstanding Binding request of ours: a check, a nomination, or a consent check.
struct ICECheck: Sendable {
    var pair: Int?
    var path: ICEPath
    var useCandidate: Bool
    /// The PRIORITY sent: the priority of a peer-reflexive candidate learnt from the answer.
    var priority: UInt32
    var bytes: [UInt8]
    /// Nil once cancelled (§7.3.1.4) or for consent checks: no retransmission, but an answer
    /// is still taken until `expiresAt`.
    var timer: STUNRetransmitTimer?
    var expiresAt: Instant
    var wasControlling: Bool
    var key: [UInt8]
    var isConsent: Bool
    var generation: UInt32
}

/// A Binding request to a STUN server, for a server-reflexive candidate.
struct ICEGather: Sendable {
    var socket: TransportAddress
    var server: TransportAddress
    var bytes: [UInt8]
    var timer: STUNRetransmitTimer
}

struct ICERelay: Sendable {
    /// The UDP base the relay is gathered for; over TCP/TLS it only names the relay's family
    /// and pairs (the driver keeps one stream per server and transport).
    var socket: TransportAddress
    var server: TransportAddress
    var transport: TransportProtocol
    var client: TURNClient
    var candidate: Int?
    /// Its socket vanished in an ICE restart: nothing can be sent or received through it any
    /// more. Kept in place (not removed) so the relay indices in paths stay valid.
    var retired = false
    /// Servers that sent this allocation on with 300 Try Alternate, first one first: never
    /// followed back to one of them, and at most `ICEAgent.maximumRedirects` of them.
    var redirectedFrom: [TransportAddress] = []
}

struct ICETriggered: Equatable, Sendable {
    var pair: Int
    var useCandidate: Bool
}

/// The pair in use and its consent (RFC 7675) bookkeeping. Kept apart from the pair arrays so
/// it survives an ICE restart until a new pair is selected.
struct ICESelection: Sendable {
    var path: ICEPath
    var local: ICECandidate
    var remote: ICECandidate
    var priority: UInt64
    var generation: UInt32
    var username: String
    var remoteKey: [UInt8]
    var consentPriority: UInt32
    var lastResponseAt: Instant
    var nextConsentAt: Instant
    /// Anything (media, DTLS, STUN) last received on this path: the fast stall signal.
    var lastHeardAt: Instant
    /// Consent probes sent since the path fell silent; each one followed by another unanswered
    /// probe has failed.
    var probes = 0
    var nextProbeAt = Instant.zero
    var stallReported = false
}
