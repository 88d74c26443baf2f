import Bandwidth
import Codecs
import Foundation
@testable import KioskCore
import Media
import Testing

/// The kiosk's own codec choices keep the picture good: a quality floor, not a timing (the
/// speed is measured by `make bench`).
@Suite struct MediaSettingsTests {
    /// The call's send rate is split as the pipeline does: audio and its headers first, 10 %
    /// of the rest for video headers and retransmissions, within 30 kbit/s and the maximum.
    @Test func theEncoderAimsAtWhatTheSendRateLeavesForVideo() {
        #expect(SendRateSplit.videoKbps(sendBitsPerSecond: 300_000, audioKbps: 32, maxKbps: 800) == 219)
        #expect(SendRateSplit.videoKbps(sendBitsPerSecond: 100_000, audioKbps: 32, maxKbps: 800) == 39)
        #expect(SendRateSplit.videoKbps(sendBitsPerSecond: 60_000, audioKbps: 32, maxKbps: 800) == 30)
        #expect(SendRateSplit.videoKbps(sendBitsPerSecond: 5_000_000, audioKbps: 32, maxKbps: 800) == 800)
    }

    /// A still, textured room and a swaying head whose inside changes every frame.
    static func talkingHead(_ t: Int, room: [UInt8]) -> VideoFrame {
        let w = 640, h = 480, cw = 320, ch = 240
        var p = room
        let sway = (t % 48) < 24 ? t % 24 : 24 - t % 24
        let hx = 228 + sway, hy = 120
        for y in hy..<(hy + 200) {
            for x in hx..<(hx + 160) { p[y * w + x] = UInt8(truncatingIfNeeded: 150 &+ ((x &* 7 &+ y &* 3 &+ t &* 5) & 0x3F)) }
        }
        for y in (hy / 2)..<((hy + 200) / 2) {
            for x in (hx / 2)..<((hx + 160) / 2) { p[w * h + y * cw + x] = 110; p[w * h + cw * ch + y * cw + x] = 150 }
        }
        return VideoFrame(width: w, height: h, planes: p)
    }

    static func lumaPSNR(_ a: VideoFrame, _ b: VideoFrame) -> Double {
        var squared = 0.0
        for i in 0..<(a.width * a.height) {
            let d = Double(a.planes[i]) - Double(b.planes[i])
            squared += d * d
        }
        return squared == 0 ? 99 : 10 * log10(255 * 255 / (squared / Double(a.width * a.height)))
    }

    @Test func theKioskEncoderKeepsATalkingHeadClear() throws {
        var room = [UInt8](repeating: 128, count: VideoFrame.byteCount(width: 640, height: 480))
        var r: UInt64 = 7
        for i in 0..<(640 * 480) {
            r ^= r << 13; r ^= r >> 7; r ^= r << 17
            room[i] = UInt8(60 + Int(r % 40) + (i % 640) / 8)
        }
        let config = MediaPipeline.videoEncoderConfig(width: 640, height: 480, bitrateKbps: 800)
        #expect(config.cpuUsed == -12)
        let encoder = try VP8Encoder(config: config), decoder = try VP8Decoder()
        var out: [UInt8] = [], decoded = VideoFrame(width: 0, height: 0, planes: [])
        var sum = 0.0, bytes = 0
        for t in 0..<150 {
            let frame = Self.talkingHead(t, room: room)
            let info = try #require(try encoder.encode(frame, pts: Int64(t * 3_000), into: &out))
            bytes += info.byteCount
            #expect(try decoder.decode(out[0..<info.byteCount], into: &decoded))
            sum += Self.lumaPSNR(frame, decoded)
        }
        let mean = sum / 150
        // −12 gives 33.8 dB here, −8 about 0.4 dB more; −16 (29 dB) would fail.
        #expect(mean >= 33, "mean luma PSNR \(mean) dB")
        // 800 kbit/s at 30 fps is 3.3 kB a frame: the rate control holds it.
        #expect(Double(bytes) / 150 < 4_500, "\(bytes / 150) bytes per frame")
    }
}
