import DTLS
import ICE
import SDP
import SessionCore
import SRTP
import STUN

/// One side of a call, as one sans-IO value in the str0m style: feed it signaling, datagrams
/// and the time; drain `poll()` for datagrams to send, events, and the next deadline. It never
/// reads a clock or touches a socket, so two peers can run in one test over a simulated network.
///
/// Inside: an ICE agent finds the path, DTLS (RFC 5763/5764) runs over it to agree SRTP keys,
/// then RTP/RTCP flows through SRTP with per-stream NACK/PLI and jitter buffering. Datagrams are
/// demultiplexed by their first byte (RFC 7983 §7).
public final class Peer: SansIOMachine {
    public let configuration: PeerConfiguration
    let certificate: DTLSCertificate
    var random: STUNRandom
    var ice: ICEAgent
    /// Replaced by every ICE restart (from `random`, like the first ones).
    var localCredentials: ICECredentials
    /// The driver's sockets now (ICE bases): `configuration.localAddresses` until the driver
    /// reports a change.
    var localAddresses: [TransportAddress]
    let audioSSRC: UInt32
    let videoSSRC: UInt32
    /// Where our video resends go when RTX is negotiated (RFC 4588 session multiplexing).
    let videoRTXSSRC: UInt32
    let cname: String

    var localDescription: SessionDescription?
    var negotiated: NegotiatedSession?
    var isOfferer = false
    /// Our subsequent offer, waiting for its answer (the call runs on `negotiated` meanwhile).
    var pendingOffer: SessionDescription?
    /// An ICE restart began (new local credentials) and no pair of the new generation is
    /// selected yet.
    var restartInFlight = false
    /// Remote candidates of an ICE generation not applied yet (see `addRemoteCandidate`).
    var laterCandidates: [ICECandidate] = []
    /// `.iceRestartNeeded` was reported and no restart has begun since: said once.
    var restartNeededReported = false

    var dtls: DTLSEndpoint?
    /// DTLS records that arrived before the remote description told us our role.
    var earlyDTLS: [[UInt8]] = []
    var srtp: SRTPSession?
    var security: PeerSecurityInfo?
    var failed = false
    /// Set when the remote description arrives; cleared once SRTP keys are in place.
    var connectDeadline: Instant?

    var media: PeerStreams?
    /// The transport half of `stats` (ICE, DTLS, SRTP); the media half is `media`'s.
    var transportStats = PeerStats()

    var outputs = OutputQueue<PeerOutput>(capacity: 64)
    var lastNow: Instant = .zero

    public init(configuration: PeerConfiguration, certificate: DTLSCertificate) {
        self.configuration = configuration
        self.certificate = certificate
        var random = configuration.random
        localCredentials = ICECredentials(ufrag: Peer.token(&random, length: 8), pwd: Peer.token(&random, length: 24))
        audioSSRC = UInt32(truncatingIfNeeded: random.next()) | 1
        videoSSRC = UInt32(truncatingIfNeeded: random.next()) | 2
        cname = Peer.token(&random, length: 16)
        ice = ICEAgent(config: configuration.ice, credentials: localCredentials, isControlling: false, random: random.split())
        var rtx = UInt32(truncatingIfNeeded: random.next())
        while rtx == 0 || rtx == audioSSRC || rtx == videoSSRC { rtx = UInt32(truncatingIfNeeded: random.next()) }
        videoRTXSSRC = rtx
        localAddresses = configuration.localAddresses
        self.random = random
    }

    /// ICE ufrag/pwd characters (RFC 8839 §5.4 ice-char).
    static func token(_ random: inout STUNRandom, length: Int) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        var bytes: [UInt8] = []
        for _ in 0..<length { bytes.append(alphabet[Int(random.next() % UInt64(alphabet.count))]) }
        return String(decoding: bytes, as: UTF8.self)
    }

    var localParameters: SDPLocalParameters {
        var p = SDPLocalParameters(
            iceUfrag: localCredentials.ufrag, icePwd: localCredentials.pwd,
            fingerprint: SDPFingerprint(algorithm: "sha-256", bytes: certificate.fingerprint.bytes),
            audioSSRC: audioSSRC, videoSSRC: videoSSRC, cname: cname,
            streamID: "kiosk", audioTrackID: "kiosk-audio", videoTrackID: "kiosk-video",
            audioDirection: configuration.sendAudio ? .sendrecv : .recvonly,
            videoDirection: configuration.sendVideo ? .sendrecv : .recvonly,
            candidates: [], endOfCandidates: false, trickle: true,
            videoRTXSSRC: configuration.sendVideo ? videoRTXSSRC : nil)
        p.videoFEC = configuration.videoFEC
        return p
    }

    /// Counters for summaries and tests: the transport's and the streams'.
    public var stats: PeerStats {
        var s = media?.stats ?? PeerStats()
        s.iceState = transportStats.iceState
        s.selectedPair = transportStats.selectedPair
        s.dtlsVersion = transportStats.dtlsVersion
        s.srtpProfile = transportStats.srtpProfile
        s.srtpErrors = transportStats.srtpErrors
        s.iceRestarts = transportStats.iceRestarts
        s.selectedPairChanges = transportStats.selectedPairChanges
        let pairStates = ice.pairInfo.map { "\($0.state.rawValue)\($0.valid ? "+v" : "")\($0.nominated ? "+n" : "")" }
        s.iceSummary = "\(ice), pairs [\(pairStates.joined(separator: " "))]"
        return s
    }

    // MARK: Output queue

    func emit(_ output: PeerOutput) { outputs.push(output) }
    func emit(_ event: PeerEvent) { outputs.push(.event(event)) }

    /// The drain contract (`SansIOMachine`): datagrams and events in order, then one
    /// `.timeout` with the earliest deadline of every sub-machine, then nil.
    public func poll() -> PeerOutput? {
        if let o = outputs.next() { return o }
        return outputs.owesTimeout() ? .timeout(nextDeadline(lastNow)) : nil
    }

    /// After every input: moves what the sub-machines produced into the peer's own queue
    /// (their outputs are actions the peer performs; none of them calls back into it).
    func drain(_ now: Instant) {
        lastNow = now
        outputs.inputHandled()
        drainICE(now)
        drainDTLS(now)
        drainMedia(now)
    }

    func drainMedia(_ now: Instant) {
        while let output = media?.poll() {
            switch output {
            case .send(let packet, let rtcp):
                media?.withPacket(packet) { sendProtected(&$0, rtcp: rtcp, now) }
            case .event(let event):
                emit(event)
            case .timeout:
                break
            }
        }
    }

    func nextDeadline(_ now: Instant) -> Instant {
        var deadline = now + .seconds(1)
        if let t = iceDeadline, t < deadline { deadline = t }
        if let t = dtls?.nextTimeout, t < deadline { deadline = t }
        if let t = media?.nextDeadline, t < deadline { deadline = t }
        if let t = connectDeadline, !failed, t < deadline { deadline = t }
        return max(deadline, now)
    }

    var iceDeadline: Instant?

    func drainICE(_ now: Instant) {
        while let output = ice.poll() {
            switch output {
            case .transmit(let t):
                emit(.transmit(t))
            case .timeout(let t):
                iceDeadline = t
            case .event(let event):
                handleICEEvent(event, now)
            }
        }
    }

    func handleICEEvent(_ event: ICEEvent, _ now: Instant) {
        switch event {
        case .localCandidate(let candidate):
            let mid = negotiated?.bundleMid ?? localDescription?.media.first?.mid ?? "0"
            emit(.localCandidate(candidate: candidate.trickleString, mid: mid, mLineIndex: 0))
        case .gatheringComplete:
            emit(.gatheringComplete)
        case .selectedPair(let local, let remote):
            transportStats.selectedPair = "\(local.kind.rawValue)-\(remote.kind.rawValue)"
            transportStats.selectedPairChanges += 1
            if restartInFlight, ice.selectedGeneration == ice.generation {
                // DTLS, SRTP and the streams carry on over the new pair (sendData follows it).
                restartInFlight = false
                emit(.iceRestarted)
            }
            startDTLSIfClient(now)
        case .stateChanged(let state):
            transportStats.iceState = state.rawValue
            emit(.iceStateChanged(state))
            if state == .failed { fail(.iceFailed) }
        case .consentLost:
            fail(.consentLost)
        case .selectedPairStalled:
            restartNeeded(.pathStalled)
        case .roleChanged:
            break
        case .relayFailed(let transport, let error):
            // A lost connection was reported by the driver already, with its reason.
            if error != .transportClosed { emit(.relayFailed(transport: transport, reason: "\(error)")) }
        case .relayRedirected(let transport, let from, let to):
            emit(.relayRedirected(transport: transport, from: from, to: to))
        case .hostNamed(let name, let address):
            emit(.hostNamed(name: name, address: address))
        case .resolveHostName(let name):
            emit(.resolveHostName(name))
        }
    }

    func fail(_ error: PeerError) {
        guard !failed else { return }
        failed = true
        srtp = nil
        emit(.failed(error))
    }
}
