import Foundation
import Render

/// The control socket's commands, one JSON object per line:
/// - `{"command":"status"}` → the screen on display (name, texts, buttons with their frames),
///   the appointment ID, camera/microphone states on both sides and the call's counters.
/// - `{"command":"stats"}` → the call's quality figures, both directions (`CallStats`).
/// - `{"command":"tap","x":640,"y":500}` → `{"button":"join"}` (or null): a touch at that
///   screen pixel, hit-tested against what is drawn, exactly like the touch panel; answered
///   once the screen has been drawn afresh after it.
/// - `{"command":"screenshot"}` → `{"png":"<base64>"}`, only with `service.control_screenshots`.
/// Errors: `{"error":"…"}`. Replies carry IDs and screen texts only, never a patient's name
/// (the kiosk is never told it) or an address.
struct ControlRequest: Decodable {
    var command: String
    var x: Int?
    var y: Int?
}

public struct ControlStatus: Codable, Equatable {
    struct Button: Codable, Equatable {
        var button: String
        var label: String
        var x: Int, y: Int, width: Int, height: Int
    }

    struct Media: Codable, Equatable {
        var camera: String
        var microphone: String
    }

    struct Call: Codable, Equatable {
        var state: String
        var videoFramesCaptured: Int
        var videoFramesEncoded: Int
        var videoFramesDecoded: Int
        var audioFramesEncoded: Int
        var audioPacketsDecoded: Int
        var audioFramesPlayed: Int
        /// The appointment the patient joined, for which a call may run; nil: none may.
        var consentedAppointment: String?
        /// The media path's candidate types, e.g. "relay-relay" (types only, never addresses).
        var selectedPair: String?
        /// The ICE agent in a few words: candidates and pairs by type and state, failures by
        /// cause (counts only, never addresses), for technicians and tests.
        var iceSummary: String?
        /// The send rate the clinician's feedback allows (bits per second), its last REMB, and
        /// how often loss made the kiosk back off.
        var targetBitrate: Int?
        var remoteEstimatedBitrate: Int?
        var sendRateDecreases: Int?
    }

    var screen: String
    var texts: [String]
    var buttons: [Button]
    var appointmentId: String?
    var own: Media
    var remote: Media
    var call: Call
    /// Whether the camera and microphone are open (the capture thread holds them).
    var devicesOpen: Bool
    var framesPresented: Int
}

extension KioskController {
    public func control(_ line: String, from peer: ControlSocket.Peer, screenshotsAllowed: Bool) async -> String {
        guard let request = try? JSONDecoder().decode(ControlRequest.self, from: Data(line.utf8)) else {
            return Self.error("expected one JSON object per line, e.g. {\"command\":\"status\"}")
        }
        switch request.command {
        case "status":
            return Self.encode(await status())
        case "stats":
            return Self.encode(await call.callStats())
        case "tap":
            guard let x = request.x, let y = request.y else { return Self.error("tap needs integer x and y") }
            let button = await tap(x: x, y: y)
            // Answered once the screen shows what the tap led to, so the next status reads it.
            await screen.nextDraw()
            // Who pressed what, from the socket (a tap through it is a person or a script acting
            // for the patient): the uid, never more.
            logger.notice("control tap", metadata: ["uid": "\(peer.uid)", "button": "\(button?.rawValue ?? "none")"])
            return Self.encode(["button": button?.rawValue])
        case "screenshot":
            guard screenshotsAllowed else { return Self.error("screenshots are off (service.control_screenshots)") }
            let png = await screen.screenshot()
            guard !png.isEmpty else { return Self.error("nothing on screen yet") }
            logger.notice("control screenshot", metadata: ["uid": "\(peer.uid)"])
            return Self.encode(["png": Data(png).base64EncodedString()])
        default:
            return Self.error("unknown command '\(request.command.prefix(32))' (status, stats, tap, screenshot)")
        }
    }

    func status() async -> ControlStatus {
        let stats = await call.stats()
        let layout = screen.layout
        let counters = media.counters
        let own = ownMediaState, remote = remoteMediaState
        return ControlStatus(
            screen: screen.presentedName,
            texts: layout?.texts.map(\.text) ?? [],
            buttons: layout?.buttons.map { .init(button: $0.button.rawValue, label: $0.label, x: $0.frame.x, y: $0.frame.y,
                                                 width: $0.frame.width, height: $0.frame.height) } ?? [],
            appointmentId: appointmentId,
            own: .init(camera: own.camera.rawValue, microphone: own.microphone.rawValue),
            remote: .init(camera: remote.camera.rawValue, microphone: remote.microphone.rawValue),
            call: .init(state: await call.state, videoFramesCaptured: counters.videoFramesCaptured,
                        videoFramesEncoded: counters.videoFramesEncoded, videoFramesDecoded: counters.videoFramesDecoded,
                        audioFramesEncoded: counters.audioFramesEncoded, audioPacketsDecoded: counters.audioPacketsDecoded,
                        audioFramesPlayed: counters.audioFramesPlayed, consentedAppointment: await call.consentedAppointment,
                        selectedPair: stats?.selectedPair, iceSummary: stats?.iceSummary,
                        targetBitrate: stats?.targetBitrate, remoteEstimatedBitrate: stats?.remoteEstimatedBitrate,
                        sendRateDecreases: stats?.sendRateDecreases),
            devicesOpen: media.devicesOpen,
            framesPresented: screen.framesPresented)
    }

    private static func encode<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let data = try? encoder.encode(value) else { return error("cannot encode the reply") }
        return String(decoding: data, as: UTF8.self)
    }

    private static func error(_ message: String) -> String { encode(["error": message]) }
}
