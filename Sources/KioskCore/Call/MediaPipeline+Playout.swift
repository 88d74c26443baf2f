import Codecs
import Devices
import Foundation
import Media
import SessionDriver

extension MediaPipeline {
    /// The audio playout thread, on the speaker's clock: each time the device has room for
    /// 20 ms it pulls one frame from the playout buffer (decoded, rebuilt from FEC, or
    /// concealed) and writes it. A sink that does not pace itself (synthetic, none, or a
    /// speaker that failed) is paced by a 20 ms timer instead. Never waits for video.
    func audioPlayoutLoop(generation: Int) {
        guard let opus = try? OpusReceiver(channels: 1, counters: published.withLock { $0.audioReceived }) else { return }
        var speaker = speakerBox.value
        do { try speaker?.start() } catch {
            logger.error("cannot open the speaker", metadata: ["error": "\(error)"])
            speaker = nil
        }
        defer { speaker?.stop() }
        let frameSamples = OpusFormat.samplesPerChannel20ms
        var timer = speaker?.pacesWrites == true ? nil : PeriodicTimer(periodNanos: 20_000_000)
        var wait = DeviceWait()
        var packet: [UInt8] = []
        packet.reserveCapacity(1500)
        // One reused buffer for the speaker: no allocation per frame.
        var out = AudioFrame(samples: [])
        out.samples.reserveCapacity(OpusFormat.maxSamplesPerChannel)
        var played = 0
        // The last 100 ms played, as the microphone's meter reads its own.
        var meter = LevelMeter()
        let underrunsBefore = speaker?.underruns ?? 0
        var timerUnderruns = 0
        var deviceUnderruns = 0
        while true {
            var due = 1
            if let timer {
                wait.wait(wake: playoutWake, extra: timer.pollEntry, wakeAtNanos: nil, nowNanos: MonotonicClock.now().nanoseconds)
                // A late wake-up plays every frame it missed (up to 100 ms) to keep time; a
                // device would have run dry meanwhile, so it counts as an underrun.
                let ticks = timer.expirations()
                if ticks > 1 { timerUnderruns += 1 }
                due = min(5, ticks)
            }
            guard control.withLock({ $0.callGeneration == generation }) else { return }
            for _ in 0..<due {
                var (action, queued) = audioInbox.withLock { b in (b.pull(into: &packet), b.queuedMillis) }
                if action == .decodeAndDrop {
                    opus.playFrame(action, packet: packet) { _ in }
                    (action, queued) = audioInbox.withLock { b in (b.pull(into: &packet), b.queuedMillis) }
                }
                out.samples.removeAll(keepingCapacity: true)
                opus.playFrame(action, packet: packet) { pcm in out.samples.append(contentsOf: pcm) }
                let audible = !out.samples.isEmpty
                if !audible { out.samples.append(contentsOf: repeatElement(0, count: frameSamples)) }
                meter.add(out.samples)
                if let s = speaker {
                    do { try s.write(out) } catch {
                        // A speaker gone mid-call: the call's audio goes on by the clock (its
                        // figures stay true) until the call ends; the device is let go.
                        logger.error("the speaker failed; playing on without it", metadata: ["error": "\(error)"])
                        s.stop()
                        speaker = nil
                        if timer == nil { timer = PeriodicTimer(periodNanos: 20_000_000) }
                    }
                }
                if audible { played += 1 }
                let level = meter.sampleCount < OpusFormat.sampleRate / 10 ? nil : meter.rmsDBFS
                if level != nil { meter.reset() }
                // The device's count while it is there (kept when it fails), plus the timer's.
                if let s = speaker { deviceUnderruns = s.underruns - underrunsBefore }
                let underruns = deviceUnderruns + timerUnderruns
                let counts = audioInbox.withLock { $0.counters }
                published.withLock { s in
                    s.audioReceived = opus.counters
                    s.playout = counts
                    s.counters.audioFramesPlayed = played
                    s.counters.audioPlayoutQueuedMillis = queued
                    s.counters.speakerUnderruns = underruns
                    if let level { s.counters.remoteAudioLevelDBFS = level }
                }
            }
        }
    }
}
