import Benchmark
import Codecs
import DTLS
import Glibc
import SessionCore
import SessionPeer

/// The whole two-way call (see `Call`), with real codecs and with pre-encoded media replayed,
/// and its peak resident memory measured in a separate, uninstrumented process.
enum CallBench {
    static let probeVariable = "KIOSK_BENCH_CALL_PROBE"

    enum Metric {
        static let aTotal = BenchmarkMetric.custom("A CPU ms per 20 s of call", useScalingFactor: false)
        static let bTotal = BenchmarkMetric.custom("B CPU ms per 20 s of call", useScalingFactor: false)
        static let aTransport = BenchmarkMetric.custom("A transport CPU ms per 20 s", useScalingFactor: false)
        static let peakRSS = BenchmarkMetric.custom("peak RSS KiB (separate process)", useScalingFactor: false)
        static let baselineRSS = BenchmarkMetric.custom("RSS KiB before the call (same process)", useScalingFactor: false)
    }

    final class Results: @unchecked Sendable {
        var runs: [CallResult] = []
    }

    /// Call length; `KIOSK_BENCH_CALL_SECONDS` shortens it for diagnostics (e.g. under gdb).
    static let seconds: Int = getenv("KIOSK_BENCH_CALL_SECONDS").flatMap { Int(String(cString: $0)) } ?? 20

    static func register() {
        for content in [CallMedia.Content.talkingHead, .fullMotion] {
            let live = Results()
            let liveName = "Call \(seconds) s two-way 640x480@30 VP8+Opus, real codecs, \(content.rawValue)"
            Benchmark(liveName, configuration: .init(metrics: [.wallClock, .cpuTotal, .mallocCountTotal,
                                                               Metric.aTotal, Metric.bTotal, Metric.aTransport],
                                                     warmupIterations: 0, maxDuration: .seconds(1), maxIterations: 1)) { benchmark in
                benchmark.startMeasurement()
                let r = try Call.run(mediaSeconds: seconds, recording: nil, content: content)
                benchmark.stopMeasurement()
                live.runs.append(r)
                benchmark.measurement(Metric.aTotal, Int(r.perTwentySeconds(r.a.total) * 1000))
                benchmark.measurement(Metric.bTotal, Int(r.perTwentySeconds(r.b.total) * 1000))
                benchmark.measurement(Metric.aTransport, Int(r.perTwentySeconds(r.a.transport) * 1000))
            } teardown: {
                report(liveName, live.runs)
            }
        }

        let replay = Results()
        let replayName = "Call \(seconds) s two-way transport only (pre-encoded media replayed, no decode)"
        Benchmark(replayName, configuration: .init(metrics: [.wallClock, .cpuTotal, .mallocCountTotal, Metric.aTotal, Metric.bTotal],
                                                   warmupIterations: 1, maxDuration: .seconds(3), maxIterations: 5)) { benchmark in
            let recording = try recorded()
            benchmark.startMeasurement()
            let r = try Call.run(mediaSeconds: seconds, recording: recording)
            benchmark.stopMeasurement()
            replay.runs.append(r)
            benchmark.measurement(Metric.aTotal, Int(r.perTwentySeconds(r.a.total) * 1000))
            benchmark.measurement(Metric.bTotal, Int(r.perTwentySeconds(r.b.total) * 1000))
        } teardown: {
            report(replayName, replay.runs)
        }

        let rssName = "Call \(seconds) s peak RSS, separate process, real codecs, full-frame motion"
        Benchmark(rssName, configuration: .init(metrics: [.wallClock, Metric.peakRSS, Metric.baselineRSS],
                                                warmupIterations: 0, maxDuration: .seconds(1), maxIterations: 1)) { benchmark in
            let lines = try runProbe("call")
            var values: [String: Int] = [:]
            for line in lines where line.hasPrefix("PROBE ") {
                for kv in line.dropFirst(6).split(separator: " ") {
                    let p = kv.split(separator: "=")
                    if p.count == 2, let v = Int(p[1]) { values[String(p[0])] = v }
                }
            }
            guard let peak = values["peak_kib"], let base = values["baseline_kib"] else {
                throw CallError.failed("probe printed no figures: \(lines)")
            }
            benchmark.measurement(Metric.peakRSS, peak)
            benchmark.measurement(Metric.baselineRSS, base)
            Tally.report(rssName, "RSS after creating both peers and codecs \(fmt(Double(values["peers_and_codecs_kib"] ?? 0) / 1024, 1)) MiB, "
                         + "connected \(fmt(Double(values["connected_kib"] ?? 0) / 1024, 1)) MiB, at the end \(fmt(Double(values["end_kib"] ?? 0) / 1024, 1)) MiB")
            Tally.report(rssName, "peak RSS \(fmt(Double(peak) / 1024, 1)) MiB for both peers and all four codecs in one process "
                         + "(\(fmt(Double(base) / 1024, 1)) MiB before the call, +\(fmt(Double(peak - base) / 1024, 1)) MiB for the call); "
                         + "one side ≈ \(fmt(Double(base + (peak - base) / 2) / 1024, 1)) MiB"
                         + (values["a_cpu_ms"].map { "; A \($0) CPU-ms, B \(values["b_cpu_ms"] ?? 0) CPU-ms per \(seconds) s" } ?? ""))
        }

        let partsName = "One side's parts: RSS of the first instance of each, separate process"
        Benchmark(partsName, configuration: .init(metrics: [.wallClock], warmupIterations: 0, maxDuration: .seconds(1), maxIterations: 1)) { _ in
            let lines = try runProbe("components")
            guard let line = lines.first(where: { $0.hasPrefix("PROBE ") }) else { throw CallError.failed("probe printed no figures: \(lines)") }
            let parts = line.dropFirst(6).split(separator: " ").map { kv -> String in
                let p = kv.split(separator: "=")
                guard p.count == 2, let v = Int(p[1]) else { return String(kv) }
                return "\(p[0].hasSuffix("_kib") ? String(p[0].dropLast(4)) : String(p[0])) \(fmt(Double(v) / 1024, 1)) MiB"
            }
            Tally.report(partsName, parts.joined(separator: ", ")
                         + " (peer = DTLS certificate + ICE + SDP; codecs_open = VP8 encoder+decoder and Opus created, 640x480 frames; vp8enc/vp8dec = growth over the first 30 frames)")
        }
    }

    /// Pre-encoded media for the replay run, made once per process (not measured).
    nonisolated(unsafe) static var recording: CallRecording?
    static func recorded() throws -> CallRecording {
        if let r = recording { return r }
        let r = try CallRecording.make(seconds: seconds, content: .fullMotion)
        recording = r
        return r
    }

    static func report(_ name: String, _ runs: [CallResult]) {
        guard !runs.isEmpty else { return }
        func mean(_ f: (CallResult) -> Double) -> Double { runs.map(f).reduce(0, +) / Double(runs.count) }
        let r = runs[runs.count - 1]
        for (label, pick) in [("A", { (x: CallResult) in x.a }), ("B", { (x: CallResult) in x.b })] {
            let total = mean { $0.perTwentySeconds(pick($0).total) }
            let transport = mean { $0.perTwentySeconds(pick($0).transport) }
            let enc = mean { $0.perTwentySeconds(pick($0).encode) }
            let dec = mean { $0.perTwentySeconds(pick($0).decode) }
            let s = pick(r)
            let steady = s.mediaTransport
            let text = "side \(s.name)\(r.live ? ", " + r.content.rawValue : ""): \(fmt(total, 3)) CPU-s per \(seconds) s of call"
                + (r.live ? " = transport \(fmt(transport, 3)) + encode \(fmt(enc, 3)) + decode \(fmt(dec, 3))" : " (transport only)")
                + "; \(s.framesSent) video frames sent (\(s.videoBytesSent / 1024) KiB), \(s.framesReceived) received"
                + (r.live ? " (\(s.framesDecoded) decoded)" : "")
                + ", \(s.audioSent) Opus sent, \(s.audioReceived) received; datagrams out \(s.datagramsOut), in \(s.datagramsIn); "
                + "transport mallocs while media flowed: \(fmt(Double(steady.cost.mallocs) / Double(max(1, steady.datagrams)), 2)) per datagram (in+out)"
                + ", keyframe requests \(s.keyframeRequests)"
            Tally.report(name + " [" + label + "]", text)
        }
        Tally.report(name, "runs \(runs.count); simulated \(fmt(r.simulatedSeconds, 2)) s (media \(fmt(r.mediaSeconds, 2)) s); "
                     + "whole run \(fmt(mean { Double($0.cpuNanos) / 1e9 }, 2)) CPU-s in \(fmt(mean { Double($0.wallNanos) / 1e9 }, 2)) s wall, "
                     + "of which harness (wire, capture, tone) \(fmt(mean { Double($0.harnessNanos) / 1e9 }, 2)) CPU-s; "
                     + "meter overhead \(fmt(r.meterOverheadNanos, 0)) ns per charge (subtracted); load \(fmt(Meter.loadAverage(), 1))")
    }

    // MARK: Separate process

    /// When the benchmark executable runs with `probeVariable` set, it runs one live call,
    /// prints its figures and exits, before the benchmark runner does anything.
    static func runProbeIfAsked() {
        guard let mode = getenv(probeVariable).map({ String(cString: $0) }) else { return }
        if mode == "components" { probeComponents() }
        let base = Meter.residentKiB().rss
        Meter.resetPeakResident()
        var stages = ""
        do {
            let r = try Call.run(mediaSeconds: seconds, recording: nil, content: .fullMotion) { name in
                stages += " \(name)_kib=\(Meter.residentKiB().rss)"
            }
            let peak = Meter.residentKiB().peak
            print("PROBE baseline_kib=\(base)\(stages) peak_kib=\(peak) end_kib=\(Meter.residentKiB().rss) a_cpu_ms=\(Int(r.perTwentySeconds(r.a.total) * 1000)) "
                  + "b_cpu_ms=\(Int(r.perTwentySeconds(r.b.total) * 1000)) process_cpu_ms=\(Meter.processCPUNanos() / 1_000_000)")
            exit(0)
        } catch {
            print("PROBE failed: \(error)")
            exit(1)
        }
    }

    /// RSS added by the first instance of each part of one side (library pages included).
    static func probeComponents() {
        var line = "PROBE"
        var last = Meter.residentKiB().rss
        line += " baseline_kib=\(last)"
        func mark(_ name: String) {
            let now = Meter.residentKiB().rss
            line += " \(name)_kib=\(now - last)"
            last = now
        }
        do {
            let peer = Peer(configuration: PeerConfiguration(localAddresses: [TransportAddress(host: "10.0.0.1", port: 5000)!], seed: 1),
                            certificate: try DTLSCertificate())
            _ = peer.createOffer(at: .zero)
            mark("peer")
            let media = try CallMedia(seed: 0, content: .fullMotion)
            mark("codecs_open")
            var encoded: [UInt8] = []
            var frames: [[UInt8]] = []
            for i in 0..<30 {
                media.paint(index: i)
                if let info = try media.video.encode(media.picture, pts: Int64(i) * 3000, forceKeyframe: i == 0, into: &encoded) {
                    frames.append(Array(encoded[0..<info.byteCount]))
                }
            }
            mark("vp8enc")
            for f in frames { _ = try media.videoDecoder.decode(f, into: &media.decodedPicture) }
            mark("vp8dec")
            media.tone()
            let n = try media.pcm.withUnsafeBufferPointer { (p) throws(CodecError) -> Int in try media.audio.encode(p, into: &media.opusPacket) }
            _ = try media.audioDecoder.decode(Array(media.opusPacket[0..<n]), into: &media.decodedPCM)
            mark("opus")
            let srtp = try SRTPBench.sessions(.aeadAes128Gcm)
            mark("srtp")
            withExtendedLifetime((peer, media, srtp)) {}
            print(line)
            exit(0)
        } catch {
            print("PROBE failed: \(error)")
            exit(1)
        }
    }

    /// Runs this executable again as the probe, without LD_PRELOAD and the harness's
    /// bookkeeping (the interposer stays linked: 16 bytes per live allocation, not counting),
    /// and returns its output lines.
    static func runProbe(_ mode: String) throws -> [String] {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw CallError.failed("pipe") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        posix_spawn_file_actions_addclose(&actions, fds[0])
        var env: [String] = []
        var p = environ
        while let e = p.pointee {
            let s = String(cString: e)
            if !s.hasPrefix("LD_PRELOAD=") { env.append(s) }
            p += 1
        }
        env.append("\(probeVariable)=\(mode)")
        let exe = "/proc/self/exe"
        let argv: [UnsafeMutablePointer<CChar>?] = [strdup("KioskBench"), nil]
        let envp: [UnsafeMutablePointer<CChar>?] = env.map { strdup($0) } + [nil]
        defer {
            for a in argv { free(a) }
            for e in envp { free(e) }
        }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, exe, &actions, nil, argv, envp)
        close(fds[1])
        guard rc == 0 else {
            close(fds[0])
            throw CallError.failed("posix_spawn \(rc)")
        }
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(fds[0], &buffer, buffer.count)
            if n <= 0 { break }
            output += buffer[0..<n]
        }
        close(fds[0])
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        return String(decoding: output, as: UTF8.self).split(separator: "\n").map(String.init)
    }
}
