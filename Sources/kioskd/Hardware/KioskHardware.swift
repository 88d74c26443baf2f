import Devices
import KioskCore
import Logging
import Media
import Render

/// The camera, microphone, speaker and display chosen by the configuration, each with the
/// reason it was chosen (logged once at start; IDs only).
struct KioskHardware {
    var camera: (any Camera)?
    var microphone: (any Microphone)?
    var speaker: (any Speaker)?
    /// What the device check calls them ("vivid", "USB Audio"): the device's own name.
    var cameraLabel = "none"
    var microphoneLabel = "none"

    /// Opens nothing: the camera and microphone stay closed until the patient reaches the
    /// device check (the idle screen is a privacy screen).
    static func choose(_ config: KioskConfig, logger: Logger) -> KioskHardware {
        let request = CameraRequest(width: config.devices.captureWidth, height: config.devices.captureHeight, fps: config.devices.captureFPS)
        let wantsReal = [config.devices.camera, config.devices.microphone, config.devices.speaker].contains { $0 != "synthetic" && $0 != "none" }
        let inventory = wantsReal ? Devices.inventory() : DeviceInventory()

        var camera: (any Camera)?
        var cameraLabel = "none", microphoneLabel = "none"
        if config.devices.camera != "none" {
            let pick = DeviceSelection.camera(configured: config.devices.camera, among: inventory.cameras)
            logger.notice("camera chosen", metadata: ["reason": "\(pick.reason)"])
            switch pick.choice {
            case .synthetic:
                let synthetic = SyntheticCamera(request: request)
                // Stamped in wall-clock milliseconds: a clinician page in its test mode reads
                // them (glass-to-glass latency, docs/kiosk.md).
                synthetic.stampOffsetNanos = GlassToGlass.stampOffsetNanos
                camera = synthetic
                cameraLabel = "Test pattern (synthetic)"
            case .device(let id, _):
                // Reconnecting: a camera unplugged mid-call comes back by itself when replugged.
                camera = ReconnectingCamera(id: id, request: request)
                cameraLabel = inventory.cameras.first { $0.id == id }?.name ?? id
            case .none: camera = nil
            }
        }
        var microphone: (any Microphone)?
        if config.devices.microphone != "none" {
            let pick = DeviceSelection.audio(configured: config.devices.microphone, among: inventory.microphones, kind: "microphone")
            logger.notice("microphone chosen", metadata: ["reason": "\(pick.reason)"])
            switch pick.choice {
            case .synthetic:
                microphone = SyntheticMicrophone(frequency: 440, levelDBFS: -18)
                microphoneLabel = "Test tone (synthetic)"
            case .device(let id, let device):
                microphone = try? ALSAMicrophone(device: device)
                microphoneLabel = inventory.microphones.first { $0.id == id }?.name ?? id
            case .none: microphone = nil
            }
        }
        var speaker: (any Speaker)?
        if config.devices.speaker != "none" {
            let pick = DeviceSelection.audio(configured: config.devices.speaker, among: inventory.speakers, kind: "speaker")
            logger.notice("speaker chosen", metadata: ["reason": "\(pick.reason)"])
            switch pick.choice {
            case .synthetic: speaker = SyntheticSpeaker()
            case .device(_, let device): speaker = try? ALSASpeaker(device: device)
            case .none: speaker = nil
            }
        }

        return KioskHardware(camera: camera, microphone: microphone, speaker: speaker,
                             cameraLabel: cameraLabel, microphoneLabel: microphoneLabel)
    }

    /// The configured display, or nil with the reason logged (the screen loop tries again:
    /// a monitor that is off or unplugged at boot must not stop the kiosk).
    static func openDisplay(_ config: KioskConfig, logger: Logger) -> (any Display)? {
        let painter: ScreenPainter
        do {
            painter = try ScreenPainter()
        } catch {
            logger.error("cannot load the screen's fonts", metadata: ["error": "\(error)"])
            return nil
        }
        let compositor = CompositorConfig(
            selfViewSize: PixelSize(width: config.display.selfViewWidth, height: config.display.selfViewWidth * 9 / 16),
            selfViewMargin: config.display.selfViewMargin, mirrorSelfView: config.display.mirrorSelfView)
        let display: any Display
        if config.display.device == "offscreen" {
            display = OffscreenDisplay(size: offscreenSize(config.display.mode),
                                       compositor: Compositor(config: compositor, painter: painter))
        } else {
            let path = config.display.device == "auto" ? nil : config.display.device
            let mode = config.display.mode == "preferred" ? nil : config.display.mode
            do {
                display = try DRMDisplay(config: DRMDisplayConfig(devicePath: path, mode: mode, compositor: compositor),
                                         compositor: Compositor(config: compositor, painter: painter),
                                         log: { logger.info("\($0)") })
            } catch {
                logger.error("no display yet; trying again when the kernel reports a display change (or in 30 s)",
                             metadata: ["error": "\(error)"])
                return nil
            }
        }
        logger.notice("display opened", metadata: ["device": "\(config.display.device)",
                                                   "size": "\(display.outputSize.width)x\(display.outputSize.height)"])
        return display
    }

    /// "WIDTHxHEIGHT[@HZ]" or 1280x720 for "preferred".
    static func offscreenSize(_ mode: String) -> PixelSize {
        let size = mode.split(separator: "@").first.map(String.init) ?? ""
        let parts = size.split(separator: "x").compactMap { Int($0) }
        guard parts.count == 2, parts[0] >= 320, parts[1] >= 240 else { return PixelSize(width: 1280, height: 720) }
        return PixelSize(width: parts[0], height: parts[1])
    }
}
