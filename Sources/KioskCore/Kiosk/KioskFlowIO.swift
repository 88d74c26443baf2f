import Render
import Signaling

/// The inputs and outputs of `KioskFlow`. The driver (`KioskController`) turns signaling,
/// call, device and touch events into `Input`s and performs the `Action`s.
extension KioskFlow {
    enum Input: Sendable, Equatable {
        /// Signaling, the room and the media engine, as the call layer reports them.
        case call(CallEvent)
        /// Any touch on the screen (it brings back a hidden tray).
        case touched
        /// A touch that hit a button of the screen on display.
        case pressed(KioskButton)
        case devicesOpened(camera: String, microphone: String)
        case devicesFailed(DeviceProblem)
        /// The microphone's level for the device check's meter, 0...1.
        case audioLevel(Double)
        /// The open camera went away (unplugged, failed) or came back.
        case cameraAvailability(Bool)
        /// Time passed (the driver ticks about once a second).
        case tick
        /// At start-up: the state directory says the patient had joined this appointment and
        /// neither side ended it (kioskd was killed mid-visit). Once the practice assigns the
        /// same appointment again, the kiosk re-enters its room without a tap.
        case resumeVisit(appointmentId: String)
    }

    enum DeviceProblem: Sendable, Equatable {
        case noCamera(String)
        case noMicrophone(String)
    }

    enum Action: Sendable, Equatable {
        /// Draw this from now on (sent only when it changes).
        case show(KioskPresentation)
        /// The patient's consent changed: a call may run only for this appointment (nil: none).
        /// Always the first action of its batch, so a join never goes out before it.
        case consent(appointmentId: String?)
        case signal(SignalingClient.Intent)
        /// Open the camera and microphone (device check, call); report `devicesOpened`/`devicesFailed`.
        case openDevices
        /// Close them: idle, appointment and ended screens keep the camera and microphone closed.
        case closeDevices
        /// Tear the call's media down now (the kiosk ended it, even if signaling is down).
        case stopCall
        case setCamera(on: Bool)
        case setMicrophone(muted: Bool)
        /// Drop the signaling back-off and try the practice again now (a "Try again" tap).
        case reconnectSignaling
        /// One line for systemd's STATUS= and the log (IDs only).
        case status(String)
        /// Keep (or, with nil, forget) in the state directory that the patient is in this
        /// visit, so that a crash does not end it; `closesAt` bounds how long the note holds.
        case rememberVisit(appointmentId: String?, closesAt: String?)
    }
}

/// What the screen shows: a kiosk screen and which video goes under it.
struct KioskPresentation: Sendable, Equatable {
    var screen: KioskScreen
    /// The clinician's video full-screen (in a call, unless their camera is off).
    var remoteVideo: Bool
    /// The patient's own picture (device-check preview, or the self view in a call).
    var selfVideo: Bool
    /// A short name for logs, tests and the control socket ("idle", "in-call", …).
    var name: String
}
