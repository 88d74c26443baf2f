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
/// in order, and after any loss emits nothing but a keyframe (raising `keyframeNeeded`).
///
/// An incomplete frame is given up only when it cannot be repaired: a packet it needs has been
/// missing for `retransmissionWait` (long enough for NACKed retransmissions to come back: it
/// follows the RTT), or nothing at all came for it for `stallLimit`. A frame whose packets are
/// simply still arriving is never dropped for being slow: a keyframe paced out over a 300 kbit/s
/// link takes most of a second, and dropping it at 150 ms asked for another, as large, for ever.
public struct RTPVideoJitterBuffer: Sendable {
    /// The wait for a retransmission when the RTT is small (or not yet known).
    public let maxDelay: Duration
    public private(set) var retransmissionWait: Duration
    public static let stallLimit = Duration.seconds(1)
    private var assembler: VP8FrameAssembler
    /// True until a keyframe is emitted, and again after any frame is lost.
    public private(set) var waitingForKeyframe = true
    private var keyframeNeeded = false

    public init(maxDelay: Duration = .milliseconds(150), capacity: Int = 512, maxPayloadSize: Int = 1500) {
        self.maxDelay = maxDelay
        retransmissionWait = maxDelay
        assembler = VP8FrameAssembler(capacity: capacity, maxPayloadSize: maxPayloadSize)
    }

    /// Extended sequence number the next frame must start at (earlier packets are late).
    public var nextSequence: Int64? { assembler.nextSequence }
    public var heldPackets: Int { assembler.heldPackets }
    public var hasStarted: Bool { assembler.hasStarted }
    public var lastInsertStartedKeyframe: Bool { assembler.lastInsertStartedKeyframe }

    /// `parity`: the sequence number of a parity (FEC) packet, held as a placeholder that no
    /// frame waits for and that may sit among a frame's packets.
    public mutating func insert(extendedSequence: Int64, timestamp: UInt32, marker: Bool,
                                payload: UnsafeRawBufferPointer, parity: Bool = false, at now: Instant) throws(VP8Error) -> VP8InsertResult {
        let r = try assembler.insert(extendedSequence: extendedSequence, timestamp: timestamp, marker: marker,
                                     payload: payload, parity: parity, at: now)
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
        if let d = deadline, now >= d, let dropped = assembler.dropHead() {
            waitingForKeyframe = true
            keyframeNeeded = true
            return .dropped(RTPDroppedFrame(rtpTimestamp: dropped.rtpTimestamp, sequences: dropped.sequences, reason: .incomplete))
        }
        return nil
    }

    /// When a held incomplete frame will be given up.
    public var deadline: Instant? {
        guard let held = assembler.heldArrivals else { return nil }
        let stalled = held.oldest + Self.stallLimit
        return held.afterGap.map { min(stalled, $0 + retransmissionWait) } ?? stalled
    }

    /// How long a missing packet is waited for: time for three NACK round trips (on a 10 %
    /// loss link one packet in a hundred needs a third send, and a 100 ms path showed as many
    /// frames given up, each costing a keyframe and a longer freeze than the wait), never
    /// under `base` nor over a second (libwebrtc's NACK module also stops at about that age).
    public static func retransmissionWait(base: Duration, roundTripTime rtt: Duration) -> Duration {
        min(max(base, rtt * 3 + .milliseconds(50)), .seconds(1))
    }

    public mutating func setRoundTripTime(_ rtt: Duration) {
        retransmissionWait = Self.retransmissionWait(base: maxDelay, roundTripTime: rtt)
    }

    /// True once after a loss or an undecodable frame made a keyframe necessary.
    public mutating func takeKeyframeRequest() -> Bool {
        defer { keyframeNeeded = false }
        return keyframeNeeded
    }
}
