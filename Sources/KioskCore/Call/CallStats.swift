import SessionPeer

/// The call's quality figures, both directions, named as webrtc-stats names them where a name
/// exists (so they can be set beside a browser's `getStats()` on the same link): what
/// `kioskd control stats` shows, the one line logged at the end of a call and the demo's
/// summary. Counts, rates and candidate types only: no name, no address, no token.
public struct CallStats: Codable, Equatable, Sendable {
    /// The clinician's video as the kiosk received and decoded it.
    public struct InboundVideo: Codable, Equatable, Sendable {
        /// Capture to the kiosk's screen, for frames the clinician's page stamped (its test mode).
        /// Optional so a newer `kioskd control` reads an older daemon's stats.
        public var glassToGlass: GlassToGlass.Summary?
        public var packetsReceived = 0
        public var packetsLost = 0
        /// Missing packets that came after a NACK.
        public var retransmittedPacketsReceived = 0
        public var bytesReceived = 0
        /// Interarrival jitter in seconds (RFC 3550 §A.8).
        public var jitter = 0.0
        /// Complete frames out of the jitter buffer; frames given up before decoding (incomplete,
        /// missing reference, overflow, undecodable).
        public var framesReceived = 0
        public var framesDropped = 0
        public var framesDecoded = 0
        public var keyFramesDecoded = 0
        public var framesPerSecond = 0
        public var frameWidth = 0
        public var frameHeight = 0
        public var freezeCount = 0
        public var totalFreezesDuration = 0.0
        public var longestFreeze = 0.0
        public var nackCount = 0
        public var pliCount = 0
        /// Why frames were given up before decoding (kioskd's own, no webrtc-stats name):
        /// incomplete after the wait for retransmissions, a delta frame whose reference was
        /// lost, and missing packets the NACK logic stopped asking for.
        public var framesDroppedIncomplete = 0
        public var framesDroppedNoReference = 0
        public var nackGiveUps = 0
        /// Frames the VP8 decoder refused (each makes it wait for a keyframe).
        public var decodeErrors = 0
        /// Received packets with no payload, or RTX packets that repaired nothing: the
        /// clinician's bandwidth probes (kioskd's own).
        public var paddingPacketsReceived = 0
        /// Of `retransmittedPacketsReceived`, those that came on the clinician's RTX stream.
        public var retransmittedPacketsReceivedOnRTX = 0
        /// webrtc-stats: seconds from each frame's first packet to its leaving the jitter
        /// buffer, summed over `jitterBufferEmittedCount` frames (the mean is their ratio).
        public var jitterBufferDelay = 0.0
        public var jitterBufferEmittedCount = 0
        /// webrtc-stats: ULPFEC parity packets received and those that repaired nothing; and
        /// kioskd's own: lost packets rebuilt from them (not retransmitted, not lost).
        public var fecPacketsReceived = 0
        public var fecPacketsDiscarded = 0
        public var packetsRecoveredByFEC = 0
    }

    /// The clinician's audio as the kiosk received, decoded and concealed it.
    public struct InboundAudio: Codable, Equatable, Sendable {
        public var packetsReceived = 0
        public var packetsLost = 0
        public var jitter = 0.0
        public var totalSamplesReceived = 0
        public var concealedSamples = 0
        public var concealmentEvents = 0
        /// Lost packets rebuilt from the next packet's in-band FEC (not concealed).
        public var packetsRecoveredByFEC = 0
        /// Lost packets whose frame came again in the next packet (RED, RFC 2198).
        public var packetsRecoveredByRED = 0
        public var audioLevelDBFS = -120.0
        /// The playout buffer (webrtc-stats' names): packets that came after their frame was
        /// played or were dropped to shrink the delay; samples concealed because nothing had
        /// come yet (the delay grew) and dropped to shrink it; what it holds now (ms); times
        /// the speaker ran dry.
        public var packetsDiscarded = 0
        public var insertedSamplesForDeceleration = 0
        public var removedSamplesForAcceleration = 0
        public var playoutQueuedMs = 0
        public var speakerUnderruns = 0
    }

    /// The kiosk's video as it encoded and sent it, and what the clinician reported about it.
    public struct OutboundVideo: Codable, Equatable, Sendable {
        /// Camera frames captured during the call's life (kioskd's own), those encoded, and
        /// those the encoder's rate control dropped.
        public var framesCaptured = 0
        public var framesEncoded = 0
        public var framesDroppedByEncoder = 0
        public var keyFramesEncoded = 0
        public var packetsSent = 0
        public var bytesSent = 0
        public var retransmittedPacketsSent = 0
        public var frameWidth = 0
        public var frameHeight = 0
        /// NACK, PLI and FIR packets the clinician sent about it.
        public var nackCount = 0
        public var pliCount = 0
        public var firCount = 0
        /// The encoder's share of the send rate (bits per second).
        public var targetBitrate = 0
        /// The clinician's last receiver report: fraction lost (0–1) and cumulative loss.
        public var remoteFractionLost = 0.0
        public var remotePacketsLost = 0
        /// ULPFEC parity packets sent inside RED, and how many per 100 media packets now
        /// (kioskd's own: parity follows the reported loss on paths of 20 ms RTT or more).
        public var fecPacketsSent = 0
        public var fecProtectionPercent = 0
    }

    public struct OutboundAudio: Codable, Equatable, Sendable {
        public var framesEncoded = 0
        public var packetsSent = 0
        public var bytesSent = 0
        /// The loss Opus protects against with in-band FEC (percent).
        public var fecLossPercent = 0
        /// Packets sent as RED with the frame before them (while the clinician reports loss).
        public var redundantPacketsSent = 0
        public var remoteFractionLost = 0.0
    }

    public struct Transport: Codable, Equatable, Sendable {
        public var iceState = "new"
        /// Candidate types, local then remote (`host-host`, `relay-srflx`): never addresses.
        public var selectedCandidatePair: String?
        public var selectedCandidatePairChanges = 0
        public var iceRestarts = 0
        /// Seconds, from the last receiver report's round trip (RFC 3550 §6.4.1).
        public var currentRoundTripTime: Double?
        /// The send rate the clinician's feedback allows (bits per second), the clinician's
        /// last REMB, and how often loss made the kiosk back off.
        public var availableOutgoingBitrate = 0
        public var remoteEstimatedBitrate: Int?
        public var sendRateDecreases = 0
        public var transportFeedbacksSent = 0
        /// The kiosk's own delay-based estimate from the clinician's transport-wide feedback
        /// (nil when the clinician sends none), the feedbacks read, and the queue growths seen.
        public var delayBasedEstimate: Int?
        public var transportFeedbacksReceived = 0
        public var delayOveruses = 0
        /// The cap the kiosk asks of the clinician (REMB) while the path toward it holds a
        /// standing queue (nil: none), and how often it was cut.
        public var receiveCap: Int?
        public var receiveCapCuts = 0
        public var srtpErrors = 0
    }

    public var state: String
    public var inboundVideo = InboundVideo()
    public var inboundAudio = InboundAudio()
    public var outboundVideo = OutboundVideo()
    public var outboundAudio = OutboundAudio()
    public var transport = Transport()

    public init(state: String, peer: PeerStats?, media: MediaPipeline.Counters) {
        self.state = state
        let p = peer ?? PeerStats()
        let videoClock = 90_000.0, audioClock = 48_000.0

        var iv = InboundVideo()
        if let r = p.videoReceive {
            iv.packetsReceived = Int(r.packetsReceived)
            iv.packetsLost = max(0, Int(r.packetsLost))
            iv.retransmittedPacketsReceived = Int(r.packetsRecoveredByNack)
            iv.bytesReceived = Int(r.payloadBytesReceived)
            iv.jitter = Double(r.jitter) / videoClock
            iv.framesReceived = Int(r.framesDelivered)
            iv.framesDropped = Int(r.framesDropped)
            iv.nackCount = Int(r.nackPacketsSent)
            iv.pliCount = Int(r.keyframeRequestsSent)
            iv.framesDroppedIncomplete = Int(r.framesDroppedIncomplete)
            iv.framesDroppedNoReference = Int(r.framesDroppedNoReference)
            iv.nackGiveUps = Int(r.nackGiveUps)
            iv.paddingPacketsReceived = Int(r.paddingPacketsReceived) + p.videoRTXPaddingReceived
            iv.retransmittedPacketsReceivedOnRTX = Int(r.packetsRepairedByRTX)
            iv.jitterBufferDelay = Double(r.jitterBufferDelayNanoseconds) / 1e9
            iv.jitterBufferEmittedCount = Int(r.framesDelivered)
            iv.fecPacketsReceived = Int(r.fecPacketsReceived)
            iv.fecPacketsDiscarded = Int(r.fecPacketsDiscarded)
            iv.packetsRecoveredByFEC = Int(r.packetsRecoveredByFEC)
        }
        iv.framesDecoded = media.videoFramesDecoded
        iv.decodeErrors = media.videoDecodeErrors
        // As webrtc-stats counts them: also the frames the decoder never took (no reference).
        iv.framesDropped += media.framesSkippedAwaitingKeyframe + media.videoDecodeErrors
        iv.keyFramesDecoded = media.keyframesDecoded
        iv.framesPerSecond = media.videoFramesPerSecond
        iv.frameWidth = media.decodedWidth
        iv.frameHeight = media.decodedHeight
        iv.freezeCount = media.videoFreezeCount
        iv.totalFreezesDuration = media.videoTotalFreezesDuration
        iv.longestFreeze = media.videoLongestFreeze
        iv.glassToGlass = media.glassToGlass
        inboundVideo = iv

        var ia = InboundAudio()
        if let r = p.audioReceive {
            ia.packetsReceived = Int(r.packetsReceived)
            ia.packetsLost = max(0, Int(r.packetsLost))
            ia.jitter = Double(r.jitter) / audioClock
            ia.packetsRecoveredByRED = Int(r.packetsRecoveredByRED)
        }
        ia.totalSamplesReceived = media.audioSamplesReceived
        ia.concealedSamples = media.audioConcealedSamples
        ia.concealmentEvents = media.audioConcealmentEvents
        ia.packetsRecoveredByFEC = media.audioPacketsRecoveredByFEC
        ia.audioLevelDBFS = media.remoteAudioLevelDBFS
        ia.packetsDiscarded = media.audioPacketsLate + media.audioPacketsDroppedCatchingUp
        ia.insertedSamplesForDeceleration = media.audioFramesConcealedUnderflow * 960
        ia.removedSamplesForAcceleration = media.audioPacketsDroppedCatchingUp * 960
        ia.playoutQueuedMs = media.audioPlayoutQueuedMillis
        ia.speakerUnderruns = media.speakerUnderruns
        inboundAudio = ia

        var ov = OutboundVideo()
        ov.framesEncoded = media.videoFramesEncoded
        ov.framesCaptured = media.videoFramesCaptured
        ov.framesDroppedByEncoder = media.videoFramesDroppedByEncoder
        ov.keyFramesEncoded = media.keyframesEncoded
        ov.frameWidth = media.encodedWidth
        ov.frameHeight = media.encodedHeight
        ov.targetBitrate = media.videoTargetKbps * 1000
        if let s = p.videoSend {
            ov.packetsSent = Int(s.packetsSent)
            ov.bytesSent = Int(s.bytesSent)
            ov.retransmittedPacketsSent = Int(s.retransmittedPackets)
            ov.nackCount = Int(s.nacksReceived)
            ov.pliCount = Int(s.plisReceived)
            ov.firCount = Int(s.firsReceived)
            ov.remoteFractionLost = Double(s.remoteFractionLost ?? 0) / 256
            ov.remotePacketsLost = Int(s.remoteCumulativeLost ?? 0)
            ov.fecPacketsSent = Int(s.fecPacketsSent)
        }
        ov.fecProtectionPercent = p.videoFECProtectionPercent
        outboundVideo = ov

        var oa = OutboundAudio()
        oa.framesEncoded = media.audioFramesEncoded
        oa.fecLossPercent = media.audioEncoderLossPercent
        oa.redundantPacketsSent = p.audioRedundantPacketsSent
        if let s = p.audioSend {
            oa.packetsSent = Int(s.packetsSent)
            oa.bytesSent = Int(s.bytesSent)
            oa.remoteFractionLost = Double(s.remoteFractionLost ?? 0) / 256
        }
        outboundAudio = oa

        var t = Transport()
        t.iceState = p.iceState
        t.selectedCandidatePair = p.selectedPair
        t.selectedCandidatePairChanges = p.selectedPairChanges
        t.iceRestarts = p.iceRestarts
        t.currentRoundTripTime = p.roundTripMilliseconds.map { $0 / 1000 }
        t.availableOutgoingBitrate = p.targetBitrate ?? 0
        t.remoteEstimatedBitrate = p.remoteEstimatedBitrate
        t.sendRateDecreases = p.sendRateDecreases
        t.transportFeedbacksSent = p.transportFeedbacksSent
        t.delayBasedEstimate = p.delayBasedEstimate
        t.transportFeedbacksReceived = p.transportFeedbacksReceived
        t.delayOveruses = p.delayOveruses
        t.receiveCap = p.receiveCap
        t.receiveCapCuts = p.receiveCapCuts
        t.srtpErrors = p.srtpErrors
        transport = t
    }
}
