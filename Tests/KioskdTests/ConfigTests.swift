import Foundation
import Testing
@testable import kioskd

@Suite struct ConfigTests {
    @Test func exampleConfigLoadsWithEveryKeySet() throws {
        let path = KioskdProcess.repoRoot.appendingPathComponent("examples/kioskd.toml").path
        let config = try ConfigLoader.load(path: path, mustExist: true)
        #expect(config.kiosk.id == "kiosk-1")
        #expect(config.display.selfViewWidth == 320)
        #expect(config.service.logLevel == "info")
        // The example must show every documented key, so IT sees them all.
        let text = try String(contentsOfFile: path, encoding: .utf8)
        for key in ConfigKeys.all {
            #expect(text.contains("\n\(key.name) = "), "examples/kioskd.toml lacks \(key.fullName)")
        }
    }

    @Test func everyKeyIsDocumented() throws {
        let doc = try String(contentsOf: KioskdProcess.repoRoot.appendingPathComponent("docs/configuration.md"), encoding: .utf8)
        for key in ConfigKeys.all {
            #expect(doc.contains("`\(key.fullName)`"), "docs/configuration.md lacks \(key.fullName)")
        }
    }

    @Test func missingDefaultFileMeansDefaults() throws {
        let config = try ConfigLoader.load(path: "/nonexistent/kioskd.toml", mustExist: false)
        #expect(config == KioskConfig())
    }

    @Test func missingExplicitFileIsAnError() {
        #expect(throws: ConfigError(file: "/nonexistent/k.toml", line: 0, key: nil, message: "file not found")) {
            try ConfigLoader.load(path: "/nonexistent/k.toml", mustExist: true)
        }
    }

    @Test(arguments: [
        ("[devices]\ncamera = \"auto\"\ncamra = \"x\"\n", 3, "devices.camra", "did you mean 'camera'?"),
        ("[devices]\ncapture_fps = \"thirty\"\n", 2, "devices.capture_fps", "expected an integer, found string"),
        ("[devices]\ncapture_fps = 500\n", 2, "devices.capture_fps", "500 is out of range (allowed: 1 to 60)"),
        ("[service]\nlog_level = \"loud\"\n", 2, "service.log_level", "allowed values: trace, debug, info, notice, warning, error, critical"),
        ("[display]\nmirror_self_view = 1\n", 2, "display.mirror_self_view", "expected true or false, found integer"),
        ("[call]\nmdns_host_candidates = \"yes\"\n", 2, "call.mdns_host_candidates", "expected true or false, found string"),
        ("[call]\n\nvideo_fec = 1\n", 3, "call.video_fec", "expected true or false, found integer"),
        ("[display]\nmode = \"big\"\n", 2, "display.mode", "allowed: preferred, WIDTHxHEIGHT, WIDTHxHEIGHT@HZ"),
        ("[practice]\nurl = \"ws://clinic.example/ws\"\n", 2, "practice.url", "only allowed to a loopback host"),
        ("[call]\nturn_servers = [1]\n", 2, "call.turn_servers", "expected an array of strings"),
        ("[call]\n\nturn_servers = [\"turns:relay.example:443?transport=udp\"]\n", 3, "call.turn_servers", "turns: runs over TCP only"),
        ("[call]\nturn_servers = [\"turn:relay.example?transport=sctp\"]\n", 2, "call.turn_servers", "?transport=udp or ?transport=tcp"),
        ("[call]\nstun_servers = [\"stuns:relay.example\"]\n", 2, "call.stun_servers", "no stuns:"),
        ("[call]\nturn_ca_file = \"ca.pem\"\n", 2, "call.turn_ca_file", "absolute"),
        ("[call]\nturn_servers = [\"stun:relay.example\"]\n", 2, "call.turn_servers", "is not a turn server"),
        ("[call]\nstun_servers = [\"stun:u@relay.example\"]\n", 2, "call.stun_servers", "no user, password or path"),
        ("[call]\nice_transport_policy = \"none\"\n", 2, "call.ice_transport_policy", "allowed values: all, relay"),
        ("[call]\nturn_password_file = \"secret.txt\"\n", 2, "call.turn_password_file", "absolute"),
        ("[kiosk]\nid = \"has space\"\n", 2, "kiosk.id", "not a valid kiosk ID"),
        ("[practice]\nurl = \"wss://192.0.2.7/ws\"\n", 2, "practice.url", "not an IP address"),
        ("[practice]\nurl = \"wss://[2001:db8::7]:443/ws\"\n", 2, "practice.url", "not an IP address"),
        ("[practice]\nca_file = \"ca.pem\"\n", 2, "practice.ca_file", "absolute"),
    ])
    func badValuesNameLineKeyAndAllowed(text: String, line: Int, key: String, fragment: String) {
        do {
            _ = try ConfigLoader.parse(bytes: Array(text.utf8), file: "/etc/kioskd/kioskd.toml")
            Issue.record("accepted bad config")
        } catch {
            #expect(error.line == line)
            #expect(error.key == key)
            #expect(error.description.hasPrefix("/etc/kioskd/kioskd.toml:\(line): key '\(key)': "))
            #expect(error.description.contains(fragment), "\(error.description)")
        }
    }

    /// RFC 7065: TURN over UDP, TCP and TLS, and the CA file for turns: servers.
    @Test func turnOverTCPAndTLSAreAccepted() throws {
        let text = """
            [call]
            turn_servers = ["turn:relay.example", "turn:relay.example:3478?transport=tcp", "turns:relay.example:443", "turns:192.0.2.7"]
            turn_ca_file = "/etc/kioskd/turn-ca.pem"
            """
        let config = try ConfigLoader.parse(bytes: Array(text.utf8), file: "/etc/kioskd/kioskd.toml")
        #expect(config.call.turnServers.count == 4)
        #expect(config.call.turnCAFile == "/etc/kioskd/turn-ca.pem")
    }

    @Test func unknownTableAndStrayKeyAreErrors() {
        #expect(throws: ConfigError.self) { try ConfigLoader.parse(bytes: Array("[vidoe]\n".utf8), file: "f") }
        #expect(throws: ConfigError.self) { try ConfigLoader.parse(bytes: Array("id = \"x\"\n".utf8), file: "f") }
    }

    @Test func syntaxErrorNamesFileAndLine() {
        do {
            _ = try ConfigLoader.parse(bytes: Array("[kiosk]\n\nid = \"open\n".utf8), file: "k.toml")
            Issue.record("accepted bad config")
        } catch {
            #expect(error.description.hasPrefix("k.toml:3: string is not closed"))
        }
    }

    /// The exit status and stderr of the real binary, as IT would see them.
    @Test(arguments: [
        ("[kiosk]\nid = \"k\"\nsecret = 1\n", "kioskd.toml:3: key 'kiosk.secret': unknown key"),
        ("[display]\nself_view_width = \"wide\"\n", "kioskd.toml:2: key 'display.self_view_width': expected an integer, found string"),
        ("[display]\n\ndevice = \"/dev/fb0\"\n", "kioskd.toml:3: key 'display.device': '/dev/fb0' is not allowed (allowed values: auto, offscreen, /dev/dri/cardN)"),
    ])
    func binaryExitsTwoWithTheMessage(text: String, expected: String) throws {
        let path = try KioskdProcess.writeConfig(text)
        let result = try KioskdProcess.run(["run", "--config", path])
        #expect(result.status == 2)
        #expect(result.stderr.contains(expected), "stderr was: \(result.stderr)")
        #expect(result.stderr.contains(path))
    }
}
