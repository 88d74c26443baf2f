import Codecs
import Media
import SessionDriver
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

extension MediaPipeline {
    /// The video decoder's thread: sleeps on its wake signal until the engine hands it frames.
    func videoDecodeLoop(generation: Int) {
        guard let vp8 = try? VP8Decoder() else { return }
        var wait = DeviceWait()
        var frames: [(payload: [UInt8], keyframe: Bool)] = []
        // Three frames taken in turn: the one published for the screen, the one it may still be
        // drawing, and the one decoded into, whose planes then nobody else holds (no
        // copy-on-write of a whole picture, no allocation per frame once they are sized).
        var pool = [VideoFrame](repeating: VideoFrame(width: 2, height: 2, y: 0, u: 128, v: 128), count: 3)
        var slot = 0
        while true {
            // Swapped out whole: the engine fills the other array meanwhile (no copy, no allocation).
            videoInbox.withLock { swap(&frames, &$0.frames) }
            guard control.withLock({ $0.callGeneration == generation }) else { return }
            let stall = decodeStallMillis.withLock { m in defer { m = 0 }; return m }
            if stall > 0, !frames.isEmpty {
                // On a signal nobody raises: only the time ends it.
                let now = MonotonicClock.now().nanoseconds
                wait.wait(wake: WakeSignal(), wakeAtNanos: now + Int64(stall) * 1_000_000, nowNanos: now)
            }
            for (payload, keyframe) in frames {
                do {
                    guard try vp8.decode(payload, into: &pool[slot]) else { continue }
                    let decoded = pool[slot]
                    slot = (slot + 1) % pool.count
                    let at = MonotonicClock.now().nanoseconds
                    published.withLock { s in
                        s.latestRemote = decoded
                        s.counters.videoFramesDecoded += 1
                        if keyframe { s.counters.keyframesDecoded += 1 }
                        s.freezes.frame(atNanos: at)
                        s.counters.decodedWidth = decoded.width
                        s.counters.decodedHeight = decoded.height
                    }
                    frameArrived(.remote)
                } catch {
                    published.withLock { s in
                        s.counters.videoDecodeErrors += 1
                        s.counters.lastDecodeError = "\(error)"
                    }
                    videoInbox.withLock { $0.awaitingKeyframe = true }
                    requestKeyframeFromRemote()
                    break
                }
            }
            frames.removeAll(keepingCapacity: true)
            if videoInbox.withLock({ $0.frames.isEmpty }) {
                wait.wait(wake: decodeWake, wakeAtNanos: nil, nowNanos: MonotonicClock.now().nanoseconds)
            }
        }
    }
}
