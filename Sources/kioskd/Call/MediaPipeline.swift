import Devices
import Foundation
import Logging
import Media
import Session
import Synchronization

/// Capture → encode → engine, and engine → decode → display, each on its own thread so media
/// never waits on the network or the screen. Between decode and display only the latest frame
/// is kept (older ones are dropped, never queued).
final class MediaPipeline: Sendable {
    struct Counters: Sendable, Codable {
        var videoFramesEncoded = 0
        var keyframesEncoded = 0
        var audioFramesEncoded = 0
        var videoFramesDecoded = 0
        var videoDecodeErrors = 0
        var audioPacketsDecoded = 0
        var audioConcealedPackets = 0
        var decodedWidth = 0
        var decodedHeight = 0
        var remoteAudioLevelDBFS: Double = -120
        var framesSkippedAwaitingKeyframe = 0
        var lastDecodeError: String?
    }

    private struct Shared: ~Copyable {
        var running = false
        var driver: PeerDriver?
        var keyframeWanted = true
        var videoQueue: [(payload: [UInt8], keyframe: Bool)] = []
        var audioQueue: [[UInt8]] = []
        var audioLost = 0
        var latestRemote: VideoFrame?
        /// After a dropped or undecodable frame, inter frames are useless until a keyframe.
        var awaitingKeyframe = false
        var latestSelf: VideoFrame?
        var counters = Counters()
    }

    private let shared = Mutex(Shared())
    private let wake = Mutex(0)
    private let cameraBox: UncheckedSendable<any Camera>
    private let microphoneBox: UncheckedSendable<any Microphone>
    private let videoBitrateKbps: Int
    private let audioBitrateKbps: Int
    private let logger: Logger

    static let maxQueuedVideoFrames = 8

    init(camera: any Camera, microphone: any Microphone, videoBitrateKbps: Int, audioBitrateKbps: Int, logger: Logger) {
        cameraBox = UncheckedSendable(camera)
        microphoneBox = UncheckedSendable(microphone)
        self.videoBitrateKbps = videoBitrateKbps
        self.audioBitrateKbps = audioBitrateKbps
        self.logger = logger
    }

    var counters: Counters { shared.withLock { $0.counters } }
    var latestRemoteFrame: VideoFrame? { shared.withLock { $0.latestRemote } }
    var latestSelfFrame: VideoFrame? { shared.withLock { $0.latestSelf } }

    /// Starts sending into `driver` (the call is connected) and the decode thread.
    func start(driver: PeerDriver) {
        let alreadyRunning = shared.withLock { s -> Bool in
            s.driver = driver
            s.keyframeWanted = true
            defer { s.running = true }
            return s.running
        }
        if alreadyRunning { return }
        Thread { self.encodeLoop() }.start()
        Thread { self.decodeLoop() }.start()
    }

    func stop() {
        shared.withLock { $0.running = false; $0.driver = nil }
    }

    func requestKeyframe() { shared.withLock { $0.keyframeWanted = true } }

    /// From the engine thread: one complete VP8 frame. Drops the oldest beyond a small bound.
    func receivedVideo(_ payload: [UInt8], keyframe: Bool) {
        let overflow = shared.withLock { s -> Bool in
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
            if s.audioQueue.count >= 50 { s.audioQueue.removeFirst() }
            s.audioQueue.append(payload)
        }
    }

    func audioLost(_ count: Int) { shared.withLock { $0.audioLost += count } }

    private func encodeLoop() {
        let camera = cameraBox.value
        let microphone = microphoneBox.value
        do {
            try camera.start()
            try microphone.start()
        } catch {
            logger.error("cannot start capture", metadata: ["error": "\(error)"])
            return
        }
        defer { camera.stop(); microphone.stop() }
        var vp8: VP8Encoder?
        guard let opus = try? OpusEncoder(channels: 1, bitrate: audioBitrateKbps * 1000) else { return }
        var encoded: [UInt8] = []
        var opusOut: [UInt8] = []
        let start = MonotonicClock.now()
        var audioTimestamp: UInt32 = 0
        while true {
            let (running, driver, wantKey) = shared.withLock { s -> (Bool, PeerDriver?, Bool) in
                let k = s.keyframeWanted
                s.keyframeWanted = false
                return (s.running, s.driver, k)
            }
            guard running, let driver else { return }
            let now = MonotonicClock.now()
            if let frame = try? camera.nextFrame(now: now.nanoseconds, timeoutMillis: 0) {
                if vp8 == nil || vp8?.config.width != frame.width || vp8?.config.height != frame.height {
                    vp8 = try? VP8Encoder(config: VP8EncoderConfig(width: frame.width, height: frame.height, frameRate: 30, bitrateKbps: videoBitrateKbps))
                }
                let ticks = (now - start).nanosecondsClamped * 90 / 1_000_000
                if let vp8, let info = try? vp8.encode(frame, pts: ticks, forceKeyframe: wantKey, into: &encoded) {
                    driver.submit(.sendVideo(Array(encoded[0..<info.byteCount]), rtpTimestamp: UInt32(truncatingIfNeeded: ticks)))
                    shared.withLock { s in
                        s.counters.videoFramesEncoded += 1
                        if info.isKeyframe { s.counters.keyframesEncoded += 1 }
                        s.latestSelf = frame
                    }
                } else if wantKey {
                    requestKeyframe()
                }
            }
            while let pcm = try? microphone.read(now: MonotonicClock.now().nanoseconds, timeoutMillis: 0) {
                if let n = try? opus.encode(pcm, into: &opusOut) {
                    driver.submit(.sendAudio(Array(opusOut[0..<n]), rtpTimestamp: audioTimestamp))
                    audioTimestamp &+= UInt32(pcm.frameCount)
                    shared.withLock { $0.counters.audioFramesEncoded += 1 }
                }
            }
            usleep(4_000)
        }
    }

    private func decodeLoop() {
        guard let vp8 = try? VP8Decoder(), let opus = try? OpusDecoder(channels: 1) else { return }
        var pcm: [Int16] = []
        var frame = VideoFrame(width: 2, height: 2, y: 0, u: 128, v: 128)
        var levelSum: Double = 0
        var levelCount = 0
        while true {
            let (running, videos, audios, lost) = shared.withLock { s -> (Bool, [([UInt8], Bool)], [[UInt8]], Int) in
                let v = s.videoQueue.map { ($0.payload, $0.keyframe) }
                let a = s.audioQueue
                let l = s.audioLost
                s.videoQueue.removeAll(keepingCapacity: true)
                s.audioQueue.removeAll(keepingCapacity: true)
                s.audioLost = 0
                return (s.running, v, a, l)
            }
            guard running else { return }
            for (payload, _) in videos {
                do {
                    if try vp8.decode(payload, into: &frame) {
                        let decoded = frame
                        shared.withLock { s in
                            s.latestRemote = decoded
                            s.counters.videoFramesDecoded += 1
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
            for _ in 0..<lost {
                _ = try? opus.decodeLost(into: &pcm)
            }
            for payload in audios {
                if let n = try? opus.decode(payload, into: &pcm), n > 0 {
                    var sum: Double = 0
                    for i in 0..<n { sum += Double(pcm[i]) * Double(pcm[i]) }
                    levelSum += sum / Double(n)
                    levelCount += 1
                }
            }
            let level = levelCount == 0 ? -120 : 10 * log10(max(levelSum / Double(levelCount), 1e-12) / (32768.0 * 32768.0))
            shared.withLock { s in
                s.counters.audioPacketsDecoded += audios.count
                s.counters.audioConcealedPackets += lost
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

/// Moves a non-Sendable device into the single thread that will use it.
struct UncheckedSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
