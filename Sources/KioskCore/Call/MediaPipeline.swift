import Bandwidth
import Codecs
import Devices
import Foundation
import Logging
import Media
import SessionCore
import SessionDriver
import Synchronization

/// The kiosk's media, one thread per clock, each blocking on its own descriptors: camera →
/// encode → engine and microphone → encode → engine (capture runs whenever the devices are
/// open: the device check's preview and meter; encoding only while a call is connected);
/// engine → video decode → the latest remote frame for the screen; and audio playout, paced
/// by the speaker, pulling from the playout buffer the engine fills. Audio never waits for
/// video nor video for audio; each side has its own lock. Between decode and display only
/// the latest frame is kept (older ones are dropped, never queued).
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
        /// The clinician's level over the last 100 ms played.
        public var remoteAudioLevelDBFS: Double = -120
        /// The playout buffer: what it holds now, packets that came after their frame was
        /// played, frames concealed because nothing was there yet, packets dropped to shrink it.
        public var audioPlayoutQueuedMillis = 0
        public var audioPacketsLate = 0
        public var audioFramesConcealedUnderflow = 0
        public var audioPacketsDroppedCatchingUp = 0
        /// Capture-to-screen latency of the clinician's stamped frames (their page's test mode).
        public var glassToGlass = GlassToGlass.Summary()
        /// The open camera delivers, and how often it went away since the devices opened.
        public var cameraAvailable = true
        public var cameraLosses = 0
        /// The speaker ran dry in this call: ALSA xruns, or for a sink paced by the playout
        /// timer, a wake-up a whole frame late (a device would have run dry).
        public var speakerUnderruns = 0
        public var framesSkippedAwaitingKeyframe = 0
        public var lastDecodeError: String?
    }

    /// What the capture threads see of their devices once open.
    enum DeviceEvent: Sendable, Equatable {
        /// The camera went away (unplugged, failed) or came back by itself.
        case camera(available: Bool)
    }

    /// Why the camera or microphone could not be opened.
    enum DeviceFailure: Error, Equatable {
        case camera(String)
        case microphone(String)
    }

    /// What the loops read to know what to do; the engine's and the flow's threads write it.
    struct Control: ~Copyable {
        /// Odd while the devices are wanted open; bumped by every open and close. A capture
        /// thread runs while its generation is current.
        var captureGeneration = 0
        /// Capture threads holding the devices (they close them on the way out).
        var captureThreads = 0
        /// Bumped by every start and stop: the decode and playout threads of an earlier call
        /// stop even if a new call starts before they looked.
        var callGeneration = 0
        var driver: PeerDriver?
        var keyframeWanted = true
        /// The encoder's bitrate the call's send rate allows (nil: the configured maximum).
        var videoTargetKbps: Int?
        var cameraEnabled = true
        var microphoneMuted = false
        var audioLossPercent = AudioLossExpectation().percent
        var running: Bool { callGeneration % 2 == 1 }
    }

    /// Complete frames from the engine for the decoder.
    struct VideoInbox: ~Copyable {
        var frames: [(payload: [UInt8], keyframe: Bool)] = []
        /// After a dropped or undecodable frame, inter frames are useless until a keyframe.
        var awaitingKeyframe = false
        var skippedAwaitingKeyframe = 0
    }

    /// What the loops publish for the screen, the flow and the stats.
    struct Published: ~Copyable {
        var latestRemote: VideoFrame?
        var latestSelf: VideoFrame?
        var microphoneLevel = 0.0
        /// The Opus receive path's and the freeze detector's own counts: `counters` reads
        /// its audio and freeze figures from them.
        var audioReceived = OpusReceiver.Counters()
        var playout = AudioPlayoutBuffer.Counters()
        var freezes = VideoFreezeDetector()
        var counters = Counters()
    }

    let control = Mutex(Control())
    let videoInbox = Mutex(VideoInbox())
    let audioInbox = Mutex(AudioPlayoutBuffer())
    let published = Mutex(Published())
    /// Signalled when the capture threads have let go of the devices.
    let devicesReleased = NSCondition()
    let videoCaptureWake = WakeSignal()
    let audioCaptureWake = WakeSignal()
    let decodeWake = WakeSignal()
    let playoutWake = WakeSignal()
    private let frameObserver = Mutex<(@Sendable (FrameSource) -> Void)?>(nil)
    /// The clinician's frames that reached the screen carrying a capture stamp.
    private let glassToGlass = Mutex(GlassToGlass.Recorder())
    private let deviceObserver = Mutex<(@Sendable (DeviceEvent) -> Void)?>(nil)
    /// Fault injection for tests: the decode thread is held this long once, before its next
    /// frame, as a slow decode of a huge keyframe would hold it.
    let decodeStallMillis = Mutex(0)
    let cameraBox: UncheckedSendable<(any Camera)?>
    let microphoneBox: UncheckedSendable<(any Microphone)?>
    let speakerBox: UncheckedSendable<(any Speaker)?>
    let videoBitrateKbps: Int
    let audioBitrateKbps: Int
    let logger: Logger

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
        let skipped = videoInbox.withLock { $0.skippedAwaitingKeyframe }
        let g2g = glassToGlass.withLock { $0.summary }
        return published.withLock { s in
            var c = s.counters
            let a = s.audioReceived, f = s.freezes, p = s.playout
            c.audioPacketsDecoded = a.packetsDecoded
            c.audioConcealedPackets = a.concealedPackets
            c.audioConcealedSamples = a.concealedSamples
            c.audioConcealmentEvents = a.concealmentEvents
            c.audioPacketsRecoveredByFEC = a.packetsRecoveredByFEC
            c.audioSamplesReceived = a.totalSamplesReceived
            c.audioPacketsLate = p.packetsLate
            c.audioFramesConcealedUnderflow = p.framesConcealedUnderflow
            c.audioPacketsDroppedCatchingUp = p.packetsDroppedCatchingUp
            c.videoFreezeCount = f.freezeCount
            c.videoTotalFreezesDuration = Double(f.totalFreezesNanos) / 1e9
            c.videoLongestFreeze = Double(f.longestFreezeNanos) / 1e9
            c.videoFramesPerSecond = f.framesPerSecond(atNanos: now)
            c.framesSkippedAwaitingKeyframe = skipped
            c.glassToGlass = g2g
            return c
        }
    }
    public var latestRemoteFrame: VideoFrame? { published.withLock { $0.latestRemote } }
    var latestSelfFrame: VideoFrame? { published.withLock { $0.latestSelf } }
    /// The microphone's recent level for a meter, 0 (silence, −60 dBFS or less) to 1 (0 dBFS).
    var microphoneLevel: Double { published.withLock { $0.microphoneLevel } }
    /// The camera and microphone are open: capture threads hold them (they close them
    /// shortly after `closeDevices`).
    var devicesOpen: Bool { control.withLock { $0.captureThreads > 0 } }
    /// The names the device check shows.
    let cameraName: String
    let microphoneName: String

    /// Called (on a media thread) whenever a new remote or self frame is there to draw.
    func setFrameObserver(_ observer: (@Sendable (FrameSource) -> Void)?) { frameObserver.withLock { $0 = observer } }

    func frameArrived(_ source: FrameSource) { frameObserver.withLock { $0 }?(source) }

    /// Which picture changed.
    enum FrameSource: Sendable { case remote, selfView }

    /// From the screen: a remote frame stamped `stamp` (wall-clock ms) reached the glass now.
    func remoteFrameShown(stamp: Int64) {
        let millis = GlassToGlass.latencyMillis(stamp: stamp, nowRealtimeNanos: MonotonicClock.realtimeNanoseconds())
        glassToGlass.withLock { $0.add(millis) }
    }

    /// Called (on a capture thread) when an open device goes away or comes back.
    func setDeviceObserver(_ observer: (@Sendable (DeviceEvent) -> Void)?) { deviceObserver.withLock { $0 = observer } }

    /// The self view while the camera is away: mid-grey, so the patient sees where their
    /// picture was rather than nothing.
    static let cameraPlaceholder = VideoFrame(width: 320, height: 240, y: 96, u: 128, v: 128)

    func cameraAvailabilityChanged(_ available: Bool) {
        if available {
            logger.notice("camera back")
            requestKeyframe()
        } else {
            logger.warning("camera unavailable; the call goes on without video")
        }
        let cameraOn = control.withLock { $0.cameraEnabled }
        published.withLock { s in
            s.counters.cameraAvailable = available
            if !available { s.counters.cameraLosses += 1 }
            s.latestSelf = available || !cameraOn ? nil : Self.cameraPlaceholder
        }
        frameArrived(.selfView)
        deviceObserver.withLock { $0 }?(.camera(available: available))
    }

    /// Opens the camera and microphone and starts capturing (preview and meter). Idempotent.
    /// The devices open on a thread of their own (a USB camera can take a while) while the
    /// caller's task waits without holding its thread.
    func openDevices() async throws(DeviceFailure) {
        let generation = control.withLock { c -> Int? in
            if c.captureGeneration % 2 == 1 { return nil }
            c.captureGeneration += 1
            c.cameraEnabled = true
            c.microphoneMuted = false
            return c.captureGeneration
        }
        guard let generation else { return }
        let result = await withCheckedContinuation { (done: CheckedContinuation<Result<Void, DeviceFailure>, Never>) in
            Thread { done.resume(returning: self.startDevices(generation: generation)) }.start()
        }
        try result.get()
    }

    private func startDevices(generation: Int) -> Result<Void, DeviceFailure> {
        // An earlier session's capture threads still hold the devices until they have stopped them.
        devicesReleased.lock()
        let deadline = Date(timeIntervalSinceNow: 2)
        while control.withLock({ $0.captureThreads > 0 }), devicesReleased.wait(until: deadline) {}
        devicesReleased.unlock()
        guard control.withLock({ $0.captureGeneration == generation }) else { return .success(()) }  // closed meanwhile
        func fail(_ failure: DeviceFailure) -> Result<Void, DeviceFailure> {
            control.withLock { if $0.captureGeneration == generation { $0.captureGeneration += 1 } }
            return .failure(failure)
        }
        guard let camera = cameraBox.value else { return fail(.camera("no camera is configured or connected")) }
        guard let microphone = microphoneBox.value else { return fail(.microphone("no microphone is configured or connected")) }
        do { try camera.start() } catch { return fail(.camera("\(error)")) }
        do { try microphone.start() } catch {
            camera.stop()
            return fail(.microphone("\(error)"))
        }
        control.withLock { $0.captureThreads = 2 }
        Thread { self.videoCaptureLoop(generation: generation) }.start()
        Thread { self.audioCaptureLoop(generation: generation) }.start()
        return .success(())
    }

    /// A capture thread let go of its device.
    func captureThreadEnded() {
        devicesReleased.lock()
        control.withLock { $0.captureThreads -= 1 }
        devicesReleased.broadcast()
        devicesReleased.unlock()
    }

    /// Stops capturing; the capture threads close the devices (the camera light goes off).
    func closeDevices() {
        control.withLock { c in
            if c.captureGeneration % 2 == 1 { c.captureGeneration += 1 }
        }
        published.withLock { s in
            s.latestSelf = nil
            s.microphoneLevel = 0
        }
        videoCaptureWake.signal()
        audioCaptureWake.signal()
    }

    /// Starts sending into `driver` (the call is connected), and the decode and playout
    /// threads (nil: receive and play only, nothing is sent).
    func start(driver: PeerDriver?) {
        let generation = control.withLock { c -> Int? in
            c.driver = driver
            c.keyframeWanted = true
            if c.running { return nil }
            c.callGeneration += 1
            return c.callGeneration
        }
        guard let generation else { return }
        // Nothing of an earlier call is played or drawn in this one.
        videoInbox.withLock { v in
            v.frames.removeAll(keepingCapacity: true)
            v.awaitingKeyframe = false
        }
        audioInbox.withLock { $0 = AudioPlayoutBuffer() }
        published.withLock { $0.freezes = VideoFreezeDetector() }
        Thread { self.videoDecodeLoop(generation: generation) }.start()
        Thread { self.audioPlayoutLoop(generation: generation) }.start()
    }

    /// Stops sending, decoding and playing (the call ended); capture goes on while the devices are open.
    func stop() {
        control.withLock { c in
            if c.running { c.callGeneration += 1 }
            c.driver = nil
        }
        published.withLock { $0.latestRemote = nil }
        decodeWake.signal()
        playoutWake.signal()
    }

    /// Camera off: no video is sent and no self view is shown; the camera stays open so turning
    /// it back on is instant.
    func setCameraEnabled(_ on: Bool) {
        control.withLock { c in
            if on && !c.cameraEnabled { c.keyframeWanted = true }
            c.cameraEnabled = on
        }
        published.withLock { s in
            if !on { s.latestSelf = nil } else if !s.counters.cameraAvailable { s.latestSelf = Self.cameraPlaceholder }
        }
    }

    /// Muted: no audio is sent.
    func setMicrophoneMuted(_ muted: Bool) { control.withLock { $0.microphoneMuted = muted } }

    func requestKeyframe() { control.withLock { $0.keyframeWanted = true } }

    /// The call's send rate changed (the receiver's loss and REMB): the encoder aims at what
    /// is left for video. Called on the engine's thread; the capture loop applies it.
    func setSendBitrate(_ bitsPerSecond: Int) {
        let kbps = SendRateSplit.videoKbps(sendBitsPerSecond: bitsPerSecond, audioKbps: audioBitrateKbps, maxKbps: videoBitrateKbps)
        control.withLock { $0.videoTargetKbps = kbps }
    }

    /// The bounds of the call's send rate for this pipeline's encoders.
    public var sendRateConfig: SendRateConfig {
        SendRateSplit.config(videoKbps: videoBitrateKbps, audioKbps: audioBitrateKbps)
    }

    /// From the engine thread: one complete VP8 frame. Drops the oldest beyond a small bound.
    func receivedVideo(_ payload: [UInt8], keyframe: Bool) {
        // Only a connected call's media is decoded (an engine being torn down may still
        // deliver a frame or two).
        guard control.withLock({ $0.running }) else { return }
        let overflow = videoInbox.withLock { v -> Bool in
            if v.frames.count >= MediaPipeline.maxQueuedVideoFrames {
                // The decoder fell behind: dropping one frame breaks the reference chain, so
                // drop them all and restart from the next keyframe.
                v.frames.removeAll(keepingCapacity: true)
                v.awaitingKeyframe = true
            }
            if v.awaitingKeyframe && !keyframe {
                v.skippedAwaitingKeyframe += 1
                return true
            }
            v.awaitingKeyframe = false
            v.frames.append((payload, keyframe))
            return false
        }
        if overflow { requestKeyframeFromRemote() } else { decodeWake.signal() }
    }

    /// From the engine thread: one Opus packet, into the playout buffer.
    func receivedAudio(_ payload: [UInt8], rtpTimestamp: UInt32) {
        guard control.withLock({ $0.running }) else { return }
        payload.withUnsafeBytes { bytes in
            let ticks = (try? OpusDecoder.samplesPerChannel(in: bytes)) ?? OpusFormat.samplesPerChannel20ms
            let fec = OpusFormat.carriesFEC(bytes)
            audioInbox.withLock { $0.push(bytes, timestamp: rtpTimestamp, frameTicks: UInt32(ticks), fec: fec) }
        }
    }

    /// The remote's reports say how much of our audio is lost: Opus protects that much.
    func setAudioLossPercent(_ percent: Int) { control.withLock { $0.audioLossPercent = percent } }

    /// A lost reference: the remote encoder must send a keyframe (the stream rate-limits PLIs).
    func requestKeyframeFromRemote() {
        control.withLock { $0.driver }?.submit(.requestKeyframe)
    }
}
