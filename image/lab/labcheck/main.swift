// devices-labcheck: the Devices checks the lab VM runs against real kernel drivers (vivid,
// snd-aloop, uinput). Prints one line per check, "CHECK <name> ok|fail <detail>", and exits
// non-zero if any failed. Also: `inventory` (the JSON `kioskd devices --json` prints),
// `bench` (conversion cost on this machine), `open-as-nobody PATH` (EACCES probe, internal).
import CTurboJPEG
import CV4L2
import Devices
import Foundation
import Media

/// Unbuffered line output: the serial console must show each line as it happens.
func say(_ line: String) {
    let bytes = Array((line + "\n").utf8)
    _ = bytes.withUnsafeBytes { write(1, $0.baseAddress, $0.count) }
}

nonisolated(unsafe) var failures = 0  // only touched from the main thread
nonisolated(unsafe) var lastCheckNanos = monotonicNanos()
func check(_ name: String, _ ok: Bool, _ detail: String) {
    if !ok { failures += 1 }
    let t = monotonicNanos()
    say("LAB: \(name) took \(fmt(Double(t - lastCheckNanos) / 1e9, 2))s")
    lastCheckNanos = t
    say("CHECK \(name) \(ok ? "ok" : "fail") \(detail)")
}

func monotonicNanos() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
}

func fmt(_ v: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", v) }

func writeSysfs(_ path: String, _ value: String) -> Bool {
    guard let h = FileHandle(forWritingAtPath: path) else { return false }
    defer { try? h.close() }
    do { try h.write(contentsOf: Data(value.utf8)) } catch { return false }
    return true
}

/// Runs this program again with `arguments` (posix_spawn: Foundation's Process needs more than
/// the lab's minimal guest offers) and returns its exit status and output.
func spawnCapturing(_ arguments: [String]) -> (Int32, String) {
    let outPath = "/tmp/labcheck-child-\(getpid()).txt"
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    let argv = (["/proc/self/exe"] + arguments).map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    var pid: pid_t = 0
    guard posix_spawn(&pid, "/proc/self/exe", &actions, nil, argv, environ) == 0 else { return (-1, "posix_spawn failed") }
    var status: Int32 = 0
    waitpid(pid, &status, 0)
    let text = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
    unlink(outPath)
    let exited = status & 0x7f == 0
    return (exited ? (status >> 8) & 0xff : -1, text.trimmingCharacters(in: .whitespacesAndNewlines))
}

func jsonString<T: Encodable>(_ value: T) -> String {
    let enc = JSONEncoder()
    enc.outputFormatting = [.sortedKeys, .prettyPrinted]
    return (try? enc.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
}

let arguments = Array(CommandLine.arguments.dropFirst())
/// LAB_DEVICES_ONLY=a,b (the guest's lab.devices_only=): run only these checks (inventory always).
let onlyChecks = Set((ProcessInfo.processInfo.environment["LAB_DEVICES_ONLY"] ?? "").split(separator: ",").map(String.init))
func wanted(_ name: String) -> Bool { onlyChecks.isEmpty || onlyChecks.contains(name) }
let outDirectory = arguments.firstIndex(of: "--out").flatMap { $0 + 1 < arguments.count ? arguments[$0 + 1] : nil } ?? "/tmp"

switch arguments.first {
case "inventory":
    say(jsonString(Devices.inventory()))
    exit(0)
case "open-as-nobody":
    // Drop to nobody, then open the node: must be a typed permission error.
    guard arguments.count > 1, setgroups(0, nil) == 0, setgid(65534) == 0, setuid(65534) == 0 else {
        say("cannot drop privileges")
        exit(2)
    }
    do {
        _ = try V4L2Camera(path: arguments[1])
        say("opened")
        exit(1)
    } catch {
        say("\(error)")
        exit(error == .permissionDenied(device: arguments[1]) ? 0 : 1)
    }
case "bench":
    Bench.run()
    exit(0)
case "touch-tap":
    // touch-tap WIDTH HEIGHT X Y: a uinput touch panel appears, waits for a reader to open it,
    // taps screen pixel (X, Y) and goes away; for driving a running kioskd by real touch.
    let n = arguments.dropFirst().compactMap { Int($0) }
    guard n.count == 4, n[0] > 1, n[1] > 1 else {
        say("usage: devices-labcheck touch-tap WIDTH HEIGHT X Y")
        exit(2)
    }
    do {
        let panel = try UInputPanel(name: "kiosk-lab-touch")
        sleep(3)  // kioskd looks for a panel every 2 s
        panel.tap(rawX: UInputPanel.raw(n[2], of: n[0]), rawY: UInputPanel.raw(n[3], of: n[1]))
        usleep(500_000)
        say("tapped \(n[2]),\(n[3])")
        exit(0)
    } catch {
        say("\(error)")
        exit(1)
    }
default:
    break
}

// ---------------------------------------------------------------- inventory
let inventory = Devices.inventory()
try? jsonString(inventory).write(toFile: outDirectory + "/inventory.json", atomically: true, encoding: .utf8)
let vivid = inventory.cameras.filter { $0.driver == "vivid" }
let loopMics = inventory.microphones.filter { $0.card.contains("Loopback") }
let loopSpeakers = inventory.speakers.filter { $0.card.contains("Loopback") }
let vividFormats = vivid.first?.formats.map(\.fourcc) ?? []
check("inventory", vivid.count >= 1 && vividFormats.contains("YUYV") && vivid[0].formats.contains { !$0.sizes.isEmpty }
      && !loopMics.isEmpty && !loopSpeakers.isEmpty,
      "cameras=\(inventory.cameras.map(\.id)) vivid_formats=\(vividFormats.count) mics=\(loopMics.map(\.id)) speakers=\(loopSpeakers.map(\.id)) touch=\(inventory.touchPanels.count)")

// ---------------------------------------------------------------- camera capture
func pixelCheck(_ f: VideoFrame) -> (ok: Bool, detail: String) {
    var sum = 0, bright = 0
    for i in 0..<f.lumaCount {
        let y = Int(f.planes[i])
        sum += y
        if y > 32 { bright += 1 }
    }
    let row = f.height / 2
    var levels = Set<Int>()
    for x in stride(from: 0, to: f.width, by: 4) { levels.insert(Int(f.planes[row * f.width + x]) / 16) }
    let u = f.planes[f.uOffset..<f.vOffset]
    let uRange = Int(u.max() ?? 0) - Int(u.min() ?? 0)
    let mean = Double(sum) / Double(f.lumaCount), brightShare = Double(bright) / Double(f.lumaCount)
    // vivid's default pattern is 75 % colour bars: several luma levels across a row, strong chroma.
    let ok = mean > 40 && mean < 220 && brightShare > 0.5 && levels.count >= 5 && uRange > 60
    return (ok, "mean_y=\(fmt(mean)) bright=\(fmt(brightShare * 100))% luma_levels=\(levels.count) u_range=\(uRange)")
}

/// One 5 s capture at 640x480@30. The loop does nothing but dequeue/convert/requeue (inside
/// `nextFrame`) and count; everything else (pixel check, saving) happens after the window.
/// `loop_busy_pct` is the share of the window the consumer spent converting: far below 100 %
/// means frames missing from the 150 were never produced (vivid's own thread ran late under
/// emulation: `dropped` counts its sequence gaps), not left waiting for us.
func captureAttempt(_ cam: CameraInfo, attempt: Int) -> (ok: Bool, detail: String) {
    do {
        let camera = try V4L2Camera(path: cam.path, request: CameraRequest(width: 640, height: 480, fps: 30))
        try camera.start()
        let window: Int64 = 5_000_000_000
        let start = monotonicNanos()
        var frames = 0, wrongShape = 0, firstFrameNanos: Int64 = -1
        var last: VideoFrame?
        let i420Bytes = VideoFrame.byteCount(width: 640, height: 480)
        while true {
            let now = monotonicNanos()
            if now - start >= window { break }
            let remainingMillis = Int((window - (now - start)) / 1_000_000) + 1
            if let f = try camera.nextFrame(now: now, timeoutMillis: min(200, remainingMillis)) {
                if monotonicNanos() - start > window { break }  // arrived after the window closed
                if frames == 0 { firstFrameNanos = monotonicNanos() - start }
                frames += 1
                if f.width != 640 || f.height != 480 || f.planes.count != i420Bytes { wrongShape += 1 }
                last = f
            }
        }
        let elapsed = monotonicNanos() - start
        camera.stop()
        let px: (ok: Bool, detail: String) = last.map(pixelCheck) ?? (false, "no frame")
        if let last {
            try? Data(last.planes).write(to: URL(fileURLWithPath: outDirectory + "/vivid-640x480.i420"))
        }
        let s = camera.statistics
        let busy = Double(s.processingNanos) / Double(elapsed) * 100
        return (frames >= 140 && wrongShape == 0 && px.ok,
                "attempt=\(attempt) \(camera.mode.pixelFormat) \(camera.mode.width)x\(camera.mode.height)@\(fmt(camera.mode.fps)) frames=\(frames)/5s need=140 i420_wrong_shape=\(wrongShape) first_frame_ms=\(fmt(Double(firstFrameNanos) / 1e6)) delivered_fps=\(fmt(s.deliveredFPS)) dropped=\(s.framesDropped) loop_busy_pct=\(fmt(busy)) cpu_ms_per_frame=\(fmt(s.processingMillisPerFrame, 2)) \(px.detail)")
    } catch {
        return (false, "attempt=\(attempt) \(error)")
    }
}

if wanted("camera_capture") {
    if let cam0 = vivid.first {
        // Under heavy host load the emulated vivid thread can fall behind for a moment: one
        // retry of this check alone, both attempts reported (the first as `retry`).
        var result = captureAttempt(cam0, attempt: 1)
        if !result.ok {
            say("CHECK camera_capture retry \(result.detail)")
            result = captureAttempt(cam0, attempt: 2)
        }
        check("camera_capture", result.ok, result.detail)
    } else {
        check("camera_capture", false, "no vivid camera")
    }
}

// The other uncompressed paths vivid offers, through the same converter: 1 s each.
if wanted("camera_formats"), let cam0 = vivid.first {
    for fourcc in ["NV12", "YU12"] {
        do {
            let camera = try V4L2Camera(path: cam0.path, request: CameraRequest(width: 640, height: 480, fps: 30, pixelFormat: fourcc))
            try camera.start()
            let start = monotonicNanos()
            var frames = 0
            var last: VideoFrame?
            while monotonicNanos() - start < 1_000_000_000 {
                if let f = try camera.nextFrame(now: monotonicNanos(), timeoutMillis: 200) {
                    frames += 1
                    last = f
                }
            }
            camera.stop()
            let px: (ok: Bool, detail: String) = last.map(pixelCheck) ?? (false, "no frame")
            check("camera_\(fourcc.lowercased())", camera.mode.pixelFormat == fourcc && frames >= 20 && px.ok,
                  "\(camera.mode.pixelFormat) \(camera.mode.width)x\(camera.mode.height) frames=\(frames)/1s \(px.detail)")
        } catch {
            check("camera_\(fourcc.lowercased())", false, "\(error)")
        }
    }
}

// ---------------------------------------------------------------- audio loopback
if !wanted("audio_loopback") {
} else if let mic = loopMics.first(where: { $0.device.hasSuffix("DEV=1") }), let spk = loopSpeakers.first(where: { $0.device.hasSuffix("DEV=0") }) {
    let playbackDevice = spk.device
    let done = DispatchSemaphore(value: 0)
    nonisolated(unsafe) var playbackXruns = 0  // written by the player before done.signal(), read after done.wait()
    let player = Thread {
        defer { done.signal() }
        do {
            // A deep buffer: under TCG on a busy host the player thread can be late by 100 ms.
            let speaker = try ALSASpeaker(device: playbackDevice, latencyMillis: 250)
            try speaker.start()
            for i in 0..<100 {  // 2 s of 1 kHz at -6 dBFS
                try speaker.write(SyntheticMicrophone.tone(frequency: 1000, levelDBFS: -6, firstSample: i * 960, count: 960))
            }
            speaker.stop()
            playbackXruns = speaker.xruns
        } catch {
            say("LAB: playback failed: \(error)")
        }
    }
    do {
        let microphone = try ALSAMicrophone(device: mic.device, latencyMillis: 250)
        try microphone.start()
        player.start()
        var samples: [Int16] = []
        var meter = LevelMeter()
        var n = 0
        while n < 70 {
            guard let frame = try microphone.read(timeoutMillis: 500) else { break }
            if n >= 20 {  // skip 400 ms: the player starting up
                samples += frame.samples
                meter.add(frame.samples)
            }
            n += 1
        }
        microphone.stop()
        done.wait()
        let f = ToneAnalysis.estimateFrequency(samples) ?? 0
        let expectedRMS = -6 - 3.01
        check("audio_loopback", abs(f - 1000) / 1000 <= 0.02 && abs(meter.rmsDBFS - expectedRMS) <= 3,
              "\(spk.device) -> \(mic.device) frames=\(n) freq_hz=\(fmt(f, 2)) rms_dbfs=\(fmt(meter.rmsDBFS, 2)) peak_dbfs=\(fmt(meter.peakDBFS, 2)) expected=1000Hz/\(fmt(expectedRMS, 2))dBFS capture_xruns=\(microphone.xruns) playback_xruns=\(playbackXruns)")
    } catch {
        check("audio_loopback", false, "\(error)")
    }
} else {
    check("audio_loopback", false, "no Loopback capture/playback pair")
}

// ---------------------------------------------------------------- xrun recovery
// Stop reading for 400 ms with an 80 ms buffer: the capture overruns; reading again must
// recover (snd_pcm_recover) and deliver frames, counting the overrun.
if wanted("audio_xrun_recovery"), let mic = loopMics.first(where: { $0.device.hasSuffix("DEV=1") }) {
    do {
        let microphone = try ALSAMicrophone(device: mic.device, latencyMillis: 80)
        try microphone.start()
        _ = try microphone.read(timeoutMillis: 500)
        usleep(400_000)
        var frames = 0
        for _ in 0..<10 where try microphone.read(timeoutMillis: 500) != nil { frames += 1 }
        microphone.stop()
        check("audio_xrun_recovery", microphone.xruns >= 1 && frames == 10, "xruns=\(microphone.xruns) frames_after=\(frames)/10")
    } catch {
        check("audio_xrun_recovery", false, "\(error)")
    }
}

// ---------------------------------------------------------------- bad input
if wanted("errors") {
    do {
        _ = try V4L2Camera(path: "/dev/video-does-not-exist")
        check("error_missing_node", false, "opened")
    } catch {
        check("error_missing_node", error == .notFound(device: "/dev/video-does-not-exist"), "\(error)")
    }
    if let cam0 = vivid.first {
        do {
            _ = try V4L2Camera(path: cam0.path, request: CameraRequest(pixelFormat: "H264"))
            check("error_unsupported_format", false, "opened H264")
        } catch {
            if case .unsupportedFormat(_, "H264", let available) = error, !available.isEmpty {
                check("error_unsupported_format", true, "\(error)")
            } else {
                check("error_unsupported_format", false, "\(error)")
            }
        }
    }
    do {
        let first = try ALSASpeaker(device: "hw:CARD=Loopback,DEV=0,SUBDEV=1")
        do {
            _ = try ALSASpeaker(device: "hw:CARD=Loopback,DEV=0,SUBDEV=1")
            check("error_alsa_busy", false, "opened twice")
        } catch {
            check("error_alsa_busy", error == .busy(device: "hw:CARD=Loopback,DEV=0,SUBDEV=1"), "\(error)")
        }
        _ = first
    } catch {
        check("error_alsa_busy", false, "first open failed: \(error)")
    }
    if let cam1 = vivid.dropFirst().first ?? vivid.first {
        chmod(cam1.path, 0o600)
        let (status, text) = spawnCapturing(["open-as-nobody", cam1.path])
        check("error_permission_denied", status == 0, text)
        chmod(cam1.path, 0o660)
    }
}

// ---------------------------------------------------------------- hotplug
if wanted("hotplug") { HotplugCheck.run(vivid: vivid.first) }

// ---------------------------------------------------------------- touch
if wanted("touch_tap") { TouchCheck.run() }

say("LAB: devices-labcheck failures=\(failures)")
exit(failures == 0 ? 0 : 1)
