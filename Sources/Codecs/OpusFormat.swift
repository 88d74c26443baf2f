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

extension OpusFormat {
    /// Whether a packet carries in-band FEC (SILK's LBRR data) for the frame before it, read
    /// from its first bits without decoding: libopus 1.3 (Debian 12) has no
    /// `opus_packet_has_lbrr`. Only single-frame packets (TOC code 0) in SILK or hybrid mode
    /// can say yes; anything else answers false (conceal rather than guess).
    ///
    /// SILK starts its range-coded frame with one VAD flag per 20 ms SILK frame, then the LBRR
    /// flag (RFC 6716 §4.2.3). Each is an equiprobable bit, and the range decoder's first
    /// equiprobable bits are exactly the first payload byte's top bits.
    public static func carriesFEC(_ packet: UnsafeRawBufferPointer) -> Bool {
        guard packet.count >= 2 else { return false }
        let toc = packet[0]
        let config = Int(toc >> 3)
        guard config < 16, toc & 0x03 == 0 else { return false }
        // SILK-only configs 0–11 cycle 10/20/40/60 ms; hybrid 12–15 alternate 10/20 ms.
        let milliseconds = config < 12 ? [10, 20, 40, 60][config & 3] : [10, 20][config & 1]
        let silkFrames = max(1, milliseconds / 20)
        // VAD flags in bits 7… then the LBRR flag (one channel's; the mid channel of stereo).
        return packet[1] & (0x80 >> silkFrames) != 0
    }

    public static func carriesFEC(_ packet: [UInt8]) -> Bool {
        packet.withUnsafeBytes { carriesFEC($0) }
    }
}
