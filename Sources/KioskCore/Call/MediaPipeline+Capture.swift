import Codecs
import Devices
import Logging
import Media
import SessionCore
import SessionDriver

extension MediaPipeline {
    /// The camera's thread: waits on the camera's descriptor (or its next frame's slot), then
    /// encodes and hands the frame to the engine.
    func videoCaptureLoop(generation: Int) {
        guard let camera = cameraBox.value else { return captureThreadEnded() }
        defer {
            camera.stop()
            captureThreadEnded()
        }
        var wait = DeviceWait()
        var vp8: VP8Encoder?
        var ladder = VideoLadder(videoKbps: videoBitrateKbps)
        var scaled: [UInt8] = []
        var encoded: [UInt8] = []
        var captured = 0
        var failedUntil: Int64?
        var available = true
        published.withLock { $0.counters.cameraAvailable = true }
        let start = MonotonicClock.now()
        while true {
            let before = MonotonicClock.now().nanoseconds
            if let until = failedUntil, before < until {
                // A camera that failed (not one that reconnects by itself) is not polled:
                // its descriptor would stay ready with the error.
                wait.wait(wake: videoCaptureWake, wakeAtNanos: until, nowNanos: before)
            } else {
                let timeout = wait.wait(wake: videoCaptureWake, wakeAtNanos: camera.nextWakeNanos, nowNanos: before) {
                    camera.appendPollDescriptors(to: &$0)
                }
                failedUntil = nil
                let (current, driver, wantKey, cameraOn, targetKbps) = control.withLock { c -> (Bool, PeerDriver?, Bool, Bool, Int) in
                    let k = c.keyframeWanted && c.driver != nil
                    if k { c.keyframeWanted = false }
                    return (c.captureGeneration == generation, c.running ? c.driver : nil, k, c.cameraEnabled,
                            c.videoTargetKbps ?? videoBitrateKbps)
                }
                guard current else { return }
                let now = MonotonicClock.now()
                let frame: VideoFrame?
                do { frame = try camera.nextFrame(now: now.nanoseconds, timeoutMillis: timeout) } catch {
                    logger.warning("camera failed; retrying in 1 s", metadata: ["error": "\(error)"])
                    failedUntil = now.nanoseconds + 1_000_000_000
                    if available {
                        available = false
                        cameraAvailabilityChanged(false)
                    }
                    if wantKey { requestKeyframe() }
                    continue
                }
                if camera.isAvailable != available {
                    available.toggle()
                    cameraAvailabilityChanged(available)
                }
                guard let frame else {
                    if wantKey { requestKeyframe() }
                    continue
                }
                published.withLock { s in
                    s.counters.videoFramesCaptured += 1
                    if cameraOn { s.latestSelf = frame }
                }
                if cameraOn { frameArrived(.selfView) }
                captured += 1
                let step = ladder.step
                if ladder.update(videoKbps: targetKbps) {
                    logger.info("video resolution step", metadata: ["from": "\(step)", "to": "\(ladder.step)", "kbps": "\(targetKbps)"])
                }
                guard let driver, cameraOn, ladder.encodes(frame: captured) else {
                    if wantKey { requestKeyframe() }
                    continue
                }
                // Fewer pixels when the send rate cannot carry the camera's (a new size
                // starts the encoder again, with a keyframe).
                let input = ladder.step == .full ? frame : HalfScaler.halve(frame, into: &scaled)
                if vp8 == nil || vp8?.config.width != input.width || vp8?.config.height != input.height {
                    vp8 = try? VP8Encoder(config: Self.videoEncoderConfig(width: input.width, height: input.height, bitrateKbps: targetKbps))
                } else if let encoder = vp8, encoder.config.bitrateKbps != targetKbps {
                    try? encoder.setBitrate(kbps: targetKbps)
                }
                let ticks = (now - start).nanosecondsClamped * 90 / 1_000_000
                let info = vp8.flatMap { try? $0.encode(input, pts: ticks, forceKeyframe: wantKey, into: &encoded) }
                if info == nil, vp8 != nil { published.withLock { $0.counters.videoFramesDroppedByEncoder += 1 } }
                if ladder.encoded(info != nil, videoKbps: targetKbps) {
                    logger.info("video resolution step", metadata: ["from": "full", "to": "\(ladder.step)", "kbps": "\(targetKbps)",
                                                                    "reason": "frames dropped"])
                }
                guard let info else {
                    if wantKey { requestKeyframe() }
                    continue
                }
                driver.submit(.sendVideo(Array(encoded[0..<info.byteCount]), rtpTimestamp: UInt32(truncatingIfNeeded: ticks)))
                published.withLock { s in
                    s.counters.videoFramesEncoded += 1
                    if info.isKeyframe { s.counters.keyframesEncoded += 1 }
                    s.counters.encodedWidth = input.width
                    s.counters.encodedHeight = input.height
                    s.counters.videoTargetKbps = targetKbps
                }
            }
            guard control.withLock({ $0.captureGeneration == generation }) else { return }
        }
    }

    /// The microphone's thread: waits on the microphone's descriptors (or its next frame's
    /// slot), meters, encodes and hands each 20 ms to the engine.
    func audioCaptureLoop(generation: Int) {
        guard let microphone = microphoneBox.value else { return captureThreadEnded() }
        defer {
            microphone.stop()
            captureThreadEnded()
        }
        guard let opus = try? OpusEncoder(channels: 1, bitrate: audioBitrateKbps * 1000,
                                          packetLossPercent: control.withLock { $0.audioLossPercent }) else { return }
        published.withLock { $0.counters.audioEncoderLossPercent = opus.packetLossPercent }
        var wait = DeviceWait()
        var opusOut: [UInt8] = []
        var meter = LevelMeter()
        var audioTimestamp: UInt32 = 0
        var failedUntil: Int64?
        while true {
            let before = MonotonicClock.now().nanoseconds
            var timeout = 0
            if let until = failedUntil, before < until {
                wait.wait(wake: audioCaptureWake, wakeAtNanos: until, nowNanos: before)
            } else {
                failedUntil = nil
                timeout = wait.wait(wake: audioCaptureWake, wakeAtNanos: microphone.nextWakeNanos, nowNanos: before) {
                    microphone.appendPollDescriptors(to: &$0)
                }
            }
            let (current, driver, muted, lossPercent) = control.withLock { c in
                (c.captureGeneration == generation, c.running ? c.driver : nil, c.microphoneMuted, c.audioLossPercent)
            }
            guard current else { return }
            guard failedUntil == nil else { continue }
            if opus.packetLossPercent != lossPercent, (try? opus.setPacketLossPercent(lossPercent)) != nil {
                published.withLock { $0.counters.audioEncoderLossPercent = lossPercent }
            }
            // Every frame that is due (a synthetic microphone catches up); a device that
            // waits by itself gives one per turn so the loop still sees a close.
            while true {
                let pcm: AudioFrame?
                do { pcm = try microphone.read(now: MonotonicClock.now().nanoseconds, timeoutMillis: timeout) } catch {
                    logger.warning("microphone failed; retrying in 1 s", metadata: ["error": "\(error)"])
                    failedUntil = MonotonicClock.now().nanoseconds + 1_000_000_000
                    break
                }
                guard let pcm else { break }
                meter.add(pcm.samples)
                if meter.sampleCount >= pcm.sampleRate / 10 {
                    // −60 dBFS and below reads as silence; 0 dBFS fills the meter.
                    let level = muted ? 0 : min(1, max(0, (meter.rmsDBFS + 60) / 60))
                    published.withLock { $0.microphoneLevel = level }
                    meter.reset()
                }
                // Muted: nothing is sent (the other side is told by signaling's media-state).
                if let driver, !muted, let n = try? opus.encode(pcm, into: &opusOut) {
                    driver.submit(.sendAudio(Array(opusOut[0..<n]), rtpTimestamp: audioTimestamp))
                    published.withLock { $0.counters.audioFramesEncoded += 1 }
                }
                if driver != nil { audioTimestamp &+= UInt32(pcm.frameCount) }
                if timeout > 0 { break }
            }
        }
    }
}
