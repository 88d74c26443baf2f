import ICE
/// The complete list of configuration keys. docs/configuration.md mirrors it, and a test
/// checks that every key here is documented there and shown in examples/kioskd.toml.
enum ConfigKeys {
    static let logLevels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]

    static var all: [ConfigKey] {
        [
            .string("kiosk", "id", \.kiosk.id, pattern: validKioskID,
                    help: "Stable kiosk ID known to the practice; the only kiosk identity that appears in logs."),
            .string("practice", "url", \.practice.url, pattern: validSignalingURL,
                    help: "Signaling endpoint: wss://host[:port]/path (ws:// only for loopback hosts)."),
            .string("practice", "token_file", \.practice.tokenFile, pattern: absolutePath,
                    help: "Absolute path of the file holding the kiosk's enrolment token."),
            .string("practice", "ca_file", \.practice.caFile, pattern: { $0.isEmpty ? nil : absolutePath($0) },
                    help: "PEM file of a private CA trusted for the practice's wss:// certificate, besides the system's."),
            .string("devices", "camera", \.devices.camera, pattern: deviceSelector,
                    help: "\"auto\", \"synthetic\", \"none\" or a stable camera ID from `kioskd devices`."),
            .string("devices", "microphone", \.devices.microphone, pattern: deviceSelector,
                    help: "\"auto\", \"synthetic\", \"none\" or a stable microphone ID."),
            .string("devices", "speaker", \.devices.speaker, pattern: deviceSelector,
                    help: "\"auto\", \"synthetic\", \"none\" or a stable speaker ID."),
            .string("devices", "touch", \.devices.touch, pattern: deviceSelector,
                    help: "\"auto\", \"none\" or a stable touch panel ID."),
            .integer("devices", "capture_width", \.devices.captureWidth, range: 160...3840,
                     help: "Requested camera width in pixels; the nearest supported size is used."),
            .integer("devices", "capture_height", \.devices.captureHeight, range: 120...2160,
                     help: "Requested camera height in pixels."),
            .integer("devices", "capture_fps", \.devices.captureFPS, range: 1...60,
                     help: "Requested camera frame rate."),
            .string("display", "device", \.display.device, pattern: displaySelector,
                    help: "\"auto\" (first card with a connected connector), \"offscreen\", or a /dev/dri/cardN path."),
            .string("display", "mode", \.display.mode, pattern: validMode,
                    help: "\"preferred\" or WIDTHxHEIGHT or WIDTHxHEIGHT@HZ."),
            .integer("display", "self_view_width", \.display.selfViewWidth, range: 64...1920,
                     help: "Width in pixels of the patient's own picture in the upper-left corner."),
            .integer("display", "self_view_margin", \.display.selfViewMargin, range: 0...400,
                     help: "Gap in pixels between the self view and the screen's top and left edges."),
            .boolean("display", "mirror_self_view", \.display.mirrorSelfView,
                     help: "Show the self view mirrored, as a person expects to see themselves."),
            .strings("call", "stun_servers", \.call.stunServers, each: validICEServer(scheme: "stun"),
                     help: "Extra STUN servers (stun:host:port), added to those the practice sends."),
            .strings("call", "turn_servers", \.call.turnServers, each: validICEServer(scheme: "turn"),
                     help: "Extra TURN servers (turn:host[:port][?transport=udp|tcp], turns:host[:port]), used with call.turn_username and call.turn_password_file."),
            .string("call", "turn_username", \.call.turnUsername, pattern: { $0.utf8.count > 256 ? "expected at most 256 bytes" : nil },
                    help: "Long-term TURN user name for call.turn_servers (the practice's own servers bring theirs)."),
            .string("call", "turn_password_file", \.call.turnPasswordFile, pattern: { $0.isEmpty ? nil : absolutePath($0) },
                    help: "Absolute path of the file holding the TURN password for call.turn_servers."),
            .string("call", "turn_ca_file", \.call.turnCAFile, pattern: { $0.isEmpty ? nil : absolutePath($0) },
                    help: "PEM file of a private CA trusted for turns: servers' certificates, besides the system's."),
            .string("call", "ice_transport_policy", \.call.iceTransportPolicy, allowed: ["all", "relay"],
                    help: "all, or relay: only relayed candidates, so the peer never learns the kiosk's addresses."),
            .boolean("call", "mdns_host_candidates", \.call.mdnsHostCandidates,
                     help: "Offer host candidates under random mDNS names (<uuid>.local) instead of the kiosk's LAN addresses; only a peer on the same link resolves them."),
            .boolean("call", "video_fec", \.call.videoFEC,
                     help: "Offer and accept video FEC (ULPFEC inside RED): lost packets rebuilt without a round trip."),
            .integer("call", "max_video_bitrate_kbps", \.call.maxVideoBitrateKbps, range: 100...8000,
                     help: "Upper bound on the video bitrate the kiosk sends."),
            .integer("call", "audio_bitrate_kbps", \.call.audioBitrateKbps, range: 8...128,
                     help: "Opus bitrate."),
            .string("service", "log_level", \.service.logLevel, allowed: logLevels,
                    help: "Least severe level logged."),
            .string("service", "state_directory", \.service.stateDirectory, pattern: absolutePath,
                    help: "Where kioskd keeps its state (systemd's StateDirectory)."),
            .string("service", "control_socket", \.service.controlSocket, pattern: absolutePath,
                    help: "Unix socket for technicians' and IT's commands."),
            .boolean("service", "control_screenshots", \.service.controlScreenshots,
                     help: "Let the control socket return screenshots. They can show the patient: off on a kiosk in use."),
            .integer("kiosk", "ended_screen_seconds", \.kiosk.endedScreenSeconds, range: 5...3600,
                     help: "How long the ended screen waits for Rejoin before the kiosk goes back to idle."),
        ]
    }

    static let validKioskID: @Sendable (String) -> String? = { s in
        let ok = !s.isEmpty && s.count <= 64 && s.utf8.allSatisfy {
            ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5a) || ($0 >= 0x61 && $0 <= 0x7a)
                || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".")
        }
        return ok ? nil : "'\(s)' is not a valid kiosk ID (allowed: 1 to 64 of A-Z a-z 0-9 - _ .)"
    }

    static let absolutePath: @Sendable (String) -> String? = { s in
        s.hasPrefix("/") ? nil : "'\(s)' is not an absolute path (allowed: a path starting with /)"
    }

    static let deviceSelector: @Sendable (String) -> String? = { s in
        s.isEmpty ? "an empty device name is not allowed (allowed: auto, synthetic, none, or a device ID)" : nil
    }

    static let displaySelector: @Sendable (String) -> String? = { s in
        if s == "auto" || s == "offscreen" || s.hasPrefix("/dev/dri/") { return nil }
        return "'\(s)' is not allowed (allowed values: auto, offscreen, /dev/dri/cardN)"
    }

    static let validMode: @Sendable (String) -> String? = { s in
        if s == "preferred" { return nil }
        let parts = s.split(separator: "@", omittingEmptySubsequences: false)
        let size = parts[0].split(separator: "x", omittingEmptySubsequences: false)
        let ok = parts.count <= 2 && size.count == 2 && size.allSatisfy { Int($0).map { $0 > 0 && $0 <= 8192 } ?? false }
            && (parts.count == 1 || Int(parts[1]).map { $0 > 0 && $0 <= 240 } ?? false)
        return ok ? nil : "'\(s)' is not a display mode (allowed: preferred, WIDTHxHEIGHT, WIDTHxHEIGHT@HZ)"
    }

    static let validSignalingURL: @Sendable (String) -> String? = { s in
        if s.hasPrefix("wss://"), s.count > 6 {
            let authority = s.dropFirst(6).prefix { $0 != "/" }
            let host = authority.hasPrefix("[") ? authority : authority.prefix { $0 != ":" }
            if host.hasPrefix("[") || (!host.isEmpty && host.allSatisfy { $0.isNumber || $0 == "." }) {
                return "wss:// needs the host name its certificate names, not an IP address"
            }
            return nil
        }
        if s.hasPrefix("ws://") {
            let host = s.dropFirst(5).prefix { $0 != "/" && $0 != ":" }
            if host == "127.0.0.1" || host == "localhost" || s.dropFirst(5).hasPrefix("[::1]") { return nil }
            return "plain ws:// is only allowed to a loopback host (allowed: wss://host/path, or ws://127.0.0.1:PORT/path)"
        }
        return "'\(s)' is not a WebSocket URL (allowed: wss://host[:port]/path)"
    }

    static func validICEServer(scheme: String) -> @Sendable (String) -> String? {
        { s in
            do {
                let url = try ICEServerURL(parsing: s)
                guard url.isTURN == (scheme == "turn") else {
                    return "'\(s)' is not a \(scheme) server (allowed: \(scheme):host[:port])"
                }
                guard url.isUsableByAgent else {
                    return scheme == "turn"
                        ? "'\(s)': turns: runs over TCP only (allowed: turn:host[:port][?transport=udp|tcp], turns:host[:port])"
                        : "'\(s)': only stun: over UDP is supported (no stuns:)"
                }
                return nil
            } catch {
                return "'\(s)' is not a \(scheme) server URL: \(error)"
            }
        }
    }
}
