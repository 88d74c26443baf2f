import Bandwidth
import Codecs
import Devices
import Foundation
import Logging
import Media
import SessionCore
import SessionDriver
import Synchronization

/// Capture → encode → engine, and engine → decode → display, each on its own thread so media
/// never waits on the network or the screen. Between decode and display only the latest frame
/// is kept (older ones are dropped, never queued). Capture runs whenever the devices are open
/// (the device check's preview and meter), encoding only while a call is connected.
public final class MediaPipeline: Sendable {
    public struct Counters: Sendable, Codable {
        public var videoFramesCaptured = 0
        public var videoFramesEncoded = 0
        /// Frames the encoder's rate control dropped (the target could not carry them).
        public var videoFramesDroppedByEncoder = 0
        public var keyframesEncoded = 0
        public var audioFramesEncoded = 0
        public var videoFramesDecoded = 0
        public var videoDecodeErrors = 0
        public var audioPacketsDecoded = 0
        public var audioConcealedPackets = 0
        public var audioFramesPlayed = 0
        /// webrtc-stats' inbound audio: samples decoded (`totalSamplesReceived`), samples made
        /// up by concealment, runs of them (`concealmentEvents`), and lost packets rebuilt
        /// from the next packet's in-band FEC instead.
        public var audioSamplesReceived = 0
        public var audioConcealedSamples = 0
        public var audioConcealmentEvents = 0
        public var audioPacketsRecoveredByFEC = 0
        /// The loss the Opus encoder protects against now (percent, from the remote's reports).
        public var audioEncoderLossPercent = 0
        public var keyframesDecoded = 0
        /// The size and bitrate the encoder works at now (the ladder's step, the send rate's share).
        public var encodedWidth = 0
        public var encodedHeight = 0
        public var videoTargetKbps = 0
        /// webrtc-stats' freeze figures of the clinician's video, as the browser counts them.
        public var videoFreezeCount = 0
        public var videoTotalFreezesDuration = 0.0
        public var videoLongestFreeze = 0.0
        /// Frames decoded in the last second.
        public var videoFramesPerSecond = 0
        public var decodedWidth = 0
        public var decodedHeight = 0
        public var remoteAudioLevelDBFS: Double = -120
        public var framesSkippedAwaitingKeyframe = 0
        public var lastDecodeError: String?
    }

    /// Why the camera or microphone could not be opened.
    enum DeviceFailure: Error, Equatable {
        case camera(String)
        case microphone(String)
    }

    private struct Shared: ~Copyable {
        /// Bumped by every open and close: a capture thread runs while its generation is current.
        var captureGeneration = 0
        var captureThreadAlive = false
        var running = false
        var driver: PeerDriver?
        var keyframeWanted = true
        /// The encoder's bitrate the call's send rate allows (nil: the configured maximum).
        var videoTargetKbps: Int?
        var cameraEnabled = true
        var microphoneMuted = false
        var microphoneLevel = 0.0
        var videoQueue: [(payload: [UInt8], keyframe: Bool)] = []
        /// Each packet with the count of packets lost just before it (concealed, or the last
        /// one rebuilt from this packet's FEC).
        var audioQueue: [(lostBefore: Int, payload: [UInt8])] = []
        var audioLost = 0
        var audioLossPercent = AudioLossExpectation().percent
        /// The Opus receive path's and the freeze detector's own counts: `counters` reads
        /// its audio and freeze figures from them.
        var audioReceived = OpusReceiver.Counters()
        var freezes = VideoFreezeDetector()
        var latestRemote: VideoFrame?
        /// After a dropped or undecodable frame, inter frames are useless until a keyframe.
        var awaitingKeyframe = false
        var latestSelf: VideoFrame?
        var counters = Counters()
    }

    private let shared = Mutex(Shared())
    private let cameraBox: UncheckedSendable<(any Camera)?>
    private let microphoneBox: UncheckedSendable<(any Microphone)?>
    private let speakerBox: UncheckedSendable<(any Speaker)?>
    private let videoBitrateKbps: Int
    private let audioBitrateKbps: Int
    private let logger: Logger

    /// Complete frames waiting for the decoder. The jitter buffer releases every frame held
    /// behind a retransmission at once (up to its 1 s wait: 30 frames), and at 8 such a burst
    /// on a 100 ms path (two round trips, 10 frames) was taken for a decoder fallen behind:
    /// all dropped and a keyframe asked for. A decoder really behind still overflows this.
    static let maxQueuedVideoFrames = 32

    /// The kiosk's VP8 settings. Speed −12 (WebRTC's choice for low-power devices) rather than
    /// the library's −8: on a 640x480 talking head at 800 kbit/s the encoder thread measured
    /// 3.5–3.8 instead of 4.7–4.9 CPU-ms per frame (alternating runs) for 0.4 dB less PSNR
    /// (34.8 vs 35.2); −16 saves little more and loses 6 dB. `MediaSettingsTests` holds the
    /// quality floor.
    static func videoEncoderConfig(width: Int, height: Int, bitrateKbps: Int) -> VP8EncoderConfig {
        var config = VP8EncoderConfig(width: width, height: height, frameRate: 30, bitrateKbps: bitrateKbps)
        config.cpuUsed = -12
        // As libwebrtc: a frame dropped now and then rather than a burst the send rate cannot carry.
        config.frameDropThreshold = 30
        return config
    }

    public init(camera: (any Camera)?, microphone: (any Microphone)?, speaker: (any Speaker)? = nil,
                cameraName: String? = nil, microphoneName: String? = nil,
                videoBitrateKbps: Int, audioBitrateKbps: Int, logger: Logger) {
        self.cameraName = cameraName ?? camera?.id ?? "none"
        self.microphoneName = microphoneName ?? microphone?.id ?? "none"
        cameraBox = UncheckedSendable(camera)
        microphoneBox = UncheckedSendable(microphone)
        speakerBox = UncheckedSendable(speaker)
        self.videoBitrateKbps = videoBitrateKbps
        self.audioBitrateKbps = audioBitrateKbps
        self.logger = logger
    }

    public var counters: Counters {
        let now = MonotonicClock.now().nanoseconds
        return shared.withLock { s in
            var c = s.counters
            let a = s.audioReceived, f = s.freezes
            c.audioPacketsDecoded = a.packetsDecoded
            c.audioConcealedPackets = a.concealedPackets
            c.audioConcealedSamples = a.concealedSamples
            c.audioConcealmentEvents = a.concealmentEvents
            c.audioPacketsRecoveredByFEC = a.packetsRecoveredByFEC
            c.audioSamplesReceived = a.totalSamplesReceived
            c.videoFreezeCount = f.freezeCount
            c.videoTotalFreezesDuration = Double(f.totalFreezesNanos) / 1e9
            c.videoLongestFreeze = Double(f.longestFreezeNanos) / 1e9
            c.videoFramesPerSecond = f.framesPerSecond(atNanos: now)
            return c
        }
    }
    public var latestRemoteFrame: VideoFrame? { shared.withLock { $0.latestRemote } }
    var latestSelfFrame: VideoFrame? { shared.withLock { $0.latestSelf } }
    /// The microphone's recent level for a meter, 0 (silence, −60 dBFS or less) to 1 (0 dBFS).
    var microphoneLevel: Double { shared.withLock { $0.microphoneLevel } }
    /// The camera and microphone are open: a capture thread holds them (it closes them
    /// shortly after `closeDevices`).
    var devicesOpen: Bool { shared.withLock { $0.captureThreadAlive } }
    /// The names the device check shows.
    let cameraName: String
    let microphoneName: String

    /// Opens the camera and microphone and starts capturing (preview and meter). Idempotent.
    func openDevices() throws(DeviceFailure) {
        // A previous capture thread still owns the devices until it has stopped them.
        for _ in 0..<200 where shared.withLock({ $0.captureThreadAlive && $0.captureGeneration % 2 == 0 }) { usleep(5_000) }
        if shared.withLock({ $0.captureGeneration % 2 == 1 }) { return }
        guard let camera = cameraBox.value else { throw .camera("no camera is configured or connected") }
        guard let microphone = microphoneBox.value else { throw .microphone("no microphone is configured or connected") }
        do { try camera.start() } catch { throw .camera("\(error)") }
        do { try microphone.start() } catch {
            camera.stop()
            throw .microphone("\(error)")
        }
        let generation = shared.withLock { s -> Int in
            s.captureGeneration += 1
            s.captureThreadAlive = true
            s.cameraEnabled = true
            s.microphoneMuted = false
            return s.captureGeneration
        }
        Thread { self.captureLoop(generation: generation) }.start()
    }

    /// Stops capturing; the capture thread closes the devices (the camera light goes off).
    func closeDevices() {
        shared.withLock { s in
            if s.captureGeneration % 2 == 1 { s.captureGeneration += 1 }
            s.latestSelf = nil
            s.microphoneLevel = 0
        }
    }

    /// Starts sending into `driver` (the call is connected) and the decode thread.
    func start(driver: PeerDriver) {
        let alreadyRunning = shared.withLock { s -> Bool in
            if !s.running {
                // Nothing of an earlier call is played or drawn in this one.
                s.videoQueue.removeAll(keepingCapacity: true)
                s.audioQueue.removeAll(keepingCapacity: true)
                s.audioLost = 0
                s.awaitingKeyframe = false
                s.freezes = VideoFreezeDetector()
            }
            s.driver = driver
            s.keyframeWanted = true
            defer { s.running = true }
            return s.running
        }
        if alreadyRunning { return }
        Thread { self.decodeLoop() }.start()
    }

    /// Stops sending and decoding (the call ended); capture goes on while the devices are open.
    func stop() {
        shared.withLock { s in
            s.running = false
            s.driver = nil
            s.latestRemote = nil
        }
    }

    /// Camera off: no video is sent and no self view is shown; the camera stays open so turning
    /// it back on is instant.
    func setCameraEnabled(_ on: Bool) {
        shared.withLock { s in
            if on && !s.cameraEnabled { s.keyframeWanted = true }
            s.cameraEnabled = on
            if !on { s.latestSelf = nil }
        }
    }

    /// Muted: no audio is sent.
    func setMicrophoneMuted(_ muted: Bool) { shared.withLock { $0.microphoneMuted = muted } }

    func requestKeyframe() { shared.withLock { $0.keyframeWanted = true } }

    /// The call's send rate changed (the receiver's loss and REMB): the encoder aims at what
    /// is left for video. Called on the engine's thread; the capture loop applies it.
    func setSendBitrate(_ bitsPerSecond: Int) {
        let kbps = SendRateSplit.videoKbps(sendBitsPerSecond: bitsPerSecond, audioKbps: audioBitrateKbps, maxKbps: videoBitrateKbps)
        shared.withLock { $0.videoTargetKbps = kbps }
    }

    /// The bounds of the call's send rate for this pipeline's encoders.
    public var sendRateConfig: SendRateConfig {
        SendRateSplit.config(videoKbps: videoBitrateKbps, audioKbps: audioBitrateKbps)
    }

    /// From the engine thread: one complete VP8 frame. Drops the oldest beyond a small bound.
    func receivedVideo(_ payload: [UInt8], keyframe: Bool) {
        let overflow = shared.withLock { s -> Bool in
            // Only a connected call's media is decoded (an engine being torn down may still
            // deliver a frame or two).
            guard s.running else { return false }
            if s.videoQueue.count >= MediaPipeline.maxQueuedVideoFrames {
                // The decoder fell behind: dropping one frame breaks the reference chain, so
                // drop them all and restart from the next keyframe.
                s.videoQueue.removeAll(keepingCapacity: true)
                s.awaitingKeyframe = true
            }
            if s.awaitingKeyframe && !keyframe {
                s.counters.framesSkippedAwaitingKeyframe += 1
                return true
            }
            s.awaitingKeyframe = false
            s.videoQueue.append((payload, keyframe))
            return false
        }
        if overflow { requestKeyframeFromRemote() }
    }

    func receivedAudio(_ payload: [UInt8]) {
        shared.withLock { s in
            guard s.running else { return }
            if s.audioQueue.count >= 50 { s.audioQueue.removeFirst() }
            s.audioQueue.append((s.audioLost, payload))
            s.audioLost = 0
        }
    }

    /// The remote's reports say how much of our audio is lost: Opus protects that much.
    func setAudioLossPercent(_ percent: Int) { shared.withLock { $0.audioLossPercent = percent } }

    func audioLost(_ count: Int) { shared.withLock { $0.audioLost += count } }

    private func captureLoop(generation: Int) {
        guard let camera = cameraBox.value, let microphone = microphoneBox.value else { return }
        defer {
            camera.stop()
            microphone.stop()
            shared.withLock { $0.captureThreadAlive = false }
        }
        var vp8: VP8Encoder?
        var ladder = VideoLadder(videoKbps: videoBitrateKbps)
        var scaled: [UInt8] = []
        var captured = 0
        guard let opus = try? OpusEncoder(channels: 1, bitrate: audioBitrateKbps * 1000,
                                          packetLossPercent: shared.withLock { $0.audioLossPercent }) else { return }
        shared.withLock { $0.counters.audioEncoderLossPercent = opus.packetLossPercent }
        var encoded: [UInt8] = []
        var opusOut: [UInt8] = []
        var meter = LevelMeter()
        let start = MonotonicClock.now()
        var audioTimestamp: UInt32 = 0
        while true {
            let (current, driver, wantKey, cameraOn, muted, targetKbps, lossPercent) = shared.withLock { s -> (Bool, PeerDriver?, Bool, Bool, Bool, Int, Int) in
                let k = s.keyframeWanted && s.driver != nil
                if k { s.keyframeWanted = false }
                return (s.captureGeneration == generation, s.running ? s.driver : nil, k, s.cameraEnabled, s.microphoneMuted,
                        s.videoTargetKbps ?? videoBitrateKbps, s.audioLossPercent)
            }
            guard current else { return }
            if opus.packetLossPercent != lossPercent, (try? opus.setPacketLossPercent(lossPercent)) != nil {
                shared.withLock { $0.counters.audioEncoderLossPercent = lossPercent }
            }
            let now = MonotonicClock.now()
            if let frame = try? camera.nextFrame(now: now.nanoseconds, timeoutMillis: 0) {
                shared.withLock { s in
                    s.counters.videoFramesCaptured += 1
                    if cameraOn { s.latestSelf = frame }
                }
                captured += 1
                let step = ladder.step
                if ladder.update(videoKbps: targetKbps) {
                    logger.info("video resolution step", metadata: ["from": "\(step)", "to": "\(ladder.step)", "kbps": "\(targetKbps)"])
                }
                if let driver, cameraOn, ladder.encodes(frame: captured) {
                    // Fewer pixels when the send rate cannot carry the camera's (a new size
                    // starts the encoder again, with a keyframe).
                    let frame = ladder.step == .full ? frame : HalfScaler.halve(frame, into: &scaled)
                    if vp8 == nil || vp8?.config.width != frame.width || vp8?.config.height != frame.height {
                        vp8 = try? VP8Encoder(config: Self.videoEncoderConfig(width: frame.width, height: frame.height, bitrateKbps: targetKbps))
                    } else if let encoder = vp8, encoder.config.bitrateKbps != targetKbps {
                        try? encoder.setBitrate(kbps: targetKbps)
                    }
                    let ticks = (now - start).nanosecondsClamped * 90 / 1_000_000
                    let info = vp8.flatMap { try? $0.encode(frame, pts: ticks, forceKeyframe: wantKey, into: &encoded) }
                    if info == nil, vp8 != nil { shared.withLock { $0.counters.videoFramesDroppedByEncoder += 1 } }
                    if ladder.encoded(info != nil, videoKbps: targetKbps) {
                        logger.info("video resolution step", metadata: ["from": "full", "to": "\(ladder.step)", "kbps": "\(targetKbps)",
                                                                        "reason": "frames dropped"])
                    }
                    if let info {
                        driver.submit(.sendVideo(Array(encoded[0..<info.byteCount]), rtpTimestamp: UInt32(truncatingIfNeeded: ticks)))
                        shared.withLock { s in
                            s.counters.videoFramesEncoded += 1
                            if info.isKeyframe { s.counters.keyframesEncoded += 1 }
                            s.counters.encodedWidth = frame.width
                            s.counters.encodedHeight = frame.height
                            s.counters.videoTargetKbps = targetKbps
                        }
                    } else if wantKey {
                        requestKeyframe()
                    }
                } else if wantKey {
                    requestKeyframe()
                }
            }
            while let pcm = try? microphone.read(now: MonotonicClock.now().nanoseconds, timeoutMillis: 0) {
                meter.add(pcm.samples)
                if meter.sampleCount >= pcm.sampleRate / 10 {
                    // −60 dBFS and below reads as silence; 0 dBFS fills the meter.
                    let level = muted ? 0 : min(1, max(0, (meter.rmsDBFS + 60) / 60))
                    shared.withLock { $0.microphoneLevel = level }
                    meter.reset()
                }
                // Muted: nothing is sent (the other side is told by signaling's media-state).
                guard let driver, !muted else { continue }
                if let n = try? opus.encode(pcm, into: &opusOut) {
                    driver.submit(.sendAudio(Array(opusOut[0..<n]), rtpTimestamp: audioTimestamp))
                    shared.withLock { $0.counters.audioFramesEncoded += 1 }
                }
                audioTimestamp &+= UInt32(pcm.frameCount)
            }
            usleep(4_000)
        }
    }

    private func decodeLoop() {
        // Audio counts run over the kiosk's lifetime: this call's receiver goes on from them.
        guard let vp8 = try? VP8Decoder(),
              let opus = try? OpusReceiver(channels: 1, counters: shared.withLock { $0.audioReceived }) else { return }
        let speaker = speakerBox.value
        do { try speaker?.start() } catch { logger.error("cannot open the speaker", metadata: ["error": "\(error)"]) }
        defer { speaker?.stop() }
        var played = 0
        // One reused buffer for the speaker: no allocation per packet.
        var out = AudioFrame(samples: [])
        out.samples.reserveCapacity(OpusFormat.samplesPerChannel20ms * 2)
        var levelSum: Double = 0
        var levelCount = 0
        func play(_ pcm: UnsafeBufferPointer<Int16>) {
            var sum: Double = 0
            for v in pcm { sum += Double(v) * Double(v) }
            levelSum += sum / Double(max(1, pcm.count))
            levelCount += 1
            guard let speaker else { return }
            out.samples.removeAll(keepingCapacity: true)
            out.samples.append(contentsOf: pcm)
            if (try? speaker.write(out)) != nil { played += 1 }
        }
        var frame = VideoFrame(width: 2, height: 2, y: 0, u: 128, v: 128)
        while true {
            let (running, videos, audios) = shared.withLock { s -> (Bool, [([UInt8], Bool)], [(lostBefore: Int, payload: [UInt8])]) in
                let v = s.videoQueue.map { ($0.payload, $0.keyframe) }
                let a = s.audioQueue
                s.videoQueue.removeAll(keepingCapacity: true)
                s.audioQueue.removeAll(keepingCapacity: true)
                return (s.running, v, a)
            }
            guard running else { return }
            for (payload, keyframe) in videos {
                do {
                    if try vp8.decode(payload, into: &frame) {
                        let decoded = frame
                        let at = MonotonicClock.now().nanoseconds
                        shared.withLock { s in
                            s.latestRemote = decoded
                            s.counters.videoFramesDecoded += 1
                            if keyframe { s.counters.keyframesDecoded += 1 }
                            s.freezes.frame(atNanos: at)
                            s.counters.decodedWidth = decoded.width
                            s.counters.decodedHeight = decoded.height
                        }
                    }
                } catch {
                    shared.withLock { s in
                        s.counters.videoDecodeErrors += 1
                        s.counters.lastDecodeError = "\(error)"
                        s.awaitingKeyframe = true
                    }
                    requestKeyframeFromRemote()
                    break
                }
            }
            for (lostBefore, payload) in audios { opus.receive(payload, lostBefore: lostBefore, play: play) }
            let level = levelCount == 0 ? -120 : 10 * log10(max(levelSum / Double(levelCount), 1e-12) / (32768.0 * 32768.0))
            shared.withLock { s in
                s.audioReceived = opus.counters
                s.counters.audioFramesPlayed = played
                if levelCount > 0 { s.counters.remoteAudioLevelDBFS = level }
            }
            if videos.isEmpty && audios.isEmpty { usleep(5_000) }
        }
    }

    /// A lost reference: the remote encoder must send a keyframe (the stream rate-limits PLIs).
    private func requestKeyframeFromRemote() {
        shared.withLock { $0.driver }?.submit(.requestKeyframe)
    }
}
