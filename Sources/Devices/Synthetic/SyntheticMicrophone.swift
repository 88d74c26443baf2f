import Media

#if canImport(Glibc)
import Glibc
#endif

/// A microphone that produces a sine tone, 20 ms per frame at 48 kHz. Frame n is due at
/// start + n * 20 ms on the caller's clock; the phase is continuous, so output is deterministic.
public final class SyntheticMicrophone: Microphone {
    public let id: String
    public let sampleRate: Int
    public let channels: Int
    public let frequency: Double
    /// Peak amplitude in dBFS (0 = full scale).
    public let levelDBFS: Double
    public static let frameMillis = 20
    private var originNanos: Int64?
    private var nextIndex = 0
    private var running = false

    public init(frequency: Double = 440, levelDBFS: Double = -12, sampleRate: Int = 48_000, channels: Int = 1,
                id: String = "synthetic") {
        self.id = id
        self.frequency = frequency
        self.levelDBFS = levelDBFS
        self.sampleRate = sampleRate
        self.channels = max(1, channels)
    }

    public var samplesPerFrame: Int { sampleRate * Self.frameMillis / 1000 }

    public func start() throws(DeviceError) {
        running = true
        originNanos = nil
        nextIndex = 0
    }

    public func stop() { running = false }

    /// When the next frame is due (nil before the first read after start()).
    public var nextWakeNanos: Int64? {
        originNanos.map { $0 + Int64(nextIndex) * Int64(Self.frameMillis) * 1_000_000 }
    }

    /// Returns each due frame once, in order (audio is never skipped); call again while it
    /// returns frames to catch up.
    public func read(now: Int64, timeoutMillis: Int = 0) throws(DeviceError) -> AudioFrame? {
        guard running else { throw .notStarted(device: id) }
        let origin = originNanos ?? now
        originNanos = origin
        let due = origin + Int64(nextIndex) * Int64(Self.frameMillis) * 1_000_000
        guard now >= due else { return nil }
        let frame = Self.tone(frequency: frequency, levelDBFS: levelDBFS, sampleRate: sampleRate, channels: channels,
                              firstSample: nextIndex * samplesPerFrame, count: samplesPerFrame, timestampNanos: due)
        nextIndex += 1
        return frame
    }

    /// `count` samples per channel of a sine starting at sample `firstSample` of the tone.
    public static func tone(frequency: Double, levelDBFS: Double, sampleRate: Int = 48_000, channels: Int = 1,
                            firstSample: Int = 0, count: Int, timestampNanos: Int64 = 0) -> AudioFrame {
        let amplitude = 32767 * pow(10, levelDBFS / 20)
        var samples = [Int16](repeating: 0, count: count * channels)
        for i in 0..<count {
            // Phase from the sample number modulo one period keeps precision over hours.
            let n = Double(firstSample + i)
            let phase = (n * frequency / Double(sampleRate)).truncatingRemainder(dividingBy: 1)
            let value = Int16(clamping: Int((amplitude * sin(2 * Double.pi * phase)).rounded()))
            for c in 0..<channels { samples[i * channels + c] = value }
        }
        return AudioFrame(sampleRate: sampleRate, channels: channels, samples: samples, timestampNanos: timestampNanos)
    }
}
