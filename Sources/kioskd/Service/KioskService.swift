import Devices
import Foundation
import ICE
import KioskCore
import Logging
import Render
import ServiceLifecycle
import SessionDriver
import SessionPeer
import Signaling

/// The kiosk itself as a long-running service: chooses its hardware, connects to the practice,
/// runs the patient's flow on the screen, tells systemd it is ready, and on a graceful
/// shutdown ends the call, closes the devices and says it is stopping.
struct KioskService: Service {
    /// The call engine's settings. No seed: ICE credentials, SSRCs and transaction IDs come
    /// from the system CSPRNG. Loopback too: a clinician's browser on the same machine (the
    /// lab, tests) pairs over it.
    static func peerConfiguration(_ call: KioskConfig.Call = .init()) -> PeerConfiguration {
        var peer = PeerConfiguration(localAddresses: LocalAddresses.list(includeLoopback: true))
        peer.ice.transportPolicy = call.iceTransportPolicy == "relay" ? .relay : .all
        peer.ice.hostCandidateNames = call.mdnsHostCandidates
        peer.videoFEC = call.videoFEC
        // A browser on the clinic's network that hides its addresses is reached directly.
        peer.ice.resolveRemoteHostNames = true
        return peer
    }

    /// The configuration's own STUN/TURN servers (validated by the config check). TURN needs
    /// the user name and the password file; without them the servers are left out, loudly.
    static func iceServers(_ call: KioskConfig.Call, logger: Logger) -> [ICEServerResolver.Server] {
        var servers = call.stunServers.compactMap { try? ICEServerURL(parsing: $0) }.map { ICEServerResolver.Server(url: $0) }
        guard !call.turnServers.isEmpty else { return servers }
        let password = FileManager.default.contents(atPath: call.turnPasswordFile)
            .map { String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) } ?? ""
        guard !call.turnUsername.isEmpty, !password.isEmpty else {
            logger.error("call.turn_servers left out: set call.turn_username and a readable call.turn_password_file",
                         metadata: ["file": "\(call.turnPasswordFile)"])
            return servers
        }
        servers += call.turnServers.compactMap { try? ICEServerURL(parsing: $0) }
            .map { ICEServerResolver.Server(url: $0, username: call.turnUsername, credential: password) }
        return servers
    }

    let config: KioskConfig
    let notifier: SystemdNotifier
    let logger: Logger

    func run() async throws {
        logger.info("kioskd starting", metadata: ["kiosk": "\(config.kiosk.id)", "camera": "\(config.devices.camera)", "display": "\(config.display.device)"])
        let hardware = KioskHardware.choose(config, logger: logger)
        let media = MediaPipeline(camera: hardware.camera, microphone: hardware.microphone, speaker: hardware.speaker,
                                  cameraName: hardware.cameraLabel, microphoneName: hardware.microphoneLabel,
                                  videoBitrateKbps: config.call.maxVideoBitrateKbps, audioBitrateKbps: config.call.audioBitrateKbps,
                                  logger: logger)
        let link = SignalingLink(url: config.practice.url,
                                 hello: SignalingHello(role: .kiosk, kioskId: config.kiosk.id, token: readToken(),
                                                       software: "kioskd/\(KioskdVersion.string)"),
                                 caFile: config.practice.caFile, logger: logger)
        let peer = Self.peerConfiguration(config.call)
        let events = AsyncStream<CallEvent>.makeStream()
        let call = KioskCall(link: link, media: media,
                             options: .init(peer: peer, iceServers: Self.iceServers(config.call, logger: logger),
                                            turnCAFile: config.call.turnCAFile.isEmpty ? nil : config.call.turnCAFile,
                                            watchAddresses: { LocalAddresses.list(includeLoopback: true) }),
                             logger: logger,
                             observer: { events.1.yield($0) })
        var settings = KioskFlow.Settings()
        settings.endedTimeout = .seconds(config.kiosk.endedScreenSeconds)
        let notifier = self.notifier
        let config = self.config, logger = self.logger
        let screen = ScreenLoop(openDisplay: { KioskHardware.openDisplay(config, logger: logger) }, media: media, logger: logger)
        let controller = KioskController(call: call, media: media, screen: screen,
                                         settings: settings, callEvents: events, logger: logger,
                                         visits: VisitStore(directory: config.service.stateDirectory),
                                         notifyStatus: { notifier.status($0) })
        let screenshots = config.service.controlScreenshots
        let control: ControlSocket?
        do {
            control = try ControlSocket(path: config.service.controlSocket, logger: logger) { line, peer in
                await controller.control(line, from: peer, screenshotsAllowed: screenshots)
            }
            control?.start()
        } catch {
            // The kiosk works without it; technicians lose their socket, which the log says.
            logger.error("control socket unavailable", metadata: ["error": "\(error)"])
            control = nil
        }

        TouchLoop(configured: config.devices.touch, screen: { screen.outputSize }, logger: logger) { x, y in
            Task { await controller.tap(x: x, y: y) }
        }.start()
        let flow = Task { await controller.run() }
        notifier.ready(status: "Idle, waiting for an appointment")
        logger.notice("kioskd ready", metadata: ["kiosk": "\(config.kiosk.id)"])
        await gracefulShutdownSignal()
        notifier.stopping()
        logger.notice("kioskd stopping", metadata: ["kiosk": "\(config.kiosk.id)"])
        control?.stop()
        flow.cancel()
        await flow.value
    }

    /// The enrolment token; a missing file is logged (the practice will refuse the kiosk and
    /// the screen says the practice cannot be reached) rather than stopping the service.
    private func readToken() -> String? {
        guard let data = FileManager.default.contents(atPath: config.practice.tokenFile) else {
            logger.warning("no enrolment token", metadata: ["file": "\(config.practice.tokenFile)"])
            return nil
        }
        let token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return token.isEmpty ? nil : token
    }

    private func gracefulShutdownSignal() async {
        let (stream, continuation) = AsyncStream<Void>.makeStream()
        await withGracefulShutdownHandler {
            for await _ in stream { break }
        } onGracefulShutdown: {
            continuation.yield()
            continuation.finish()
        }
    }
}
