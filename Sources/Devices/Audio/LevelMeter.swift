#if canImport(Glibc)
import Glibc
#endif

/// RMS and peak level of 16-bit PCM in dBFS (0 dBFS = full scale; a full-scale sine reads
/// -3.01 dBFS RMS). For the pre-call microphone check and the speaker self-test.
public struct LevelMeter: Sendable, Equatable {
    public private(set) var sampleCount = 0
    private var sumOfSquares: Double = 0
    private var peak: Int = 0

    /// The floor reported for digital silence.
    public static let silenceDBFS: Double = -120

    public init() {}

    public init(_ samples: [Int16]) { add(samples) }

    public mutating func add(_ samples: [Int16]) {
        for s in samples {
            let v = Int(s)
            sumOfSquares += Double(v * v)
            peak = max(peak, abs(v))
        }
        sampleCount += samples.count
    }

    public mutating func reset() { self = LevelMeter() }

    public var rmsDBFS: Double {
        guard sampleCount > 0, sumOfSquares > 0 else { return Self.silenceDBFS }
        return max(Self.silenceDBFS, 20 * log10((sumOfSquares / Double(sampleCount)).squareRoot() / 32768))
    }

    public var peakDBFS: Double {
        guard peak > 0 else { return Self.silenceDBFS }
        return max(Self.silenceDBFS, 20 * log10(Double(peak) / 32768))
    }
}
