/// The bounds and starting point of the send rate (bits per second, everything we send:
/// audio, video, headers and retransmissions).
public struct SendRateConfig: Sendable, Equatable {
    /// libwebrtc starts at 300 kbit/s and lets the receiver's REMB raise it in the first
    /// seconds; a cap below that is found within a report or two.
    public var startBitsPerSecond = 300_000
    public var minBitsPerSecond = 100_000
    public var maxBitsPerSecond = 1_000_000

    public init(startBitsPerSecond: Int = 300_000, minBitsPerSecond: Int = 100_000, maxBitsPerSecond: Int = 1_000_000) {
        self.minBitsPerSecond = minBitsPerSecond
        self.maxBitsPerSecond = max(minBitsPerSecond, maxBitsPerSecond)
        self.startBitsPerSecond = min(max(startBitsPerSecond, minBitsPerSecond), self.maxBitsPerSecond)
    }
}
