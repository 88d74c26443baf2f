internal import COpus

/// Decodes Opus packets (RFC 7587) into interleaved 48 kHz PCM, with packet-loss concealment
/// and recovery from the next packet's in-band FEC (RFC 6716 §2.1.7).
///
/// Every decode writes into a caller-owned `[Int16]` that is grown once to the longest frame
/// (120 ms) and then reused; the result is `pcm[0..<samplesPerChannel * channels]`.
///
/// `@unchecked Sendable`: libopus state has no locks, so a decoder must be used by one thread
/// at a time. It is Sendable only so its owner can hand it to the audio thread once.
public final class OpusDecoder: @unchecked Sendable {
    public let channels: Int
    private let state: OpaquePointer

    public init(channels: Int = 1) throws(CodecError) {
        try OpusFormat.checkChannels(channels)
        var err: Int32 = 0
        guard let state = opus_decoder_create(Int32(OpusFormat.sampleRate), Int32(channels), &err),
              err == OPUS_OK else {
            throw .opusFailure(err == OPUS_OK ? OPUS_ALLOC_FAIL : err)
        }
        self.state = state
        self.channels = channels
    }

    deinit { opus_decoder_destroy(state) }

    /// Decodes one packet. Returns the samples per channel written.
    public func decode(_ packet: UnsafeRawBufferPointer, into pcm: inout [Int16]) throws(CodecError) -> Int {
        guard !packet.isEmpty else { throw .emptyPacket }
        return try run(packet, fec: false, samplesPerChannel: OpusFormat.maxSamplesPerChannel, into: &pcm)
    }

    public func decode(_ packet: [UInt8], into pcm: inout [Int16]) throws(CodecError) -> Int {
        try packet.withUnsafeBufferPointer { (bytes) throws(CodecError) -> Int in
            try decode(UnsafeRawBufferPointer(bytes), into: &pcm)
        }
    }

    public func decode(_ packet: ArraySlice<UInt8>, into pcm: inout [Int16]) throws(CodecError) -> Int {
        try packet.withUnsafeBufferPointer { (bytes) throws(CodecError) -> Int in
            try decode(UnsafeRawBufferPointer(bytes), into: &pcm)
        }
    }

    /// Conceals one lost packet of `samplesPerChannel` (a multiple of 2.5 ms, i.e. 120).
    public func decodeLost(samplesPerChannel: Int = OpusFormat.samplesPerChannel20ms,
                           into pcm: inout [Int16]) throws(CodecError) -> Int {
        try run(nil, fec: false, samplesPerChannel: samplesPerChannel, into: &pcm)
    }

    /// Rebuilds a lost packet from the FEC data carried in the packet that followed it. Falls
    /// back to concealment inside libopus when `nextPacket` carries no FEC. Decode
    /// `nextPacket` itself afterwards with `decode`.
    public func decodeFEC(from nextPacket: UnsafeRawBufferPointer,
                          samplesPerChannel: Int = OpusFormat.samplesPerChannel20ms,
                          into pcm: inout [Int16]) throws(CodecError) -> Int {
        guard !nextPacket.isEmpty else { throw .emptyPacket }
        return try run(nextPacket, fec: true, samplesPerChannel: samplesPerChannel, into: &pcm)
    }

    public func decodeFEC(from nextPacket: [UInt8],
                          samplesPerChannel: Int = OpusFormat.samplesPerChannel20ms,
                          into pcm: inout [Int16]) throws(CodecError) -> Int {
        try nextPacket.withUnsafeBufferPointer { (bytes) throws(CodecError) -> Int in
            try decodeFEC(from: UnsafeRawBufferPointer(bytes), samplesPerChannel: samplesPerChannel, into: &pcm)
        }
    }

    /// Samples per channel a packet decodes to, read from its TOC (RFC 6716 §3.1); use it to
    /// size `decodeLost`/`decodeFEC` for the frame that went missing.
    public static func samplesPerChannel(in packet: UnsafeRawBufferPointer) throws(CodecError) -> Int {
        guard let base = packet.baseAddress?.assumingMemoryBound(to: UInt8.self), packet.count > 0 else {
            throw .emptyPacket
        }
        guard packet.count <= Int(Int32.max) else { throw .opusFailure(OPUS_INVALID_PACKET) }
        let n = opus_packet_get_nb_samples(base, Int32(packet.count), Int32(OpusFormat.sampleRate))
        guard n >= 0 else { throw .opusFailure(n) }
        return Int(n)
    }

    /// Forgets all history, e.g. when the remote stream's SSRC changes.
    public func reset() { _ = kiosk_opus_reset_decoder(state) }

    private func run(_ packet: UnsafeRawBufferPointer?, fec: Bool, samplesPerChannel: Int,
                     into pcm: inout [Int16]) throws(CodecError) -> Int {
        guard (1...OpusFormat.maxSamplesPerChannel).contains(samplesPerChannel) else {
            throw .badFrameLength(samples: samplesPerChannel * channels, channels: channels)
        }
        if let packet, packet.count > Int(Int32.max) { throw .opusFailure(OPUS_INVALID_PACKET) }
        let capacity = OpusFormat.maxSamplesPerChannel * channels
        if pcm.count < capacity { pcm.append(contentsOf: repeatElement(0, count: capacity - pcm.count)) }
        let data = packet?.baseAddress?.assumingMemoryBound(to: UInt8.self)
        let length = Int32(packet?.count ?? 0)
        let decoded = pcm.withUnsafeMutableBufferPointer { out in
            // `out` holds `capacity` >= samplesPerChannel * channels samples, so non-nil.
            opus_decode(state, data, length, out.baseAddress!, Int32(samplesPerChannel), fec ? 1 : 0)
        }
        guard decoded >= 0 else { throw .opusFailure(decoded) }
        return Int(decoded)
    }
}
