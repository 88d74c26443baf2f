import Render
import SessionCore
import Signaling

/// What `KioskFlow` shows for its state: the screen, which video goes under it, and the
/// states that hold the camera open.
extension KioskFlow {
    var isEnded: Bool {
        if case .ended = phase { return true }
        return false
    }

    /// Phases that hold the camera and microphone open.
    var wantsDevices: Bool {
        switch phase {
        case .deviceCheck, .waiting, .connecting, .connectFailed, .inCall: return true
        default: return false
        }
    }

    var ownMediaState: SignalingMediaState {
        SignalingMediaState(camera: !cameraAvailable ? .unavailable : cameraOn ? .on : .off,
                            microphone: microphoneMuted ? .muted : .unmuted)
    }

    func presentation(at now: Instant) -> KioskPresentation? {
        let words = KioskWording(appointment: appointment)
        // A call in progress never gives way to an error screen: media does not need signaling.
        let inCall = phase == .inCall || phase == .connecting
        if !inCall, let problem = deviceProblem, wantsDevices {
            return KioskPresentation(screen: words.deviceProblem(problem), remoteVideo: false, selfVideo: false, name: "error")
        }
        if !inCall, !signalingUp, now - signalingDownSince >= settings.unreachableAfter {
            return KioskPresentation(screen: words.unreachable, remoteVideo: false, selfVideo: false, name: "error")
        }
        switch phase {
        case .idle:
            return KioskPresentation(screen: words.idle, remoteVideo: false, selfVideo: false, name: "idle")
        case .appointment:
            guard let a = appointment else { return nil }
            return KioskPresentation(screen: words.appointmentScreen(a, refusal: refusal), remoteVideo: false, selfVideo: false, name: "appointment")
        case .deviceCheck:
            return KioskPresentation(
                screen: .deviceCheck(camera: devices.camera, microphone: devices.microphone,
                                     audioLevel: (audioLevel * 20).rounded() / 20, canJoin: deviceProblem == nil && !devices.camera.isEmpty),
                remoteVideo: false, selfVideo: true, name: "device-check")
        case .waiting:
            return KioskPresentation(screen: words.waiting, remoteVideo: false, selfVideo: false, name: "waiting")
        case .connecting:
            return KioskPresentation(screen: words.connecting, remoteVideo: false, selfVideo: false, name: "connecting")
        case .connectFailed:
            return KioskPresentation(screen: words.connectFailed, remoteVideo: false, selfVideo: false, name: "connect-failed")
        case .inCall:
            let controls = CallControls(cameraOn: cameraOn, microphoneMuted: microphoneMuted, trayVisible: trayVisible,
                                        remoteNotice: words.inCallNotice(remote: remote, cameraAvailable: cameraAvailable))
            return KioskPresentation(screen: .inCall(controls), remoteVideo: remote.camera == .on, selfVideo: cameraOn, name: "in-call")
        case .ended:
            return KioskPresentation(screen: .ended(message: KioskWording.ended), remoteVideo: false, selfVideo: false, name: "ended")
        }
    }
}
