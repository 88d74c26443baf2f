import Testing
import Media
@testable import Devices

@Suite struct SyntheticAudioTests {
    @Test func microphoneGives20msFramesPacedByCallerTime() throws {
        let mic = SyntheticMicrophone(frequency: 1000, levelDBFS: -6)
        try mic.start()
        var frames: [AudioFrame] = []
        for t in stride(from: Int64(0), to: 1_000_000_000, by: 5_000_000) {
            while let f = try mic.read(now: t, timeoutMillis: 0) { frames.append(f) }
        }
        #expect(frames.count == 50)
        #expect(frames.allSatisfy { $0.samples.count == 960 && $0.sampleRate == 48_000 })
        #expect(frames[1].timestampNanos == 20_000_000)
        let all = frames.flatMap(\.samples)
        let f = try #require(ToneAnalysis.estimateFrequency(all))
        #expect(abs(f - 1000) < 1)
        let meter = LevelMeter(all)
        #expect(abs(meter.peakDBFS - -6) < 0.1)
        #expect(abs(meter.rmsDBFS - (-6 - 3.01)) < 0.1)
    }

    @Test func phaseIsContinuousAcrossFrames() {
        let whole = SyntheticMicrophone.tone(frequency: 440, levelDBFS: -3, count: 1920)
        let a = SyntheticMicrophone.tone(frequency: 440, levelDBFS: -3, firstSample: 0, count: 960)
        let b = SyntheticMicrophone.tone(frequency: 440, levelDBFS: -3, firstSample: 960, count: 960)
        #expect(whole.samples == a.samples + b.samples)
    }

    @Test func stereoFrequencyOnOneChannel() throws {
        let tone = SyntheticMicrophone.tone(frequency: 523.25, levelDBFS: -20, channels: 2, count: 48_000)
        let f = try #require(ToneAnalysis.estimateFrequency(tone.samples, channels: 2, channel: 1))
        #expect(abs(f - 523.25) / 523.25 < 0.001)
    }

    @Test func levelMeterSilenceAndFullScale() {
        #expect(LevelMeter([0, 0, 0]).rmsDBFS == LevelMeter.silenceDBFS)
        #expect(LevelMeter().peakDBFS == LevelMeter.silenceDBFS)
        let square = LevelMeter([Int16.min, Int16.min, Int16.min, Int16.min])
        #expect(abs(square.rmsDBFS) < 0.001)
        #expect(abs(square.peakDBFS) < 0.001)
    }

    @Test func syntheticSpeakerMeters() throws {
        let spk = SyntheticSpeaker()
        #expect(throws: DeviceError.notStarted(device: "synthetic")) {
            try spk.write(AudioFrame(samples: [1]))
        }
        try spk.start()
        try spk.write(SyntheticMicrophone.tone(frequency: 440, levelDBFS: -10, count: 960))
        #expect(spk.framesWritten == 1)
        #expect(abs(spk.meter.peakDBFS - -10) < 0.1)
    }
}
