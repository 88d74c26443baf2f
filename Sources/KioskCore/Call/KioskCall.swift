import DTLS
import Foundation
import ICE
import Logging
import RTP
import SessionCore
import SessionDriver
import SessionPeer
import Signaling
import Synchronization

/// The kiosk's side of a telehealth call: follows the practice's signaling (assignment, join,
/// peer-joined, offer/answer, candidates, end), owns one `PeerDriver` per call and hands media
/// to the pipeline. Signaling drops never touch the engine: media keeps flowing peer to peer.
public actor KioskCall {
    public struct Options: Sendable {
        public var peer: PeerConfiguration
        /// The kiosk's own STUN/TURN servers (its configuration), used beside the practice's.
        public var iceServers: [ICEServerResolver.Server]
        /// CAs trusted for `turns:` servers besides the system's (`call.turn_ca_file`).
        public var turnCAFile: String?
        /// Lists the addresses to have sockets on when the kernel reports an address change
        /// (nil: the sockets stay on `peer.localAddresses`, as in the demo on loopback).
        public var watchAddresses: (@Sendable () -> [TransportAddress])?

        public init(peer: PeerConfiguration, iceServers: [ICEServerResolver.Server] = [], turnCAFile: String? = nil,
                    watchAddresses: (@Sendable () -> [TransportAddress])? = nil) {
            self.peer = peer
            self.iceServers = iceServers
            self.turnCAFile = turnCAFile
            self.watchAddresses = watchAddresses
        }
    }

    let link: SignalingLink
    let media: MediaPipeline
    let options: Options
    let logger: Logger
    private let observer: @Sendable (CallEvent) -> Void
    private var driver: PeerDriver?
    /// Bumped by every engine start and stop: an event from an engine that is gone is dropped.
    private var generation = 0
    private var consent = CallConsent()
    private var refusals = RefusalBudget()
    /// Every signaling send goes through this one queue, in order (a candidate never overtakes
    /// its offer, end-of-candidates never its last candidate).
    private let outgoing: AsyncStream<SignalingClient.Intent>.Continuation
    private let outgoingQueue: AsyncStream<SignalingClient.Intent>
    private(set) var appointmentId: String?
    public private(set) var security: PeerSecurityInfo?
    public private(set) var lastError: String?
    public private(set) var state = "idle"
    private var certificate: DTLSCertificate?
    /// The servers of the last `welcome` and the configuration, resolved (DNS off the actor,
    /// before any call starts); each welcome replaces them (TURN REST credentials expire).
    private var servers = ICEServerResolver.Resolved()
    private var serversGeneration = 0
    private var pumpTask: Task<Void, Never>?
    /// The kiosk made the current engine's offer: it re-offers to restart ICE; otherwise it
    /// asks the clinician's side to (`request-offer {iceRestart: true}`), so only one side ever
    /// offers and the offers cannot cross (glare).
    private var kioskOffers = false
    /// An ICE restart asked for and not done: what it sent may have gone into a signaling
    /// connection that died with the network, so it is asked again once signaling is back.
    private var restartPending = false

    public init(link: SignalingLink, media: MediaPipeline, options: Options, logger: Logger,
                observer: @escaping @Sendable (CallEvent) -> Void = { _ in }) {
        self.link = link
        self.media = media
        self.options = options
        self.logger = logger
        self.observer = observer
        (outgoingQueue, outgoing) = AsyncStream<SignalingClient.Intent>.makeStream()
    }

    func send(_ intent: SignalingClient.Intent) {
        outgoing.yield(intent)
    }

    /// The flow's word on the patient's consent: the appointment they joined, or nil. Closing
    /// (or moving) it tears down any engine at once.
    func setConsent(_ id: String?) {
        let previous = consent.appointmentId
        guard consent.set(id) else {
            if previous != id { logger.info("patient joined; calls admitted", metadata: ["appointment": "\(id ?? "none")"]) }
            return
        }
        logger.info("call consent closed", metadata: ["appointment": "\(previous ?? "none")"])
        if driver != nil { state = "ended" }
        endPeer()
    }

    /// Whether a call may run now (tests and the control socket).
    var consentedAppointment: String? { consent.appointmentId }

    /// Ends the media now (the kiosk ended the call; signaling may be down).
    func hangUp() {
        if driver != nil { state = "ended" }
        endPeer()
    }

    /// Runs until signaling stops.
    func run() async {
        await link.start()
        let link = self.link
        let queue = outgoingQueue
        let pump = Task {
            for await intent in queue { await link.send(intent) }
        }
        pumpTask = pump
        for await event in link.events {
            await handle(event)
        }
        pump.cancel()
    }

    /// Ends the media and signaling. `leaving` (the visit the patient was in) goes out as a
    /// `leave` after everything already queued, and the link closes gracefully, all within a
    /// second, so the clinician's page shows at once that the patient left.
    func stop(leaving appointment: String? = nil) async {
        endPeer()
        if let appointment {
            logger.notice("leaving the visit: kioskd is stopping", metadata: ["appointment": "\(appointment)"])
            outgoing.yield(.leave(appointmentId: appointment))
        }
        outgoing.finish()
        if let pumpTask {
            let drained = Task { await pumpTask.value }
            let deadline = Task { try? await Task.sleep(for: .milliseconds(300)); pumpTask.cancel() }
            await drained.value
            deadline.cancel()
        }
        await link.stop()
    }

    /// The call's quality figures, both directions (`kioskd control stats`).
    public func callStats() async -> CallStats {
        CallStats(state: state, peer: await stats(), media: media.counters)
    }

    public func stats() async -> PeerStats? {
        guard let driver else { return nil }
        return await withCheckedContinuation { continuation in
            driver.submit(.stats { continuation.resume(returning: $0) })
        }
    }

    private func handle(_ event: SignalingClient.Event) async {
        switch event {
        case .ready(let welcome):
            logger.info("signaling ready")
            useServers(of: welcome)
            observer(.signalingReady)
        case .flooded:
            logger.warning("the practice endpoint sent messages faster than signaling allows; disconnected, retrying with backoff",
                           metadata: ["burst": "\(SignalingClient.Configuration.defaultInboundBurst)",
                                      "per_second": "\(SignalingClient.Configuration.defaultInboundPerSecond)"])
        case .signalingLost:
            logger.warning("signaling lost; the call continues")
            observer(.signalingLost)
        case .signalingRestored(let welcome):
            logger.info("signaling restored")
            useServers(of: welcome)
            observer(.signalingReady)
            if restartPending { signalRestart(again: true) }
        case .invalidMessage(let error, let id):
            // Within the same budget as refusals: a flood of garbage must not flood the journal.
            refuse(type: "invalid", code: error.code, why: error.description, inReplyTo: id, line: "invalid signaling message")
        case .rejected(let payload):
            lastError = "\(payload.code)"
            logger.warning("endpoint refused hello", metadata: ["code": "\(payload.code)"])
        case .message(let envelope):
            if consent.admitsRenegotiation(envelope.message) {
                renegotiate(envelope)
                return
            }
            if case .refuse(let code, let why) = consent.admit(envelope.message) {
                refuse(envelope, code: code, why: why)
                return
            }
            handle(envelope.message)
        }
    }

    /// One `error` to the endpoint and one log line per refused message, both within a budget
    /// so a flood costs neither bandwidth nor the journal (the suppressed are counted).
    private func refuse(_ envelope: SignalingEnvelope, code: SignalingErrorCode, why: String) {
        refuse(type: envelope.message.type.rawValue, code: code, why: why, inReplyTo: envelope.id, line: "refused a call message")
    }

    private func refuse(type: String, code: SignalingErrorCode, why: String, inReplyTo id: String?, line: Logger.Message) {
        let now = MonotonicClock.now()
        let (reply, log, suppressed) = refusals.take(at: now)
        if suppressed > 0 {
            logger.warning("refusals suppressed", metadata: ["count": "\(suppressed)"])
        }
        if log {
            logger.warning(line, metadata: [
                "type": "\(type)", "code": "\(code)", "reason": "\(why)",
                "appointment": "\(consent.appointmentId ?? "none")",
            ])
        }
        if reply {
            send(.sendError(SignalingErrorPayload(code: code, message: why, inReplyTo: id)))
        }
    }

    private func handle(_ message: SignalingMessage) {
        switch message {
        case .assignment(let appointment):
            appointmentId = appointment?.id
            state = appointment == nil ? "idle" : "assigned"
            observer(.assignment(appointment))
            logger.info("appointment assigned", metadata: ["appointment": "\(appointment?.id ?? "none")",
                                                          "eligible": "\(appointment?.telehealth.eligible ?? false)"])
        case .joined(let id, let peerPresent):
            state = "waiting"
            logger.info("joined", metadata: ["appointment": "\(id)", "peer_present": "\(peerPresent)"])
            observer(.joined(appointmentId: id, peerPresent: peerPresent))
        case .peerJoined(let id, _, let offerer):
            logger.info("clinician joined", metadata: ["appointment": "\(id)", "offerer": "\(offerer.rawValue)"])
            observer(.peerJoined(appointmentId: id))
            startPeer()
            if offerer == .kiosk, let driver {
                kioskOffers = true
                let outgoing = self.outgoing
                driver.submit(.createOffer { sdp in outgoing.yield(.sendOffer(sdp: sdp)) })
            }
        case .offer(let sdp):
            if driver == nil { startPeer() }
            kioskOffers = false
            let outgoing = self.outgoing
            let logger = self.logger
            driver?.submit(.acceptOffer(sdp) { result in
                switch result {
                case .success(let answer): outgoing.yield(.sendAnswer(sdp: answer))
                case .failure(let error): logger.error("cannot answer the offer", metadata: ["error": "\(error)"])
                }
            })
        case .answer(let sdp):
            let logger = self.logger
            driver?.submit(.acceptAnswer(sdp) { error in
                if let error { logger.error("cannot apply the answer", metadata: ["error": "\(error)"]) }
            })
        case .candidate(let candidate):
            driver?.submit(.remoteCandidate(candidate.candidate))
        case .endOfCandidates:
            driver?.submit(.remoteEndOfCandidates)
        case .sessionEnded(let id, let by):
            logger.notice("session ended", metadata: ["appointment": "\(id)", "by": "\(by.rawValue)"])
            state = "ended"
            endPeer()
            observer(.sessionEnded(appointmentId: id, by: by))
        case .peerLeft(let id, _, let reason):
            logger.notice("clinician left", metadata: ["appointment": "\(id)", "reason": "\(reason.rawValue)"])
            state = "waiting"
            consent.engineEnded()
            endPeer()
            observer(.peerLeft(appointmentId: id))
        case .mediaState(let remote):
            logger.info("clinician media state", metadata: ["camera": "\(remote.camera.rawValue)", "microphone": "\(remote.microphone.rawValue)"])
            observer(.remoteMediaState(remote))
        case .requestOffer(let iceRestart):
            guard let driver else { return }
            let outgoing = self.outgoing
            if consent.established {
                // A subsequent offer for the call that runs (an ICE restart when asked for).
                consent.subsequentOfferSent()
                kioskOffers = true
                logger.info("clinician asked for an offer", metadata: ["ice_restart": "\(iceRestart)"])
                driver.submit(iceRestart ? .createRestartOffer { sdp in outgoing.yield(.sendOffer(sdp: sdp)) }
                                         : .createOffer { sdp in outgoing.yield(.sendOffer(sdp: sdp)) })
            } else {
                kioskOffers = true
                driver.submit(.createOffer { sdp in outgoing.yield(.sendOffer(sdp: sdp)) })
            }
        case .error(let payload):
            lastError = "\(payload.code)"
            logger.warning("signaling error", metadata: ["code": "\(payload.code)"])
            // The message is the endpoint's sentence for people (no personal data by protocol).
            observer(.refused(code: payload.code.rawValue, message: payload.message))
        default:
            break
        }
    }

    /// A mid-call offer or answer the gate let through for the established call: the engine
    /// checks it continues this call; if not (another certificate, other media) it is refused
    /// with `error unexpected`, as before, and the call goes on untouched.
    private func renegotiate(_ envelope: SignalingEnvelope) {
        guard let driver else { return }
        let outgoing = self.outgoing
        let this = self
        switch envelope.message {
        case .offer(let sdp):
            kioskOffers = false
            logger.info("clinician sent a new offer for the call")
            driver.submit(.acceptOffer(sdp) { result in
                switch result {
                case .success(let answer): outgoing.yield(.sendAnswer(sdp: answer))
                case .failure(let error): Task { await this.refuseRenegotiation(envelope, error) }
                }
            })
        case .answer(let sdp):
            driver.submit(.acceptAnswer(sdp) { error in
                if let error { Task { await this.refuseRenegotiation(envelope, error) } }
            })
        default:
            break
        }
    }

    private func refuseRenegotiation(_ envelope: SignalingEnvelope, _ error: PeerError) {
        let why: String
        if case .notThisCall = error { why = "a call is already negotiated on this kiosk" } else { why = "cannot apply the description" }
        logger.warning("mid-call description not applied", metadata: ["error": "\(error)"])
        refuse(envelope, code: .unexpected, why: why)
    }

    /// The path is gone (or going): restart ICE without the patient doing anything. The
    /// kiosk re-offers when it made the call's offer, else asks the clinician's page to.
    private func restartICE(_ reason: PeerRestartReason) {
        guard driver != nil, consent.established else { return }
        logger.notice("ice restart", metadata: ["reason": "\(reason.rawValue)", "kiosk_offers": "\(kioskOffers)"])
        // The signaling connection shares the path that stalled.
        if reason == .pathStalled { Task { await link.networkChanged() } }
        restartPending = true
        signalRestart(again: false)
    }

    private func signalRestart(again: Bool) {
        guard let driver, consent.established else { restartPending = false; return }
        if again { logger.info("ice restart signaled again after signaling came back", metadata: ["kiosk_offers": "\(kioskOffers)"]) }
        if kioskOffers {
            consent.subsequentOfferSent()
            let outgoing = self.outgoing
            driver.submit(.createRestartOffer { sdp in outgoing.yield(.sendOffer(sdp: sdp)) })
        } else {
            send(.requestOffer(iceRestart: true))
        }
    }

    /// The demo's `--ice-restart-after` (and operators): restart as if the network had changed.
    public func requestICERestart() {
        driver?.submit(.requestICERestart)
    }

    /// The practice's servers (invalid URLs logged and left out) and the kiosk's own, resolved
    /// in the background; a later welcome's answer wins over an earlier one still resolving.
    private func useServers(of welcome: SignalingWelcome) {
        var list: [ICEServerResolver.Server] = []
        var invalid = 0
        for server in welcome.iceServers {
            for text in server.urls {
                guard let url = try? ICEServerURL(parsing: text) else { invalid += 1; continue }
                list.append(.init(url: url, username: server.username, credential: server.credential))
            }
        }
        if invalid > 0 { logger.warning("practice sent invalid ICE server URLs; left out", metadata: ["count": "\(invalid)"]) }
        list += options.iceServers
        serversGeneration += 1
        let generation = serversGeneration
        Task.detached { [logger] in
            let resolved = ICEServerResolver.resolve(list)
            for line in resolved.skipped { logger.warning("ICE server left out", metadata: ["why": "\(line)"]) }
            await self.setServers(resolved, generation: generation)
        }
    }

    private func setServers(_ resolved: ICEServerResolver.Resolved, generation: Int) {
        guard generation == serversGeneration else { return }
        servers = resolved
        logger.info("ICE servers ready", metadata: ["stun": "\(resolved.stun.count)", "turn": "\(resolved.turn.count)"])
    }

    private func startPeer() {
        endPeer()
        consent.engineStopped()
        // Only ever under the patient's consent; `CallConsent` admitted what led here.
        guard consent.appointmentId != nil else { return }
        let generation = self.generation
        do {
            if certificate == nil { certificate = try DTLSCertificate() }
            guard let certificate else { return }
            var configuration = options.peer
            // The addresses of now, not of start-up: the kiosk may have changed networks between calls.
            if let list = options.watchAddresses { configuration.localAddresses = list() }
            configuration.ice.stunServers = servers.stun
            configuration.ice.turnServers = servers.turn
            configuration.sendRate = media.sendRateConfig
            configuration.ntpClock = NTPClock(unixNanoseconds: WallClock.unixNanoseconds(), at: MonotonicClock.now())
            let media = self.media
            let outgoing = self.outgoing
            let this = self
            // The stall signal (ICEAgentConfig.stallAfter): a call hears media or RTCP all the time.
            if configuration.ice.stallAfter == nil { configuration.ice.stallAfter = .seconds(2) }
            driver = try PeerDriver(configuration: configuration, certificate: certificate, turnCAFile: options.turnCAFile,
                                    watchAddresses: options.watchAddresses) { event in
                switch event {
                case .videoFrame(let payload, let keyframe, _):
                    media.receivedVideo(payload, keyframe: keyframe)
                case .audioPacket(let payload, let timestamp):
                    media.receivedAudio(payload, rtpTimestamp: timestamp)
                case .audioLost:
                    break  // the playout buffer sees the gap in the packets' timestamps
                case .keyframeRequested:
                    media.requestKeyframe()
                case .sendBitrateChanged(let bps):
                    media.setSendBitrate(bps)
                case .audioLossExpected(let percent):
                    media.setAudioLossPercent(percent)
                case .localCandidate(let candidate, let mid, let index):
                    outgoing.yield(.sendCandidate(SignalingCandidate(candidate: candidate, sdpMid: mid, sdpMLineIndex: index)))
                case .gatheringComplete:
                    outgoing.yield(.sendEndOfCandidates)
                default:
                    Task { await this.peerEvent(event, generation: generation) }
                }
            }
            state = "connecting"
        } catch {
            lastError = "\(error)"
            logger.error("cannot start the call engine", metadata: ["error": "\(error)"])
        }
    }

    private func peerEvent(_ event: PeerEvent, generation: Int) {
        guard generation == self.generation, driver != nil else { return }
        switch event {
        case .connected(let info):
            security = info
            state = "in-call"
            logger.notice("call connected", metadata: ["dtls": "\(info.dtlsVersion)", "srtp": "\(info.srtpProfile)"])
            if let driver, consent.appointmentId != nil { media.start(driver: driver) }
            consent.callEstablished()
            observer(.connected)
        case .failed(let error):
            lastError = "\(error)"
            state = "failed"
            logger.error("call failed", metadata: ["error": "\(error)"])
            // A fresh offer (the clinician retrying) must meet a fresh engine, not this one.
            endPeer()
            consent.engineEnded()
            observer(.failed("\(error)"))
        case .iceStateChanged(let s):
            logger.info("ice state", metadata: ["state": "\(s.rawValue)"])
        case .remoteBye:
            logger.info("remote said goodbye")
        case .relayFailed(let transport, let reason):
            // The server's address stays out of the log: it can say which practice this is.
            logger.warning("TURN relay failed", metadata: ["transport": "\(transport.rawValue)", "error": "\(reason)"])
        case .relayRedirected(let transport, _, _):
            logger.info("TURN server redirected the allocation (300 Try Alternate); following", metadata: ["transport": "\(transport.rawValue)"])
        case .iceRestartNeeded(let reason):
            restartICE(reason)
        case .localAddressesChanged:
            // Each change: the first one may come while the old address still works (a new
            // address added before the old one goes), the connection dying only at the next.
            Task { await link.networkChanged() }
        case .iceRestarted:
            restartPending = false
            logger.notice("ice restarted; the call goes on over the new path")
        default:
            break
        }
    }

    private func endPeer() {
        generation += 1
        restartPending = false
        if let driver {
            // One line per call for IT: how it went (figures only; commands run in order, so
            // this is answered before the stop).
            let logger = self.logger
            let counters = media.counters
            let state = self.state
            driver.submit(.stats { s in
                let stats = CallStats(state: state, peer: s, media: counters)
                logger.info("call quality", metadata: stats.logMetadata.mapValues { .string($0) })
            })
        }
        media.stop()
        driver?.stop()
        driver = nil
    }
}

enum WallClock {
    static func unixNanoseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }
}
