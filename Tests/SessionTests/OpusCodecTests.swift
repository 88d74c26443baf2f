@testable import Codecs
import Foundation
import Media
import Testing


/// Interleaved `channels`-channel 1 kHz sine at 48 kHz, `amplitude` in full-scale units.
private func sine(frames: Int, channels: Int = 1, hz: Double = 1_000, amplitude: Double = 8_000) -> [Int16] {
    var out = [Int16](repeating: 0, count: frames * channels)
    for i in 0..<frames {
        let s = Int16(amplitude * sin(2 * Double.pi * hz * Double(i) / 48_000))
        for c in 0..<channels { out[i * channels + c] = s }
    }
    return out
}

private func rms(_ x: ArraySlice<Int16>) -> Double {
    let sum = x.reduce(0.0) { $0 + Double($1) * Double($1) }
    return (sum / Double(max(x.count, 1))).squareRoot()
}

/// Frequency from upward zero crossings, in Hz.
private func zeroCrossingFrequency(_ x: ArraySlice<Int16>) -> Double {
    var ups = 0
    var prev = x.first ?? 0
    for s in x.dropFirst() {
        if prev < 0 && s >= 0 { ups += 1 }
        prev = s
    }
    return Double(ups) * 48_000 / Double(x.count)
}

/// Normalised cross-correlation of `a` against `b` delayed by `lag` samples.
private func correlation(_ a: [Int16], _ b: [Int16], lag: Int, range: Range<Int>) -> Double {
    var ab = 0.0, aa = 0.0, bb = 0.0
    for i in range {
        let x = Double(a[i]), y = Double(b[i + lag])
        ab += x * y; aa += x * x; bb += y * y
    }
    return ab / (aa * bb).squareRoot()
}

private func db(_ ratio: Double) -> Double { 20 * log10(ratio) }

/// Encodes `input` 20 ms at a time and returns the packets.
private func encodeAll(_ input: [Int16], channels: Int, encoder: OpusEncoder) throws -> [[UInt8]] {
    let step = OpusFormat.samplesPerChannel20ms * channels
    var out: [UInt8] = []
    var packets: [[UInt8]] = []
    for start in stride(from: 0, to: input.count - step + 1, by: step) {
        let n = try input[start..<(start + step)].withUnsafeBufferPointer { pcm in
            try encoder.encode(pcm, into: &out)
        }
        packets.append(Array(out[0..<n]))
    }
    return packets
}

@Suite struct OpusCodecTests {
    @Test func sineSurvivesRoundTripWithSameFrequencyAndLevel() throws {
        let encoder = try OpusEncoder(channels: 1)
        let decoder = try OpusDecoder(channels: 1)
        let input = sine(frames: 48_000)
        var pcm: [Int16] = []
        var output: [Int16] = []
        for packet in try encodeAll(input, channels: 1, encoder: encoder) {
            let n = try decoder.decode(packet, into: &pcm)
            #expect(n == 960)
            output += pcm[0..<n]
        }
        #expect(output.count == input.count)
        // Skip the codec delay and the encoder's start-up; compare the steady state.
        let window = (encoder.lookahead + 9_600)..<(input.count - 4_800)
        let level = db(rms(output[window]) / rms(input[window]))
        #expect(abs(level) < 1, "level differs by \(level) dB")
        let hz = zeroCrossingFrequency(output[window])
        #expect(abs(hz - 1_000) < 5, "decoded tone at \(hz) Hz")
        // The decoded tone is the input delayed by about the encoder's lookahead (SILK's own
        // filter delay moves the peak a few samples); search within half a period of 1 kHz.
        let shifted = 9_600..<(input.count - 9_600)
        let lags = (encoder.lookahead - 20)...(encoder.lookahead + 20)
        let best = lags.map { ($0, correlation(input, output, lag: $0, range: shifted)) }
            .max { $0.1 < $1.1 }
        let (lag, peak) = try #require(best)
        #expect(abs(lag - encoder.lookahead) <= 4, "delay \(lag), lookahead \(encoder.lookahead)")
        #expect(peak > 0.99, "waveform correlation \(peak)")
    }

    @Test func stereoRoundTripKeepsBothChannels() throws {
        let encoder = try OpusEncoder(channels: 2, bitrate: 64_000)
        let decoder = try OpusDecoder(channels: 2)
        let input = sine(frames: 24_000, channels: 2)
        var pcm: [Int16] = []
        var output: [Int16] = []
        for packet in try encodeAll(input, channels: 2, encoder: encoder) {
            let n = try decoder.decode(packet, into: &pcm)
            output += pcm[0..<(n * 2)]
        }
        let left = output.enumerated().filter { $0.offset % 2 == 0 }.map(\.element)
        let right = output.enumerated().filter { $0.offset % 2 == 1 }.map(\.element)
        let window = 9_600..<20_000
        #expect(abs(db(rms(left[window]) / rms(right[window]))) < 1)
        #expect(abs(zeroCrossingFrequency(right[window]) - 1_000) < 5)
    }

    @Test func encodeAndDecodeReuseTheCallersBuffers() throws {
        let encoder = try OpusEncoder()
        let decoder = try OpusDecoder()
        let frame = AudioFrame(samples: sine(frames: 960))
        var out: [UInt8] = []
        var pcm: [Int16] = []
        _ = try decoder.decode(Array(out[0..<(try encoder.encode(frame, into: &out))]), into: &pcm)
        let outBase = out.withUnsafeBufferPointer { $0.baseAddress }
        let pcmBase = pcm.withUnsafeBufferPointer { $0.baseAddress }
        for _ in 0..<10 {
            let n = try encoder.encode(frame, into: &out)
            #expect(n > 0 && n < 400)
            #expect(try out.withUnsafeBytes { try OpusDecoder.samplesPerChannel(in: UnsafeRawBufferPointer(rebasing: $0[0..<n])) } == 960)
            _ = try decoder.decode(out[0..<n], into: &pcm)
        }
        #expect(out.withUnsafeBufferPointer { $0.baseAddress } == outBase)
        #expect(pcm.withUnsafeBufferPointer { $0.baseAddress } == pcmBase)
    }

    @Test func concealmentReturnsTheRequestedLength() throws {
        let encoder = try OpusEncoder(channels: 2)
        let decoder = try OpusDecoder(channels: 2)
        var pcm: [Int16] = []
        for packet in try encodeAll(sine(frames: 9_600, channels: 2), channels: 2, encoder: encoder) {
            _ = try decoder.decode(packet, into: &pcm)
        }
        #expect(try decoder.decodeLost(into: &pcm) == 960)
        // Concealment continues the tone rather than emitting silence.
        #expect(rms(pcm[0..<1_920]) > 1_000)
        #expect(try decoder.decodeLost(samplesPerChannel: 480, into: &pcm) == 480)
        #expect(try decoder.decodeLost(samplesPerChannel: 2_880, into: &pcm) == 2_880)
        #expect(throws: CodecError.self) { try decoder.decodeLost(samplesPerChannel: 0, into: &pcm) }
    }

    @Test func fecRecoversALostPacketBetterThanConcealment() throws {
        let encoder = try OpusEncoder(channels: 1, packetLossPercent: 20)
        let input = sine(frames: 48_000, hz: 440) .enumerated().map { i, s in
            // A slowly swelling tone, so concealment (which repeats the past) is measurably wrong.
            Int16(Double(s) * (0.2 + 0.8 * Double(i) / 48_000))
        }
        let packets = try encodeAll(input, channels: 1, encoder: encoder)
        let lost = 30
        func run(_ recover: (OpusDecoder, inout [Int16]) throws -> Int) throws -> [Int16] {
            let decoder = try OpusDecoder()
            var pcm: [Int16] = []
            for packet in packets[0..<lost] { _ = try decoder.decode(packet, into: &pcm) }
            let n = try recover(decoder, &pcm)
            #expect(n == 960)
            return Array(pcm[0..<n])
        }
        let reference = try run { d, pcm in try d.decode(packets[lost], into: &pcm) }
        let fec = try run { d, pcm in try d.decodeFEC(from: packets[lost + 1], into: &pcm) }
        let plc = try run { d, pcm in try d.decodeLost(into: &pcm) }
        func error(_ x: [Int16]) -> Double {
            rms(zip(x, reference).map { Int16(clamping: Int($0) - Int($1)) }[...])
        }
        // Measured: FEC misses by ~2 % of the level, concealment by ~70 %.
        #expect(error(fec) < 0.1 * rms(reference[...]))
        #expect(error(fec) * 4 < error(plc), "FEC error \(error(fec)), PLC error \(error(plc))")
        #expect(abs(db(rms(fec[...]) / rms(reference[...]))) < 3)
    }

    @Test func malformedPacketsThrowTypedErrors() throws {
        let decoder = try OpusDecoder()
        var pcm: [Int16] = []
        // Code 3 (RFC 6716 §3.2.5) needs a frame-count byte: OPUS_INVALID_PACKET is -4.
        #expect(throws: CodecError.opus(code: -4, message: "corrupted stream")) {
            try decoder.decode([0x03], into: &pcm)
        }
        // Code 1 (two equal frames) with an odd payload length (§3.2.3).
        let odd = #expect(throws: CodecError.self) { try decoder.decode([0x01, 0x00], into: &pcm) }
        if case .opus(let code, let message)? = odd {
            #expect(code < 0 && !message.isEmpty)
        } else {
            Issue.record("expected an opus error, got \(String(describing: odd))")
        }
        #expect(throws: CodecError.emptyPacket) { try decoder.decode([], into: &pcm) }
        #expect(throws: CodecError.emptyPacket) { try decoder.decodeFEC(from: [], into: &pcm) }
    }

    @Test func badInputAndConfigurationAreRejected() throws {
        #expect(throws: CodecError.unsupportedAudioFormat(sampleRate: 48_000, channels: 3)) {
            try OpusEncoder(channels: 3)
        }
        #expect(throws: CodecError.self) { try OpusEncoder(bitrate: 1_000) }
        let encoder = try OpusEncoder(channels: 1)
        var out: [UInt8] = []
        #expect(throws: CodecError.unsupportedAudioFormat(sampleRate: 44_100, channels: 1)) {
            try encoder.encode(AudioFrame(sampleRate: 44_100, samples: sine(frames: 882)), into: &out)
        }
        // 100 samples is no Opus frame length: libopus answers OPUS_BAD_ARG (-1).
        #expect(throws: CodecError.opus(code: -1, message: "invalid argument")) {
            try encoder.encode(AudioFrame(samples: sine(frames: 100)), into: &out)
        }
        #expect(throws: CodecError.badFrameLength(samples: 0, channels: 1)) {
            try encoder.encode(AudioFrame(samples: []), into: &out)
        }
        try encoder.setBitrate(24_000)
        try encoder.setPacketLossPercent(5)
        #expect(encoder.bitrate == 24_000 && encoder.packetLossPercent == 5)
    }
}

/// The kiosk's audio receive path: which packets carry FEC, and what the receiver makes of gaps.
@Suite struct OpusReceiverTests {
    /// A swelling 440 Hz tone, voice-like enough for SILK (where in-band FEC lives).
    static func packets(loss: Int, count: Int = 50) throws -> [[UInt8]] {
        let encoder = try OpusEncoder(channels: 1, packetLossPercent: loss)
        var out: [UInt8] = []
        var packets: [[UInt8]] = []
        for k in 0..<count {
            let pcm = (0..<960).map { i -> Int16 in
                let t = Double(k * 960 + i)
                return Int16(8_000 * (0.2 + 0.8 * t / Double(count * 960)) * sin(2 * Double.pi * 440 * t / 48_000))
            }
            let n = try pcm.withUnsafeBufferPointer { (p) throws(CodecError) -> Int in try encoder.encode(p, into: &out) }
            packets.append(Array(out[0..<n]))
        }
        return packets
    }

    /// The flag read from the first bits must say exactly when libopus has FEC to decode: where
    /// it has none, `decodeFEC` falls back to concealment and gives the same samples as PLC.
    @Test func theFECFlagSaysExactlyWhenLibopusHasFEC() throws {
        let packets = try Self.packets(loss: 20)
        var flagged = 0, wrong: [Int] = []
        for i in 1..<packets.count {
            func recovered(fec: Bool) throws -> [Int16] {
                let d = try OpusDecoder()
                var pcm: [Int16] = []
                for p in packets[0..<i] { _ = try d.decode(p, into: &pcm) }
                let n = fec ? try d.decodeFEC(from: packets[i], into: &pcm) : try d.decodeLost(into: &pcm)
                return Array(pcm[0..<n])
            }
            let hasFEC = try recovered(fec: true) != recovered(fec: false)
            if OpusFormat.carriesFEC(packets[i]) { flagged += 1 }
            if OpusFormat.carriesFEC(packets[i]) != hasFEC { wrong.append(i) }
        }
        #expect(wrong.isEmpty, "packets whose flag is wrong: \(wrong)")
        // With loss expected libopus protects most packets (here all but those of the last,
        // loudest stretch); with none expected, none.
        #expect(flagged > 25, "\(flagged) of 49")
        #expect(try Self.packets(loss: 0).filter(OpusFormat.carriesFEC).isEmpty)
        // CELT-only (config >= 16), multi-frame (code 1) and 1-byte packets never answer yes.
        #expect(!OpusFormat.carriesFEC([0x80, 0xFF, 0xFF]))
        #expect(!OpusFormat.carriesFEC([0x79, 0xFF, 0xFF]))
        #expect(!OpusFormat.carriesFEC([0x78]))
    }

    /// Packets through the playout buffer and the receiver as the playout thread runs them:
    /// all queued, one pull per 20 ms frame.
    static func playOut(_ packets: [[UInt8]], lost: (Int) -> Bool) throws -> (OpusReceiver.Counters, played: Int) {
        var buffer = AudioPlayoutBuffer()
        for (i, p) in packets.enumerated() where !lost(i) {
            p.withUnsafeBytes { buffer.push($0, timestamp: UInt32(i * 960), frameTicks: 960, fec: OpusFormat.carriesFEC($0)) }
        }
        let receiver = try OpusReceiver()
        var payload: [UInt8] = []
        var played = 0
        for _ in packets.indices {
            let action = buffer.pull(into: &payload)
            #expect(action != .decodeAndDrop, "nothing queued beyond need long enough to shrink")
            receiver.playFrame(action, packet: payload) { played += $0.count }
        }
        return (receiver.counters, played)
    }

    @Test func aSingleLossIsRebuiltFromFECAndLongerGapsAreConcealed() throws {
        let packets = try Self.packets(loss: 20)
        // The encoder protected 21 and 33 (the packets after the first two gaps), not 46.
        try #require(OpusFormat.carriesFEC(packets[21]) && OpusFormat.carriesFEC(packets[33]))
        try #require(!OpusFormat.carriesFEC(packets[46]))
        // 20 lost alone; 30–32 lost together; 36–45 (200 ms) lost together.
        let (c, played) = try Self.playOut(packets) { $0 == 20 || (30...32).contains($0) || (36...45).contains($0) }
        #expect(c.packetsDecoded == 36)
        #expect(c.packetsRecoveredByFEC == 2)
        // 20 rebuilt; of 30–32 two concealed and 32 rebuilt; 36–45 all concealed (46 has no FEC).
        #expect(c.concealedPackets == 12)
        #expect(c.concealmentEvents == 2)
        #expect(c.concealedSamples == 12 * 960)
        #expect(c.totalSamplesReceived == 50 * 960)
        // Every frame's slot is played: the playout clock never skips.
        #expect(played == 50 * 960)
    }

    @Test func withoutFECEveryLostFrameIsConcealed() throws {
        let (c, _) = try Self.playOut(try Self.packets(loss: 0)) { $0 == 20 }
        #expect(c.packetsRecoveredByFEC == 0)
        #expect(c.concealedPackets == 1)
        #expect(c.concealmentEvents == 1)
    }
}

