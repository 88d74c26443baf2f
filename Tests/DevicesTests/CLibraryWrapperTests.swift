import Foundation
import Media
import Synchronization
import Testing
@testable import Devices

/// Calls V4L2, ALSA and PulseAudio for real, on this machine, without hardware.
@Suite struct CLibraryWrapperTests {
    @Test func missingV4L2NodeIsNotFoundNamingPath() {
        #expect(throws: DeviceError.notFound(device: "/dev/video-kiosk-missing")) {
            _ = try V4L2Camera(path: "/dev/video-kiosk-missing")
        }
        let text = DeviceError.notFound(device: "/dev/video-kiosk-missing").description
        #expect(text.contains("/dev/video-kiosk-missing"))
    }

    @Test func nonVideoNodeNamesTheFailingIoctl() {
        do {
            _ = try V4L2Camera(path: "/dev/null")
            Issue.record("/dev/null opened as a camera")
        } catch {
            #expect(error == .system(device: "/dev/null", operation: "VIDIOC_QUERYCAP", errno: ENOTTY))
            #expect(error.description.contains("VIDIOC_QUERYCAP"))
        }
    }

    @Test func enumerationWithoutCamerasIsEmptyNotACrash() {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kiosk-nodev-\(getpid())").path
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(V4L2Enumeration.cameras(devDirectory: dir).isEmpty)
    }

    @Test func alsaNullDeviceOpensForPlaybackAndCapture() throws {
        let speaker = try ALSASpeaker(device: "null")
        try speaker.start()
        for i in 0..<5 {
            try speaker.write(SyntheticMicrophone.tone(frequency: 440, levelDBFS: -6, firstSample: i * 960, count: 960))
        }
        speaker.stop()
        let mic = try ALSAMicrophone(device: "null")
        try mic.start()
        let frame = try #require(try mic.read(timeoutMillis: 500))
        #expect(frame.samples.count == 960 && frame.sampleRate == 48_000)
        mic.stop()
        #expect(throws: DeviceError.notStarted(device: "null")) { try mic.read(timeoutMillis: 0) }
    }

    @Test func alsaMissingDeviceIsTypedError() {
        #expect(throws: DeviceError.notFound(device: "hw:CARD=NoSuchKioskCard,DEV=0")) {
            _ = try ALSAMicrophone(device: "hw:CARD=NoSuchKioskCard,DEV=0")
        }
        do {
            _ = try ALSASpeaker(device: "no-such-pcm-definition")
            Issue.record("opened an undefined PCM")
        } catch {
            #expect(error.description.contains("no-such-pcm-definition"))
        }
    }

    @Test func alsaWrongFrameShapeIsTypedError() throws {
        let speaker = try ALSASpeaker(device: "null", channels: 1)
        try speaker.start()
        #expect(throws: DeviceError.self) { try speaker.write(AudioFrame(channels: 2, samples: [0, 0])) }
    }

    @Test func alsaEnumerationWithoutCardsIsEmpty() {
        // This machine has no sound cards; the lab checks the populated case (snd-aloop).
        let devices = ALSAEnumeration.devices()
        if !FileManager.default.fileExists(atPath: "/dev/snd/controlC0") {
            #expect(devices.microphones.isEmpty && devices.speakers.isEmpty)
        }
    }

    @Test func pulseWithoutServerIsTypedConnectError() {
        do {
            _ = try PulseMicrophone(server: "unix:/nonexistent/kioskd-pulse/native")
            Issue.record("connected to a server that does not exist")
        } catch {
            guard case .pulse(_, let op, let code, let message) = error else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(op == "connect")
            #expect(code != 0)
            #expect(!message.isEmpty)
        }
    }

    static let pulseaudio = ["/usr/bin/pulseaudio"].first { FileManager.default.isExecutableFile(atPath: $0) }

    @Test(.enabled(if: pulseaudio != nil, "pulseaudio not installed"), .timeLimit(.minutes(1)))
    func pulseNullSinkToneRoundTrip() throws {
        let server = try ThrowawayPulseServer()
        defer { server.stop() }
        let address = server.address
        // The player's own failure, reported here: without it the test would fail only on
        // the missing tone, with no reason.
        let playerFailure = Mutex<String?>(nil)
        let player = Thread {
            let speaker: PulseSpeaker
            do {
                speaker = try PulseSpeaker(server: address, device: "null")
                try speaker.start()
            } catch {
                playerFailure.withLock { $0 = "\(error)" }
                return
            }
            for i in 0..<100 {  // 2 s of 1 kHz at -6 dBFS
                try? speaker.write(SyntheticMicrophone.tone(frequency: 1000, levelDBFS: -6, firstSample: i * 960, count: 960))
            }
            speaker.stop()
        }
        let mic = try PulseMicrophone(server: address, device: "null.monitor")
        try mic.start()
        player.start()
        var samples: [Int16] = []
        var meter = LevelMeter()
        for i in 0..<75 {
            let frame = try #require(try mic.read(timeoutMillis: 100))
            if i >= 15 {  // skip the start-up (silence before the player's first fragment)
                samples += frame.samples
                meter.add(frame.samples)
            }
        }
        #expect(playerFailure.withLock { $0 } == nil)
        let f = try #require(ToneAnalysis.estimateFrequency(samples))
        #expect(abs(f - 1000) / 1000 < 0.02, "frequency \(f)")
        #expect(abs(meter.rmsDBFS - (-6 - 3.01)) < 3, "rms \(meter.rmsDBFS)")
    }
}

/// `pulseaudio` with a 48 kHz null sink on a private socket, stopped by `stop()`.
final class ThrowawayPulseServer {
    let directory: String
    let process = Process()
    var address: String { "unix:\(directory)/native" }

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("kiosk-pulse-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/pulseaudio")
        process.arguments = ["-n", "--daemonize=no", "--exit-idle-time=-1", "--disable-shm=yes", "--use-pid-file=no",
                             "--system=no", "--log-target=stderr", "--log-level=error",
                             "-L", "module-null-sink sink_name=null rate=48000",
                             "-L", "module-native-protocol-unix socket=\(directory)/native auth-anonymous=1"]
        var env = ProcessInfo.processInfo.environment
        env["HOME"] = directory
        env["XDG_RUNTIME_DIR"] = directory
        process.environment = env
        process.standardError = FileHandle.nullDevice
        try process.run()
        for _ in 0..<100 where !FileManager.default.fileExists(atPath: "\(directory)/native") { usleep(50_000) }
        usleep(100_000)
    }

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: directory)
    }
}
