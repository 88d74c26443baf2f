import Bandwidth
import DTLS
import ICE
import RTP
import RTPStreams
import SDP
import SessionCore
import SRTP
import STUN

/// How one side of a call is set up. Everything random (ICE credentials, SSRCs, CNAME,
/// transaction IDs) comes from `random`: the system CSPRNG unless a test passes a seed, so
/// that two simulated peers are reproducible.
public struct PeerConfiguration: Sendable {
    public var ice: ICEAgentConfig
    /// The local socket addresses (ICE bases) the driver has bound.
    public var localAddresses: [TransportAddress]
    /// `.system` for every real call; `STUNRandom(seed:)` only in tests.
    public var random: STUNRandom
    /// Largest RTP packet payload budget, leaving room for headers, SRTP tag and TURN framing.
    public var mtu: Int
    public var videoClockRate: UInt32 = 90_000
    /// How long the receive side waits for retransmissions before giving up on a frame.
    public var videoJitterDelay: Duration = .milliseconds(150)
    /// How long ICE and DTLS together may take, from the remote description to SRTP keys.
    /// The agent declares failure only after end-of-candidates, and OpenSSL retries for minutes,
    /// so the call sets its own bound.
    public var connectTimeout: Duration = .seconds(30)
    /// The bounds of the send rate the receiver's feedback moves within (Bandwidth).
    public var sendRate = SendRateConfig()
    public var sendAudio = true
    public var sendVideo = true
    /// Video FEC (RED + ULPFEC) offered, and answered when offered.
    public var videoFEC = true
    /// Maps the driver's monotonic `Instant`s to NTP wall time for sender reports; the driver
    /// reads the wall clock once at start-up (`NTPClock(unixNanoseconds:at:)`).
    public var ntpClock = NTPClock(ntpAtZero: NTPTimestamp(seconds: 3_900_000_000, fraction: 0))

    /// - Parameter seed: tests only: a deterministic (guessable) generator instead of the
    ///   system CSPRNG.
    public init(ice: ICEAgentConfig = ICEAgentConfig(), localAddresses: [TransportAddress], seed: UInt64? = nil, mtu: Int = 1200) {
        self.ice = ice
        self.localAddresses = localAddresses
        random = seed.map { STUNRandom(seed: $0) } ?? .system
        self.mtu = mtu
    }
}

/// What the application learns from the peer.
public enum PeerEvent: Sendable, Equatable {
    /// Trickle this candidate to the remote side (`candidate:...`, for `sdpMid`/index).
    case localCandidate(candidate: String, mid: String, mLineIndex: Int)
    case gatheringComplete
    case iceStateChanged(ICEConnectionState)
    /// DTLS finished and SRTP keys are in place: media flows from now on.
    case connected(PeerSecurityInfo)
    /// The call cannot go on (fingerprint mismatch, ICE failure, DTLS failure).
    case failed(PeerError)
    /// One Opus packet, in order (the jitter buffer already reordered it).
    case audioPacket(payload: [UInt8], rtpTimestamp: UInt32)
    /// `count` audio packets are missing before the next one: conceal them.
    case audioLost(count: Int)
    /// One complete VP8 frame.
    case videoFrame(payload: [UInt8], isKeyframe: Bool, rtpTimestamp: UInt32)
    /// The remote side asked for a keyframe (PLI or FIR): the encoder should make one.
    case keyframeRequested
    /// The send rate (everything: audio, video, headers) the receiver's feedback allows now;
    /// the encoders should aim below it.
    case sendBitrateChanged(bitsPerSecond: Int)
    /// The loss the audio encoder should protect against with in-band FEC, in percent (from
    /// the receiver's reports about our audio).
    case audioLossExpected(percent: Int)
    /// The remote side said goodbye (RTCP BYE).
    case remoteBye
    /// A TURN relay is gone (refused credentials, no answer, the TCP/TLS connection failed):
    /// for the log (no address in `reason`); the call goes on with the other candidates.
    case relayFailed(transport: TransportProtocol, reason: String)
    /// A TURN server sent the allocation to another (300 Try Alternate). The addresses are
    /// for the driver (a TLS stream to `to` is checked against `from`'s name), not for logs.
    case relayRedirected(transport: TransportProtocol, from: TransportAddress, to: TransportAddress)
    /// Host candidates on `address` are signalled as the mDNS name `name`
    /// (`ICEAgentConfig.hostCandidateNames`): the driver's responder answers for it.
    case hostNamed(name: String, address: TransportAddress.IP)
    /// The remote signalled a candidate under this mDNS name (`ICEAgentConfig.resolveRemoteHostNames`):
    /// the driver asks the link and answers with `Peer.hostNameResolved`.
    case resolveHostName(String)
    /// The path is gone or about to be: restart ICE (a subsequent offer with new credentials,
    /// `createOffer(iceRestart: true)`, or ask the remote side for one). Said once per need.
    case iceRestartNeeded(PeerRestartReason)
    /// A pair of the restarted ICE generation carries the call now (same DTLS, same keys).
    case iceRestarted
    /// The driver's local addresses changed during a call (every change, not once per
    /// restart): whatever else shares the network (the signaling connection) should check
    /// that it still works.
    case localAddressesChanged
}

/// Why the peer wants an ICE restart.
public enum PeerRestartReason: String, Sendable, Equatable {
    /// The driver reported a different set of local addresses (`setLocalAddresses`).
    case localAddressesChanged
    /// Nothing heard on the selected pair for `ICEAgentConfig.stallAfter` and its consent
    /// probes unanswered (long before RFC 7675's 30 s consent expiry).
    case pathStalled
    /// The application asked (`requestICERestart`).
    case requested
}

public struct PeerSecurityInfo: Sendable, Equatable {
    public var dtlsVersion: String
    public var cipher: String
    public var srtpProfile: SRTPProfile
    public var dtlsRole: DTLSRole
}

public enum PeerError: Error, Sendable, Equatable, CustomStringConvertible {
    case sdp(SDPError)
    case badState(String)
    case fingerprintMismatch
    case dtls(DTLSError)
    case srtp(SRTPError)
    case iceFailed
    case consentLost
    case connectTimeout
    /// A subsequent offer or answer that does not continue this call (another certificate,
    /// other media, a DTLS role swap): refused, the call goes on unchanged.
    case notThisCall(String)

    public var description: String {
        switch self {
        case .sdp(let e): "bad session description: \(e)"
        case .badState(let s): "not possible now: \(s)"
        case .fingerprintMismatch: "the peer's DTLS certificate does not match the fingerprint in its SDP; no media accepted"
        case .dtls(let e): "DTLS failed: \(e)"
        case .srtp(let e): "SRTP failed: \(e)"
        case .iceFailed: "no network path to the peer (ICE failed)"
        case .consentLost: "the peer stopped answering consent checks"
        case .connectTimeout: "no secure connection to the peer within the connect timeout"
        case .notThisCall(let why): "the description does not continue this call: \(why)"
        }
    }
}

public enum PeerOutput: TimedOutput, Equatable {
    case transmit(ICETransmit)
    case event(PeerEvent)
    /// Call `handleTimeout` at this instant (always the last output of a drain).
    case timeout(Instant)

    public var timeoutInstant: Instant? { if case .timeout(let t) = self { t } else { nil } }
}

/// Counters for summaries and tests; no personal data.
public struct PeerStats: Sendable, Equatable, Codable {
    /// What the send rate controller allows (bits per second), the receiver's last REMB, and
    /// how often loss made it back off.
    public var targetBitrate: Int?
    public var remoteEstimatedBitrate: Int?
    public var sendRateDecreases = 0
    /// Transport-wide feedback packets sent to the remote sender (transport-cc negotiated).
    public var transportFeedbacksSent = 0
    /// Transport-wide feedback about our packets, our delay-based estimate from it, and how
    /// often it saw the path's queue grow.
    public var transportFeedbacksReceived = 0
    public var delayBasedEstimate: Int?
    public var delayOveruses = 0
    /// The cap sent to the remote sender as REMB while the path toward us holds a standing
    /// queue (nil: none), how often it was cut, and the REMBs sent.
    public var receiveCap: Int?
    public var receiveCapCuts = 0
    public var rembsSent = 0
    /// Bandwidth probe clusters sent, and what the last one found the path carries.
    public var probeClustersSent = 0
    public var lastProbeResult: Int?
    public var audioPacketsSent = 0
    /// Of those, sent as RED (RFC 2198) with the frame before them.
    public var audioRedundantPacketsSent = 0
    /// Video parity now sent, per 100 media packets (0: none).
    public var videoFECProtectionPercent = 0
    public var audioPacketsReceived = 0
    public var audioBytesReceived = 0
    public var videoPacketsSent = 0
    public var videoPacketsReceived = 0
    /// Packets on the clinician's RTX stream, and those with nothing to restore (padding).
    public var videoRTXPacketsReceived = 0
    public var videoRTXPaddingReceived = 0
    public var videoFramesSent = 0
    public var videoFramesReceived = 0
    public var videoKeyframesReceived = 0
    public var nacksSent = 0
    public var nacksReceived = 0
    public var retransmissionsSent = 0
    public var plisSent = 0
    public var plisReceived = 0
    public var firsReceived = 0
    public var srtpErrors = 0
    public var roundTripMilliseconds: Double?
    public var dtlsVersion: String?
    public var srtpProfile: String?
    public var iceState: String = "new"
    /// The selected pair's candidate types, local then remote (`host-host`, `relay-srflx`, …):
    /// whether the call runs direct or through a relay. Types only, never addresses.
    public var selectedPair: String?
    /// ICE restarts this side began (its own re-offer, or its answer to the remote's).
    public var iceRestarts = 0
    /// How often a pair was selected (the first one counts): more than `iceRestarts` + 1 only
    /// when ICE moved within a generation.
    public var selectedPairChanges = 0
    /// The ICE agent in one line: state, role, generation, counts, pair states (no addresses).
    public var iceSummary: String?
    /// Each stream's own statistics (RFC 3550 counters, NACK, keyframe requests, jitter
    /// buffer drops): the receive streams of the remote's first audio and video SSRC.
    public var videoReceive: RTPReceiveStatistics?
    public var audioReceive: RTPReceiveStatistics?
    public var videoSend: RTPSendStatistics?
    public var audioSend: RTPSendStatistics?
    public init() {}
}
