/// A block of interleaved signed 16-bit PCM, the unit exchanged between microphones, the Opus
/// codec and speakers. The call uses 48 kHz and 20 ms (960 samples per channel).
public struct AudioFrame: Sendable {
    public var sampleRate: Int
    public var channels: Int
    public var samples: [Int16]
    public var timestampNanos: Int64

    public init(sampleRate: Int = 48_000, channels: Int = 1, samples: [Int16], timestampNanos: Int64 = 0) {
        self.sampleRate = sampleRate
        self.channels = channels
        self.samples = samples
        self.timestampNanos = timestampNanos
    }

    public var frameCount: Int { channels == 0 ? 0 : samples.count / channels }
}
