/// Everything `kioskd.toml` can set. Defaults are what a kiosk out of the box should do;
/// docs/configuration.md documents every key and examples/kioskd.toml shows them all.
struct KioskConfig: Equatable, Sendable {
    struct Kiosk: Equatable, Sendable {
        /// The stable ID the practice knows this kiosk by; the only kiosk identity in logs.
        var id = "kiosk-unprovisioned"
        var endedScreenSeconds = 120
    }

    struct Practice: Equatable, Sendable {
        /// The practice's signaling endpoint (wss:// in production, ws:// only on loopback).
        var url = "ws://127.0.0.1:8080/ws"
        /// File holding the kiosk's enrolment token (kept out of the config file).
        var tokenFile = "/etc/kioskd/token"
        /// A PEM file of CA certificates trusted for wss:// besides the system's ("" for none).
        var caFile = ""
    }

    struct Devices: Equatable, Sendable {
        var camera = "auto"
        var microphone = "auto"
        var speaker = "auto"
        var touch = "auto"
        var captureWidth = 640
        var captureHeight = 480
        var captureFPS = 30
    }

    struct Display: Equatable, Sendable {
        var device = "auto"
        var mode = "preferred"
        var selfViewWidth = 320
        var selfViewMargin = 24
        var mirrorSelfView = true
    }

    struct Call: Equatable, Sendable {
        var stunServers: [String] = []
        var turnServers: [String] = []
        var turnUsername = ""
        var turnPasswordFile = ""
        var turnCAFile = ""
        var iceTransportPolicy = "all"
        var mdnsHostCandidates = false
        var videoFEC = true
        var maxVideoBitrateKbps = 1500
        var audioBitrateKbps = 32
    }

    struct Service: Equatable, Sendable {
        var logLevel = "info"
        var stateDirectory = "/var/lib/kioskd"
        var controlSocket = "/run/kioskd/control.sock"
        var controlScreenshots = false
    }

    var kiosk = Kiosk()
    var practice = Practice()
    var devices = Devices()
    var display = Display()
    var call = Call()
    var service = Service()

    static let defaultPath = "/etc/kioskd/kioskd.toml"
}
