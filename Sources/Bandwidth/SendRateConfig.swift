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

/// How a send rate is split between the encoders: audio's share is its bitrate plus its
/// headers (50 packets/s × ~60 bytes of RTP, SRTP, UDP and IP ≈ 24 kbit/s); video keeps 10 %
/// of the rest for its own headers and the retransmissions NACKs ask for. Never under
/// 30 kbit/s (libvpx's floor for a picture that still moves) nor over the video maximum.
public enum SendRateSplit {
    static let audioHeadersKbps = 24

    public static func videoKbps(sendBitsPerSecond: Int, audioKbps: Int, maxKbps: Int) -> Int {
        let left = sendBitsPerSecond / 1000 - audioKbps - audioHeadersKbps
        return min(maxKbps, max(30, left * 9 / 10))
    }

    /// The bounds that let the encoders reach their maxima, starting (as libwebrtc) at
    /// 300 kbit/s: the inverse of `videoKbps` at the top.
    public static func config(videoKbps: Int, audioKbps: Int) -> SendRateConfig {
        let max = ((videoKbps * 10 + 8) / 9 + audioKbps + audioHeadersKbps) * 1000
        return SendRateConfig(startBitsPerSecond: 300_000, minBitsPerSecond: 100_000, maxBitsPerSecond: max)
    }
}
