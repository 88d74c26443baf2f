import Codecs
import Devices
import Foundation
@testable import KioskCore
import Logging
import Media
import Synchronization
import Testing

/// The pipeline's threads do not hold each other up. Real threads and real time (serial, with
/// the heavy suites): a feeder plays the engine's part, 20 ms Opus packets and 30 fps VP8.
@Suite(.serialized) struct MediaPipelineThreadsTests {
    /// The video decoder held 200 ms once (a slow keyframe) while audio plays: the speaker's
    /// clock is served on time throughout and nothing is concealed, while the video freezes
    /// for the stall (which shows it happened).
    @Test func audioPlayoutGoesOnWhileTheVideoDecoderIsHeld() throws {
        let media = MediaPipeline(camera: nil, microphone: nil, speaker: SyntheticSpeaker(),
                                  videoBitrateKbps: 800, audioBitrateKbps: 32, logger: Logger(label: "test"))
        let opus = try OpusEncoder(channels: 1, bitrate: 32_000)
        var audio: [[UInt8]] = []
        var out: [UInt8] = []
        for i in 0..<10 {
            let tone = SyntheticMicrophone.tone(frequency: 440, levelDBFS: -12, firstSample: i * 960, count: 960)
            let n = try opus.encode(tone, into: &out)
            audio.append(Array(out[0..<n]))
        }
        let vp8 = try VP8Encoder(config: MediaPipeline.videoEncoderConfig(width: 320, height: 240, bitrateKbps: 300))
        var video: [(bytes: [UInt8], key: Bool)] = []
        for i in 0..<90 {
            let frame = TestPattern.render(index: i, timestampNanos: Int64(i) * 33_333_333, width: 320, height: 240)
            if let info = try vp8.encode(frame, pts: Int64(i) * 3000, forceKeyframe: i == 0, into: &out) {
                video.append((Array(out[0..<info.byteCount]), info.isKeyframe))
            }
        }
        media.start(driver: nil)
        defer { media.stop() }
        // Audio sent 60 ms ahead of its playout (a jitter buffer's worth), video as it comes.
        let start = Date()
        var sentAudio = 0, sentVideo = 0
        var stalled = false
        while Date().timeIntervalSince(start) < 3 {
            let elapsed = Date().timeIntervalSince(start)
            while Double(sentAudio) * 0.02 < elapsed + 0.06 {
                media.receivedAudio(audio[sentAudio % audio.count], rtpTimestamp: UInt32(sentAudio * 960))
                sentAudio += 1
            }
            while Double(sentVideo) / 30 < elapsed, sentVideo < video.count {
                media.receivedVideo(video[sentVideo].bytes, keyframe: video[sentVideo].key)
                sentVideo += 1
            }
            if !stalled, elapsed > 1 {
                media.decodeStallMillis.withLock { $0 = 200 }
                stalled = true
            }
            Thread.sleep(forTimeInterval: 0.005)
        }
        let c = media.counters
        #expect(c.videoLongestFreeze >= 0.2, "the decoder was held (longest freeze \(c.videoLongestFreeze) s)")
        #expect(c.videoFramesDecoded >= 80)
        #expect(c.speakerUnderruns == 0, "the playout clock was late \(c.speakerUnderruns) times")
        #expect(c.audioFramesConcealedUnderflow == 0 && c.audioConcealedPackets == 0)
        // Three seconds of 20 ms frames, less the first one's wait for its timer.
        #expect(c.audioFramesPlayed >= 140 && c.audioPacketsDecoded == c.audioFramesPlayed + c.audioPacketsDroppedCatchingUp)
    }
}
