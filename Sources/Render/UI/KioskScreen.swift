/// The screens kioskd shows. Video (remote, self) comes from the `Scene`; a screen adds text,
/// buttons and meters over it.
public enum KioskScreen: Sendable, Equatable {
    /// The appointment sent to this kiosk: who with, when, and either a Join button or why not
    /// yet (e.g. "Your session opens at 12:00 PM"). Never the patient's name.
    case appointment(title: String, time: String, detail: String, canJoin: Bool)
    /// A message and nothing to press: the idle (privacy) screen, "Connecting…".
    case waiting(title: String, detail: String)
    /// In the room, waiting for the clinician: a message and a Leave button.
    case waitingRoom(title: String, detail: String)
    /// Camera and microphone check: the self view as a large live preview, an audio meter
    /// (level 0...1), the device names and a Continue button.
    case deviceCheck(camera: String, microphone: String, audioLevel: Double, canJoin: Bool)
    /// In the call: the control tray (camera toggle, microphone mute, end).
    case inCall(CallControls)
    /// "Your telehealth session has ended" with Rejoin.
    case ended(message: String)
    /// An error or diagnostic screen with a retry button.
    case error(title: String, detail: String, diagnostics: [String])
}

/// The state the in-call tray shows.
public struct CallControls: Sendable, Equatable {
    public var cameraOn: Bool
    public var microphoneMuted: Bool
    /// The tray can hide after a while without touches; the buttons then do not hit-test.
    public var trayVisible: Bool
    /// What the other side did to its own media, e.g. "Dr. Demo muted their microphone".
    public var remoteNotice: String?

    public init(cameraOn: Bool = true, microphoneMuted: Bool = false, trayVisible: Bool = true, remoteNotice: String? = nil) {
        self.cameraOn = cameraOn
        self.microphoneMuted = microphoneMuted
        self.trayVisible = trayVisible
        self.remoteNotice = remoteNotice
    }
}

/// What a touch can press.
public enum KioskButton: String, Sendable, Equatable, Hashable, Codable, CaseIterable {
    case join, continueToCall, leave, cameraToggle, microphoneToggle, endCall, rejoin, retry
}

/// How a button looks: high-contrast fills with white bold labels.
public enum KioskButtonStyle: Sendable, Equatable {
    case primary, neutral, danger
}

/// One touch target.
public struct KioskButtonLayout: Sendable, Equatable {
    public var button: KioskButton
    public var frame: PixelRect
    public var label: String
    public var style: KioskButtonStyle
}

/// One line of text and where it goes.
public struct KioskTextLayout: Sendable, Equatable {
    public var text: String
    public var frame: PixelRect
    public var pixelSize: Int
    public var bold: Bool
}

/// The geometry of a screen at an output size: what is drawn where, and what a touch hits.
/// The painter draws from this same value, so what is seen is what is hit.
public struct ScreenLayout: Sendable, Equatable {
    public var output: PixelSize
    /// A full-screen panel behind the content (waiting, ended, error), or nil for in-call.
    public var panel: PixelRect?
    /// A translucent strip behind the in-call tray.
    public var tray: PixelRect?
    /// A translucent strip behind the in-call notice about the other side's media.
    public var banner: PixelRect?
    public var texts: [KioskTextLayout] = []
    public var buttons: [KioskButtonLayout] = []
    /// Where the device check shows the live self view.
    public var previewArea: PixelRect?
    /// The audio meter's outline and its filled level (0...1).
    public var meter: PixelRect?
    public var meterLevel: Double = 0

    public init(screen: KioskScreen, output: PixelSize) {
        self.output = output
        let W = output.width, H = output.height
        // Sizes scale with the screen height; 1080 lines is the design size. Buttons stay at
        // least 96 px tall: about 15 mm on a 21" 1080p panel, well above touch minimums.
        func u(_ v: Int) -> Int { max(1, v * H / 1080) }
        let buttonH = max(96, u(120))
        let full = PixelRect(x: 0, y: 0, width: W, height: H)
        func centred(_ w: Int, _ h: Int, y: Int) -> PixelRect { PixelRect(x: (W - w) / 2, y: y, width: w, height: h) }
        func text(_ s: String, y: Int, size: Int, bold: Bool = false) {
            texts.append(KioskTextLayout(text: s, frame: centred(W - 2 * u(60), u(size * 3 / 2), y: y), pixelSize: u(size), bold: bold))
        }
        switch screen {
        case .appointment(let title, let time, let detail, let canJoin):
            panel = full
            text(title, y: H * 25 / 100, size: 64, bold: true)
            text(time, y: H * 25 / 100 + u(120), size: 48)
            text(detail, y: H * 25 / 100 + u(220), size: 40)
            if canJoin {
                buttons.append(KioskButtonLayout(button: .join, frame: centred(u(420), buttonH, y: H * 65 / 100),
                                                 label: "Join", style: .primary))
            }
        case .waiting(let title, let detail):
            panel = full
            text(title, y: H * 35 / 100, size: 64, bold: true)
            text(detail, y: H * 35 / 100 + u(130), size: 40)
        case .waitingRoom(let title, let detail):
            panel = full
            text(title, y: H * 35 / 100, size: 64, bold: true)
            text(detail, y: H * 35 / 100 + u(130), size: 40)
            buttons.append(KioskButtonLayout(button: .leave, frame: centred(u(420), buttonH, y: H - buttonH - u(80)),
                                             label: "Leave", style: .neutral))
        case .deviceCheck(let camera, let microphone, let level, let canJoin):
            panel = full
            text("Check your camera and microphone", y: u(40), size: 48, bold: true)
            previewArea = PixelRect(x: W / 2 - u(480) - u(40), y: u(150), width: u(960), height: u(540))
            meter = PixelRect(x: W / 2 + u(480) + u(20), y: u(150), width: u(60), height: u(540))
            meterLevel = min(1, max(0, level.isFinite ? level : 0))
            text("Camera: \(camera)", y: u(720), size: 36)
            text("Microphone: \(microphone)", y: u(780), size: 36)
            if canJoin {
                buttons.append(KioskButtonLayout(button: .continueToCall, frame: centred(u(420), buttonH, y: H - buttonH - u(60)),
                                                 label: "Continue", style: .primary))
            }
        case .inCall(let controls):
            if let notice = controls.remoteNotice {
                // A strip at the top, clear of the self view in the upper-left corner.
                banner = PixelRect(x: W / 4, y: u(24), width: W / 2, height: u(72))
                texts.append(KioskTextLayout(text: notice, frame: banner!.insetBy(u(8)), pixelSize: u(40), bold: true))
            }
            guard controls.trayVisible else { break }
            let bw = max(240, u(320)), gap = u(40)
            let total = 3 * bw + 2 * gap
            let y = H - buttonH - u(40)
            tray = PixelRect(x: (W - total) / 2 - gap, y: y - u(20), width: total + 2 * gap, height: buttonH + u(40))
            let x0 = (W - total) / 2
            buttons = [
                KioskButtonLayout(button: .cameraToggle, frame: PixelRect(x: x0, y: y, width: bw, height: buttonH),
                                  label: controls.cameraOn ? "Camera off" : "Camera on", style: .neutral),
                KioskButtonLayout(button: .microphoneToggle, frame: PixelRect(x: x0 + bw + gap, y: y, width: bw, height: buttonH),
                                  label: controls.microphoneMuted ? "Unmute" : "Mute", style: .neutral),
                KioskButtonLayout(button: .endCall, frame: PixelRect(x: x0 + 2 * (bw + gap), y: y, width: bw, height: buttonH),
                                  label: "End", style: .danger),
            ]
        case .ended(let message):
            panel = full
            text(message, y: H * 35 / 100, size: 56, bold: true)
            buttons.append(KioskButtonLayout(button: .rejoin, frame: centred(u(420), buttonH, y: H * 55 / 100),
                                             label: "Rejoin Session", style: .primary))
        case .error(let title, let detail, let diagnostics):
            panel = full
            text(title, y: H * 20 / 100, size: 56, bold: true)
            text(detail, y: H * 20 / 100 + u(110), size: 36)
            for (i, line) in diagnostics.prefix(8).enumerated() {
                text(line, y: H * 20 / 100 + u(190) + i * u(44), size: 28)
            }
            buttons.append(KioskButtonLayout(button: .retry, frame: centred(u(420), buttonH, y: H - buttonH - u(80)),
                                             label: "Try again", style: .primary))
        }
    }

    /// The button whose frame holds the touch point, if any.
    public func button(atX x: Int, y: Int) -> KioskButton? {
        buttons.first { $0.frame.contains(x: x, y: y) }?.button
    }
}
