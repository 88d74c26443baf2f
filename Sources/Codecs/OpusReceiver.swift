import Media

/// The decoding side of the call's audio playout: each frame `AudioPlayoutBuffer` hands out
/// is decoded, rebuilt from the next packet's in-band FEC (RFC 7587 §3.2), or concealed by
/// Opus PLC. How many frames an outage costs is the buffer's business: it conceals each
/// frame slot the speaker asks for, and no more once packets come again.
///
/// Counters use webrtc-stats' meaning: `totalSamplesReceived` includes concealed samples.
/// `@unchecked Sendable` as its decoder: one thread at a time.
public final class OpusReceiver: @unchecked Sendable {
    public struct Counters: Sendable, Equatable {
        public var packetsDecoded = 0
        public var totalSamplesReceived = 0
        public var concealedSamples = 0
        public var concealedPackets = 0
        /// Runs of concealed frames (one per gap that FEC did not fully cover).
        public var concealmentEvents = 0
        public var packetsRecoveredByFEC = 0
        public init() {}
    }

    public private(set) var counters = Counters()
    private let decoder: OpusDecoder
    private var pcm: [Int16] = []
    /// The playout path's: the last frame's length (what a concealed frame lasts), and
    /// whether the frame before was concealed (a run counts one concealment event).
    private var lastSamples = OpusFormat.samplesPerChannel20ms
    private var concealing = false

    /// - Parameter counters: where to count on from (an earlier call's totals).
    public init(channels: Int = 1, counters: Counters = Counters()) throws(CodecError) {
        decoder = try OpusDecoder(channels: channels)
        self.counters = counters
    }

    /// One frame of a playout clock's pull (`AudioPlayoutBuffer`): decoded, rebuilt from the
    /// FEC of `packet` (the packet after the lost frame), or concealed. Counted as `receive` counts.
    /// `.silence` plays nothing (the caller's speaker gets silence).
    public func playFrame(_ action: AudioPlayoutBuffer.Action, packet: [UInt8], play: (UnsafeBufferPointer<Int16>) -> Void) {
        let channels = decoder.channels
        switch action {
        case .silence:
            return
        case .decode, .decodeAndDrop:
            guard !packet.isEmpty, let n = try? decoder.decode(packet, into: &pcm), n > 0 else { return conceal(play) }
            counters.packetsDecoded += 1
            counters.totalSamplesReceived += n * channels
            lastSamples = n
            concealing = false
            if action == .decode { emit(n, play) }
        case .recoverFEC:
            guard let n = try? decoder.decodeFEC(from: packet, samplesPerChannel: lastSamples, into: &pcm), n > 0 else { return conceal(play) }
            counters.packetsRecoveredByFEC += 1
            counters.totalSamplesReceived += n * channels
            concealing = false
            emit(n, play)
        case .conceal:
            conceal(play)
        }
    }

    private func conceal(_ play: (UnsafeBufferPointer<Int16>) -> Void) {
        if !concealing { counters.concealmentEvents += 1 }
        concealing = true
        counters.concealedPackets += 1
        counters.concealedSamples += lastSamples * decoder.channels
        counters.totalSamplesReceived += lastSamples * decoder.channels
        if let n = try? decoder.decodeLost(samplesPerChannel: lastSamples, into: &pcm), n > 0 { emit(n, play) }
    }

    private func emit(_ samplesPerChannel: Int, _ play: (UnsafeBufferPointer<Int16>) -> Void) {
        pcm.withUnsafeBufferPointer { all in
            play(UnsafeBufferPointer(rebasing: all[0..<(samplesPerChannel * decoder.channels)]))
        }
    }
}
