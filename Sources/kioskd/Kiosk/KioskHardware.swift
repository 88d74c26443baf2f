import Devices
import Logging
import Media
import Render

/// The camera, microphone, speaker and display chosen by the configuration, each with the
/// reason it was chosen (logged once at start; IDs only).
struct KioskHardware {
    var camera: (any Camera)?
    var microphone: (any Microphone)?
    var speaker: (any Speaker)?
    var display: any Display

    enum Failure: Error, CustomStringConvertible {
        case display(String)
        var description: String {
            switch self {
            case .display(let why): return "no display: \(why)"
            }
        }
    }

    /// Opens nothing yet except the display: the camera and microphone stay closed until the
    /// patient reaches the device check (the idle screen is a privacy screen).
    static func choose(_ config: KioskConfig, painter: ScreenPainter, logger: Logger) throws(Failure) -> KioskHardware {
        let request = CameraRequest(width: config.devices.captureWidth, height: config.devices.captureHeight, fps: config.devices.captureFPS)
        let wantsReal = [config.devices.camera, config.devices.microphone, config.devices.speaker].contains { $0 != "synthetic" && $0 != "none" }
        let inventory = wantsReal ? Devices.inventory() : DeviceInventory()

        var camera: (any Camera)?
        if config.devices.camera != "none" {
            let pick = DeviceSelection.camera(configured: config.devices.camera, among: inventory.cameras)
            logger.notice("camera chosen", metadata: ["reason": "\(pick.reason)"])
            switch pick.choice {
            case .synthetic: camera = SyntheticCamera(request: request)
            // Reconnecting: a camera unplugged mid-call comes back by itself when replugged.
            case .device(let id, _): camera = ReconnectingCamera(id: id, request: request)
            case .none: camera = nil
            }
        }
        var microphone: (any Microphone)?
        if config.devices.microphone != "none" {
            let pick = DeviceSelection.audio(configured: config.devices.microphone, among: inventory.microphones, kind: "microphone")
            logger.notice("microphone chosen", metadata: ["reason": "\(pick.reason)"])
            switch pick.choice {
            case .synthetic: microphone = SyntheticMicrophone(frequency: 440, levelDBFS: -18)
            case .device(_, let device): microphone = try? ALSAMicrophone(device: device)
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
                let drm = try DRMDisplay(config: DRMDisplayConfig(devicePath: path, mode: mode, compositor: compositor),
                                         compositor: Compositor(config: compositor, painter: painter),
                                         log: { logger.info("\($0)") })
                display = drm
            } catch {
                throw .display("\(error)")
            }
        }
        logger.notice("display chosen", metadata: ["device": "\(config.display.device)",
                                                   "size": "\(display.outputSize.width)x\(display.outputSize.height)"])
        return KioskHardware(camera: camera, microphone: microphone, speaker: speaker, display: display)
    }

    /// "WIDTHxHEIGHT[@HZ]" or 1280x720 for "preferred".
    static func offscreenSize(_ mode: String) -> PixelSize {
        let size = mode.split(separator: "@").first.map(String.init) ?? ""
        let parts = size.split(separator: "x").compactMap { Int($0) }
        guard parts.count == 2, parts[0] >= 320, parts[1] >= 240 else { return PixelSize(width: 1280, height: 720) }
        return PixelSize(width: parts[0], height: parts[1])
    }
}
