internal import COpus
import Media

/// Encodes 48 kHz PCM into Opus packets for the call (RFC 7587): VOIP application, in-band FEC
/// on, DTX off, 20 ms frames.
///
/// `@unchecked Sendable`: libopus state has no locks, so an encoder must be used by one thread
/// at a time. It is Sendable only so its owner can hand it to the audio thread once; nothing
/// here is safe to call concurrently.
public final class OpusEncoder: @unchecked Sendable {
    public let channels: Int
    public private(set) var bitrate: Int
    public private(set) var packetLossPercent: Int
    /// Samples per channel by which decoded audio lags the input (OPUS_GET_LOOKAHEAD).
    public let lookahead: Int
    private let state: OpaquePointer

    /// - Parameters:
    ///   - bitrate: bits per second, 6_000...510_000.
    ///   - packetLossPercent: expected loss, 0...100; in-band FEC is only spent when above 0.
    ///   - complexity: 0...10; 5 is cheap enough for small CPUs and still clean for speech.
    public init(channels: Int = 1, bitrate: Int = 32_000, packetLossPercent: Int = 10,
                complexity: Int = 5) throws(CodecError) {
        try OpusFormat.checkChannels(channels)
        guard (0...10).contains(complexity) else { throw .badConfiguration("opus complexity \(complexity)") }
        var err: Int32 = 0
        guard let state = opus_encoder_create(Int32(OpusFormat.sampleRate), Int32(channels),
                                              OPUS_APPLICATION_VOIP, &err), err == OPUS_OK else {
            throw .opusFailure(err == OPUS_OK ? OPUS_ALLOC_FAIL : err)
        }
        var lookahead: Int32 = 0
        let status = kiosk_opus_get_lookahead(state, &lookahead)
        guard status == OPUS_OK else {
            opus_encoder_destroy(state)
            throw .opusFailure(status)
        }
        self.state = state
        self.channels = channels
        self.bitrate = bitrate
        self.packetLossPercent = packetLossPercent
        self.lookahead = Int(lookahead)
        // Every stored property is set: from here a throw runs deinit, which frees `state`.
        try Self.check(kiosk_opus_set_signal_voice(state))
        try Self.check(kiosk_opus_set_complexity(state, Int32(complexity)))
        try Self.check(kiosk_opus_set_inband_fec(state, 1))
        try Self.check(kiosk_opus_set_dtx(state, 0))
        try setBitrate(bitrate)
        try setPacketLossPercent(packetLossPercent)
    }

    deinit { opus_encoder_destroy(state) }

    public func setBitrate(_ bitsPerSecond: Int) throws(CodecError) {
        guard (6_000...510_000).contains(bitsPerSecond) else {
            throw .badConfiguration("opus bitrate \(bitsPerSecond)")
        }
        try Self.check(kiosk_opus_set_bitrate(state, Int32(bitsPerSecond)))
        bitrate = bitsPerSecond
    }

    /// Tells the encoder how much loss to protect against (from RTCP receiver reports).
    public func setPacketLossPercent(_ percent: Int) throws(CodecError) {
        guard (0...100).contains(percent) else { throw .badConfiguration("opus packet loss \(percent)") }
        try Self.check(kiosk_opus_set_packet_loss_perc(state, Int32(percent)))
        packetLossPercent = percent
    }

    /// Encodes one frame of interleaved PCM (2.5, 5, 10, 20, 40 or 60 ms) into `out`, which is
    /// grown once to `OpusFormat.maxPacketBytes` and then reused. Returns the packet length;
    /// the packet is `out[0..<length]`.
    public func encode(_ pcm: UnsafeBufferPointer<Int16>, into out: inout [UInt8]) throws(CodecError) -> Int {
        let frames = pcm.count / channels
        guard let base = pcm.baseAddress, frames > 0, frames * channels == pcm.count,
              frames <= OpusFormat.maxSamplesPerChannel else {
            throw .badFrameLength(samples: pcm.count, channels: channels)
        }
        if out.count < OpusFormat.maxPacketBytes {
            out.append(contentsOf: repeatElement(0, count: OpusFormat.maxPacketBytes - out.count))
        }
        let written = out.withUnsafeMutableBufferPointer { o in
            // `o` is non-empty: it was just grown to maxPacketBytes.
            opus_encode(state, base, Int32(frames), o.baseAddress!, Int32(o.count))
        }
        guard written >= 0 else { throw .opusFailure(written) }
        return Int(written)
    }

    /// Encodes an `AudioFrame`; it must be 48 kHz with this encoder's channel count.
    public func encode(_ frame: AudioFrame, into out: inout [UInt8]) throws(CodecError) -> Int {
        guard frame.sampleRate == OpusFormat.sampleRate, frame.channels == channels else {
            throw .unsupportedAudioFormat(sampleRate: frame.sampleRate, channels: frame.channels)
        }
        return try frame.samples.withUnsafeBufferPointer { (pcm) throws(CodecError) -> Int in
            try encode(pcm, into: &out)
        }
    }

    /// Drops the encoder's history, e.g. when the microphone restarts.
    public func reset() { _ = kiosk_opus_reset_encoder(state) }

    private static func check(_ result: Int32) throws(CodecError) {
        if result != OPUS_OK { throw .opusFailure(result) }
    }
}
