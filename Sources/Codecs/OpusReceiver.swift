/// The receive side of the call's audio: packets decoded in order; before each, the frames
/// lost just before it are made up, the last of them rebuilt from the packet's in-band FEC
/// when it carries some (RFC 7587 §3.2), the rest concealed by Opus PLC.
///
/// A long gap (an outage, a path change) is counted whole but only its first
/// `maxPlayedConcealment` frames are synthesised: the speaker ran dry meanwhile, and playing
/// a second of made-up sound afterwards would only put the clinician a second behind.
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

    public static let maxPlayedConcealment = 5
    public private(set) var counters = Counters()
    private let decoder: OpusDecoder
    private var pcm: [Int16] = []

    /// - Parameter counters: where to count on from (an earlier call's totals).
    public init(channels: Int = 1, counters: Counters = Counters()) throws(CodecError) {
        decoder = try OpusDecoder(channels: channels)
        self.counters = counters
    }

    /// Decodes `packet`, after making up the `lostBefore` frames missing just before it. `play`
    /// gets each stretch of PCM in order (interleaved, valid only during the call).
    public func receive(_ packet: [UInt8], lostBefore: Int, play: (UnsafeBufferPointer<Int16>) -> Void) {
        guard !packet.isEmpty else { return }
        if lostBefore > 0 {
            let samples = (try? packet.withUnsafeBytes { (b) throws(CodecError) -> Int in
                try OpusDecoder.samplesPerChannel(in: b)
            }) ?? OpusFormat.samplesPerChannel20ms
            let fec = OpusFormat.carriesFEC(packet)
            let hidden = fec ? lostBefore - 1 : lostBefore
            if hidden > 0 {
                counters.concealmentEvents += 1
                counters.concealedPackets += hidden
                counters.concealedSamples += hidden * samples * decoder.channels
                counters.totalSamplesReceived += hidden * samples * decoder.channels
                for _ in 0..<min(hidden, Self.maxPlayedConcealment) {
                    if let n = try? decoder.decodeLost(samplesPerChannel: samples, into: &pcm), n > 0 { emit(n, play) }
                }
            }
            if fec, let n = try? decoder.decodeFEC(from: packet, samplesPerChannel: samples, into: &pcm), n > 0 {
                counters.packetsRecoveredByFEC += 1
                counters.totalSamplesReceived += n * decoder.channels
                emit(n, play)
            }
        }
        guard let n = try? decoder.decode(packet, into: &pcm), n > 0 else { return }
        counters.packetsDecoded += 1
        counters.totalSamplesReceived += n * decoder.channels
        emit(n, play)
    }

    private func emit(_ samplesPerChannel: Int, _ play: (UnsafeBufferPointer<Int16>) -> Void) {
        pcm.withUnsafeBufferPointer { all in
            play(UnsafeBufferPointer(rebasing: all[0..<(samplesPerChannel * decoder.channels)]))
        }
    }
}
