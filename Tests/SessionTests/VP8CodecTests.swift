@testable import Codecs
import Foundation
import Media
import Testing


private let waveTable: [Int] = (0..<256).map { Int(100 * sin(2 * Double.pi * Double($0) / 256)) }

/// A 640x480-style test picture that moves every frame: two drifting gratings plus a
/// checkered box sliding across, with chroma ramps, so motion search and residuals both work.
private func movingPattern(width: Int, height: Int, frame t: Int) -> VideoFrame {
    var planes = [UInt8](repeating: 0, count: VideoFrame.byteCount(width: width, height: height))
    let boxX = (t * 9) % max(1, width - 96), boxY = height / 3
    for y in 0..<height {
        for x in 0..<width {
            var luma = 128 + (waveTable[(x * 2 + t * 8) & 255] + waveTable[(y * 3 + t * 4) & 255]) / 2
            if x >= boxX && x < boxX + 96 && y >= boxY && y < boxY + 96 {
                luma = ((x - boxX) / 12 + (y - boxY) / 12) % 2 == 0 ? 230 : 30
            }
            planes[y * width + x] = UInt8(luma)
        }
    }
    let cw = VideoFrame.chromaWidth(width), ch = VideoFrame.chromaHeight(height)
    let u = width * height, v = u + cw * ch
    for y in 0..<ch {
        for x in 0..<cw {
            planes[u + y * cw + x] = UInt8(128 + waveTable[(x + t * 2) & 255] / 3)
            planes[v + y * cw + x] = UInt8(128 + waveTable[(y * 2 + 64) & 255] / 3)
        }
    }
    return VideoFrame(width: width, height: height, planes: planes)
}

/// Peak signal-to-noise ratio over all three planes, in dB.
private func psnr(_ a: VideoFrame, _ b: VideoFrame) -> Double {
    let n = VideoFrame.byteCount(width: a.width, height: a.height)
    var squared = 0.0
    for i in 0..<n {
        let d = Double(a.planes[i]) - Double(b.planes[i])
        squared += d * d
    }
    return squared == 0 ? .infinity : 10 * log10(255 * 255 / (squared / Double(n)))
}

/// Deterministic bytes for the garbage tests (xorshift64).
private func noise(count: Int, seed: UInt64) -> [UInt8] {
    var state = seed | 1
    return (0..<count).map { _ in
        state ^= state << 13; state ^= state >> 7; state ^= state << 17
        return UInt8(truncatingIfNeeded: state)
    }
}

@Suite struct VP8CodecTests {
    @Test func roundTripOfMovingPatternKeepsQualityAndReusesBuffers() throws {
        let encoder = try VP8Encoder()
        let decoder = try VP8Decoder()
        var out: [UInt8] = []
        var decoded = VideoFrame(width: 0, height: 0, planes: [])
        var outBase: UnsafePointer<UInt8>?
        var decodedBase: UnsafePointer<UInt8>?
        var worst = Double.infinity
        for t in 0..<30 {
            let source = movingPattern(width: 640, height: 480, frame: t)
            let info = try #require(try encoder.encode(source, pts: Int64(t * 3_000), into: &out))
            #expect(info.isKeyframe == (t == 0), "frame \(t)")
            #expect(info.pts == Int64(t * 3_000) && info.width == 640 && info.height == 480)
            #expect(try decoder.decode(out[0..<info.byteCount], into: &decoded))
            #expect(decoded.width == 640 && decoded.height == 480)
            #expect(decoded.planes.count == VideoFrame.byteCount(width: 640, height: 480))
            worst = min(worst, psnr(source, decoded))
            if t == 1 {
                outBase = out.withUnsafeBufferPointer { $0.baseAddress }
                decodedBase = decoded.planes.withUnsafeBufferPointer { $0.baseAddress }
            } else if t > 1 {
                #expect(out.withUnsafeBufferPointer { $0.baseAddress } == outBase)
                #expect(decoded.planes.withUnsafeBufferPointer { $0.baseAddress } == decodedBase)
            }
        }
        print("VP8 640x480 at 800 kbit/s: worst PSNR \(worst) dB")
        #expect(worst > 30, "worst PSNR \(worst) dB")
    }

    @Test func forcedKeyframeIsAFreshStartingPoint() throws {
        let encoder = try VP8Encoder()
        var frames: [(VP8EncodedFrame, [UInt8])] = []
        for t in 0..<12 {
            try encoder.encode(movingPattern(width: 640, height: 480, frame: t), pts: Int64(t * 3_000),
                               forceKeyframe: t == 8) { info, bytes in frames.append((info, Array(bytes))) }
        }
        #expect(frames.map(\.0.isKeyframe) == (0..<12).map { $0 == 0 || $0 == 8 })
        // A decoder that joins at the forced keyframe decodes it and what follows.
        let late = try VP8Decoder()
        for t in 8..<12 {
            let picture = try #require(try late.decode(frames[t].1))
            #expect(psnr(movingPattern(width: 640, height: 480, frame: t), picture) > 30)
        }
        // One that joins mid-stream is refused, not crashed.
        #expect(throws: CodecError.self) { try VP8Decoder().decode(frames[5].1) }
    }

    @Test func resolutionChangeReinitialisesWithAKeyframe() throws {
        let encoder = try VP8Encoder()
        let decoder = try VP8Decoder()
        var out: [UInt8] = []
        // 321x241 has odd chroma sizes: wrong strides would wreck the PSNR.
        for (width, height) in [(640, 480), (320, 240), (321, 241), (640, 480)] {
            for t in 0..<4 {
                let source = movingPattern(width: width, height: height, frame: t)
                let info = try #require(try encoder.encode(source, pts: Int64(t * 3_000), into: &out))
                #expect(info.isKeyframe == (t == 0), "\(width)x\(height) frame \(t)")
                #expect(info.width == width && info.height == height)
                let picture = try #require(try decoder.decode(Array(out[0..<info.byteCount])))
                #expect(picture.width == width && picture.height == height)
                #expect(psnr(source, picture) > 30, "\(width)x\(height) frame \(t)")
            }
            #expect(encoder.config.width == width && encoder.config.height == height)
        }
    }

    @Test func lowerBitrateGivesSmallerFrames() throws {
        let encoder = try VP8Encoder(config: VP8EncoderConfig(bitrateKbps: 1_500))
        var out: [UInt8] = []
        var sizes: [Int] = []
        for t in 0..<60 {
            if t == 30 { try encoder.setBitrate(kbps: 150) }
            let info = try #require(try encoder.encode(movingPattern(width: 640, height: 480, frame: t),
                                                       pts: Int64(t * 3_000), into: &out))
            sizes.append(info.byteCount)
        }
        let before = sizes[10..<30].reduce(0, +) / 20, after = sizes[45..<60].reduce(0, +) / 15
        #expect(after * 3 < before, "bytes/frame \(before) at 1500 kbit/s, \(after) at 150 kbit/s")
        #expect(encoder.config.bitrateKbps == 150)
        #expect(throws: CodecError.self) { try encoder.setBitrate(kbps: 0) }
    }

    @Test func garbageInputThrowsTypedErrors() throws {
        let decoder = try VP8Decoder()
        #expect(throws: CodecError.emptyPacket) { try decoder.decode([]) }
        for seed in 1...50 as ClosedRange<UInt64> {
            let bytes = noise(count: 1 + Int(seed) * 37, seed: seed)
            let error = #expect(throws: CodecError.self) { try decoder.decode(bytes) }
            if case .vpx(let code, let message)? = error {
                #expect(code != 0 && !message.isEmpty)
            }
        }
        // After a real keyframe, truncated and bit-flipped frames may decode to something or
        // throw, but never crash; the decoder still takes the next keyframe.
        let encoder = try VP8Encoder()
        var out: [UInt8] = []
        let key = try #require(try encoder.encode(movingPattern(width: 640, height: 480, frame: 0), pts: 0, into: &out))
        let keyframe = Array(out[0..<key.byteCount])
        let inter = try #require(try encoder.encode(movingPattern(width: 640, height: 480, frame: 1), pts: 3_000, into: &out))
        let interframe = Array(out[0..<inter.byteCount])
        _ = try decoder.decode(keyframe)
        #expect(throws: CodecError.self) { try decoder.decode(Array(keyframe[0..<20])) }
        for seed in 1...100 as ClosedRange<UInt64> {
            var damaged = interframe
            for (i, byte) in noise(count: 8, seed: seed).enumerated() {
                damaged[(Int(byte) * 131 + i * 977) % damaged.count] ^= byte | 1
            }
            _ = try? decoder.decode(damaged)
            _ = try? decoder.decode(Array(damaged[0..<(damaged.count * Int(seed) / 101)]))
        }
        #expect(try decoder.decode(keyframe) != nil)
    }

    @Test func corruptionIsReportedUntilTheNextKeyframe() throws {
        let encoder = try VP8Encoder()
        var frames: [[UInt8]] = []
        for t in 0..<4 {
            try encoder.encode(movingPattern(width: 640, height: 480, frame: t), pts: Int64(t * 3_000)) { _, bytes in
                frames.append(Array(bytes))
            }
        }
        let decoder = try VP8Decoder()
        #expect(try decoder.decode(frames[0]) != nil)
        var damaged = frames[1]
        for i in (damaged.count / 2)..<(damaged.count / 2 + 16) { damaged[i] ^= 0x5A }
        #expect(throws: CodecError.corruptedFrame) { try decoder.decode(damaged) }
        // The damage lives on in the reference frame, so clean interframes are refused too.
        #expect(throws: CodecError.corruptedFrame) { try decoder.decode(frames[2]) }
        #expect(try decoder.decode(frames[0]) != nil)
        #expect(try decoder.decode(frames[1]) != nil)
    }

    @Test func badFramesAndSettingsAreRejected() throws {
        var config = VP8EncoderConfig()
        config.minQuantizer = 60
        #expect(throws: CodecError.self) { try VP8Encoder(config: config) }
        #expect(throws: CodecError.badVideoSize(width: 0, height: 480)) {
            try VP8Encoder(config: VP8EncoderConfig(width: 0))
        }
        let encoder = try VP8Encoder()
        var out: [UInt8] = []
        var short = VideoFrame(width: 64, height: 64, y: 16, u: 128, v: 128)
        short.width = 640
        #expect(throws: CodecError.badVideoSize(width: 640, height: 64)) {
            try encoder.encode(short, pts: 0, into: &out)
        }
        #expect(throws: CodecError.self) { try VP8Decoder(threads: 0) }
    }

    /// Prints the cost of a 640x480 frame; benchmarks proper live elsewhere.
    @Test func measureEncodeAndDecodeTime() throws {
        let frames = (0..<8).map { movingPattern(width: 640, height: 480, frame: $0) }
        for cpuUsed in [-6, -8, -12] {
            var config = VP8EncoderConfig()
            config.cpuUsed = cpuUsed
            let encoder = try VP8Encoder(config: config)
            let decoder = try VP8Decoder()
            var out: [UInt8] = []
            var picture = VideoFrame(width: 0, height: 0, planes: [])
            let clock = ContinuousClock()
            var encodeTime = Duration.zero, decodeTime = Duration.zero
            let count = 60
            for t in 0..<count {
                let start = clock.now
                let info = try #require(try encoder.encode(frames[t % frames.count], pts: Int64(t * 3_000), into: &out))
                let middle = clock.now
                _ = try decoder.decode(out[0..<info.byteCount], into: &picture)
                encodeTime += middle - start
                decodeTime += clock.now - middle
            }
            func ms(_ d: Duration) -> String {
                String(format: "%.2f", Double(d.components.attoseconds) / 1e15 / Double(count)
                    + Double(d.components.seconds) * 1e3 / Double(count))
            }
            print("VP8 640x480 cpu-used \(cpuUsed): encode \(ms(encodeTime)) ms/frame, decode \(ms(decodeTime)) ms/frame")
        }
    }
}
