/// Shared limits of the Opus codec as the call uses it (RFC 7587: 48 kHz RTP clock).
public enum OpusFormat {
    public static let sampleRate = 48_000
    /// 20 ms at 48 kHz, the frame the kiosk sends.
    public static let samplesPerChannel20ms = 960
    /// 120 ms, the longest frame an Opus packet can carry (RFC 6716 §3.2.5).
    public static let maxSamplesPerChannel = 5_760
    /// libopus's recommended output buffer size for one packet.
    public static let maxPacketBytes = 4_000

    static func checkChannels(_ channels: Int) throws(CodecError) {
        guard channels == 1 || channels == 2 else {
            throw .unsupportedAudioFormat(sampleRate: sampleRate, channels: channels)
        }
    }
}
