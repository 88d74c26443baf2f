import RTP
import SessionCore

/// Why a video frame was not delivered.
public enum RTPFrameDropReason: Sendable, Equatable {
    /// Its packets did not all arrive before the deadline.
    case incomplete
    /// A delta frame after a loss (or before the first keyframe): its reference is missing.
    case missingReference
    /// The buffer filled up (a sequence jump or a stalled head).
    case overflow
}

public struct RTPDroppedFrame: Sendable, Equatable {
    public var rtpTimestamp: UInt32?
    public var sequences: Range<Int64>
    public var reason: RTPFrameDropReason
}

public enum RTPVideoJitterEvent: Sendable, Equatable {
    /// A decodable frame; its bytes are in the buffer passed to `pop`.
    case frame(VP8AssembledFrame)
    case dropped(RTPDroppedFrame)
}

/// Video jitter buffer: holds VP8 packets until their frame is complete, emits complete frames
/// in order, gives up on an incomplete frame once its oldest packet has waited `maxDelay`,
/// and after any loss emits nothing but a keyframe (raising `keyframeNeeded`).
public struct RTPVideoJitterBuffer: Sendable {
    public let maxDelay: Duration
    private var assembler: VP8FrameAssembler
    /// True until a keyframe is emitted, and again after any frame is lost.
    public private(set) var waitingForKeyframe = true
    private var keyframeNeeded = false

    public init(maxDelay: Duration = .milliseconds(150), capacity: Int = 512, maxPayloadSize: Int = 1500) {
        self.maxDelay = maxDelay
        assembler = VP8FrameAssembler(capacity: capacity, maxPayloadSize: maxPayloadSize)
    }

    /// Extended sequence number the next frame must start at (earlier packets are late).
    public var nextSequence: Int64? { assembler.nextSequence }
    public var heldPackets: Int { assembler.heldPackets }
    public var hasStarted: Bool { assembler.hasStarted }

    public mutating func insert(extendedSequence: Int64, timestamp: UInt32, marker: Bool,
                                payload: UnsafeRawBufferPointer, at now: Instant) throws(VP8Error) -> VP8InsertResult {
        let r = try assembler.insert(extendedSequence: extendedSequence, timestamp: timestamp, marker: marker,
                                     payload: payload, at: now)
        if case .overflowed = r {
            waitingForKeyframe = true
            keyframeNeeded = true
        }
        return r
    }

    /// The next frame or drop, if any is ready at `now`. Frame bytes replace `out`'s contents.
    public mutating func pop(at now: Instant, into out: inout [UInt8]) -> RTPVideoJitterEvent? {
        if let f = assembler.popFrame(into: &out) {
            if f.isKeyframe {
                waitingForKeyframe = false
                return .frame(f)
            }
            if waitingForKeyframe {
                keyframeNeeded = true
                out.removeAll(keepingCapacity: true)
                return .dropped(RTPDroppedFrame(rtpTimestamp: f.rtpTimestamp, sequences: f.firstSequence..<(f.lastSequence + 1),
                                                reason: .missingReference))
            }
            return .frame(f)
        }
        if let oldest = assembler.oldestHeldArrival, now >= oldest + maxDelay, let d = assembler.dropHead() {
            waitingForKeyframe = true
            keyframeNeeded = true
            return .dropped(RTPDroppedFrame(rtpTimestamp: d.rtpTimestamp, sequences: d.sequences, reason: .incomplete))
        }
        return nil
    }

    /// When a held incomplete frame will be given up.
    public var deadline: Instant? {
        assembler.oldestHeldArrival.map { $0 + maxDelay }
    }

    /// True once after a loss or an undecodable frame made a keyframe necessary.
    public mutating func takeKeyframeRequest() -> Bool {
        defer { keyframeNeeded = false }
        return keyframeNeeded
    }
}
