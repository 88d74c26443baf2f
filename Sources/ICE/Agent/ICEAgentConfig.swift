import SessionCore
import STUN

/// A TURN server the agent allocates a relay on (long-term credentials). The relay is UDP;
/// the kiosk reaches the server over UDP, TCP (`turn:…?transport=tcp`) or TLS (`turns:`),
/// RFC 8656 §3.1, RFC 7065.
public struct ICETURNServer: Hashable, Sendable {
    public var address: TransportAddress
    public var username: String
    public var password: String
    public var transport: TransportProtocol
    /// The URL's host, which a `turns:` server's certificate must name (RFC 6125); the
    /// driver checks it, the agent does not read it.
    public var serverName: String?

    public init(address: TransportAddress, username: String, password: String, transport: TransportProtocol = .udp,
                serverName: String? = nil) {
        self.address = address
        self.username = username
        self.password = password
        self.transport = transport
        self.serverName = serverName
    }
}

extension ICETURNServer: CustomStringConvertible {
    public var description: String { "ICETURNServer(\(address), \(transport.rawValue), user: <redacted>)" }
}

/// Which local candidates are used (W3C `iceTransportPolicy`).
public enum ICETransportPolicy: Sendable, Equatable {
    case all
    /// Only relay candidates are signalled and paired: the peer never learns a local address.
    case relay
}

public struct ICEAgentConfig: Sendable, Equatable {
    public var stunServers: [TransportAddress] = []
    public var turnServers: [ICETURNServer] = []
    public var transportPolicy: ICETransportPolicy = .all
    /// Ta: one new check per interval (RFC 8445 §14.2; 50 ms is the default).
    public var checkPacing: Duration = .milliseconds(50)
    public var checkRetransmit: STUNRetransmitPolicy = .checks
    /// Binding to a STUN server and TURN transactions over UDP.
    public var gatherRetransmit = STUNRetransmitPolicy(initialRTO: .milliseconds(500), maxRTO: .milliseconds(1600), maxTransmissions: 5)
    /// TURN transactions over TCP/TLS are sent once (the stream retransmits) and fail after
    /// this long. Shorter than RFC 8489's 39.5 s so a dead server does not hold gathering back
    /// that long; a refused or closed connection fails the relay at once through the driver.
    public var streamTransactionTimeout: Duration = .seconds(15)
    /// The controlling agent nominates the best valid pair once no better pair is still
    /// being checked, or this long after the first valid pair, whichever comes first.
    public var nominationDelay: Duration = .milliseconds(500)
    /// RFC 7675 §5.1: a consent check every 5 s, randomised ±20 %; consent lost after 30 s
    /// without an authenticated response.
    public var consentInterval: Duration = .seconds(5)
    public var consentTimeout: Duration = .seconds(30)
    /// No response for this long turns `connected` into `disconnected` (not an RFC term).
    public var disconnectedAfter: Duration = .seconds(15)
    /// The fast signal that the selected pair is gone (not an RFC 7675 term; off when nil): after
    /// `stallProbeAfter` without any packet on it the agent sends a consent check every
    /// `stallProbeInterval`, and once the silence reaches `stallAfter` with at least two of those
    /// checks unanswered it reports `.selectedPairStalled` (an ICE restart is due, long before
    /// consent expires at `consentTimeout`). Off by default because an ICE-only agent hears
    /// nothing between consent checks; a call hears media or RTCP every few hundred ms.
    public var stallAfter: Duration?
    public var stallProbeAfter: Duration = .seconds(1)
    public var stallProbeInterval: Duration = .milliseconds(500)
    public var software: String?
    /// draft-ietf-mmusic-mdns-ice-candidates: host candidates are signalled under a random
    /// `<uuid>.local` name instead of their address (`.hostNamed` tells the driver which name
    /// its mDNS responder must answer for), and related addresses as 0.0.0.0 (or ::) port 0.
    /// Only a peer on the same link then learns a LAN address, by resolving the name.
    public var hostCandidateNames = false
    /// The peer's `.local` host candidates are resolved (`.resolveHostName`, answered by
    /// `hostNameResolved`) instead of ignored: a browser on the same link that hides its
    /// addresses is then reached directly, not only through its own checks.
    public var resolveRemoteHostNames = false

    public init() {}
}
