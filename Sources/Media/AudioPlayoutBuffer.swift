/// The network half of audio playout: packets go in as they arrive, in RTP-timestamp order;
/// one frame comes out each time the speaker's clock asks for one (`pull`), so arrival jitter
/// never reaches the device and the device never waits for the network.
///
/// The delay adapts without a target to tune: a frame asked for before its packet arrived
/// is concealed *without* moving the playout point (the delay grows one frame, the late
/// packet still plays); a queue that stays at least `excessFrames` deep for a whole
/// `shrinkWindow` of pulls drops one packet (the delay shrinks one frame). Frames missing
/// between packets that did arrive are losses: concealed in their slot, or rebuilt from the
/// next packet's in-band FEC. Frames already concealed while the queue was empty are not
/// concealed twice when the packets after an outage arrive; a jump of more than a second
/// (a restarted sender) plays from the new packet at once.
///
/// A fixed ring of reused payload buffers: nothing allocates per packet once they are grown.
public struct AudioPlayoutBuffer: Sendable {
    public enum Action: Sendable, Equatable {
        /// Nothing received yet: play silence.
        case silence
        /// Decode the payload copied out.
        case decode
        /// Decode the payload copied out and drop the result (the delay shrinks one frame),
        /// then pull again for this frame.
        case decodeAndDrop
        /// Rebuild the frame just before the payload copied out from its in-band FEC.
        case recoverFEC
        /// Conceal one frame (Opus PLC).
        case conceal(Reason)
    }

    public enum Reason: Sendable, Equatable {
        /// The frame's packet never came (packets after it did).
        case lost
        /// Nothing to play yet: the packet is late, or the sender paused.
        case underflow
    }

    public struct Counters: Sendable, Equatable {
        public var packetsIn = 0
        public var framesDecoded = 0
        public var framesRecoveredByFEC = 0
        public var framesConcealedLost = 0
        public var framesConcealedUnderflow = 0
        /// Packets that came after their frame had been played (concealed).
        public var packetsLate = 0
        /// Packets dropped to shrink the delay, and because the ring was full.
        public var packetsDroppedCatchingUp = 0
        public var packetsDroppedOverflow = 0
        public var resyncs = 0
        public init() {}
    }

    private struct Slot: Sendable {
        var timestamp: UInt32 = 0
        var frameTicks: UInt32 = 0
        var fec = false
        var payload: [UInt8] = []
    }

    public static let capacity = 64
    /// An Opus packet's largest (RFC 6716 §3.2.1: 1275 bytes a frame) and then some.
    static let slotBytes = 1500
    /// Packets beyond the one about to play that the queue kept for a whole window.
    public static let excessFrames = 2
    public static let shrinkWindow = 50
    public let clockRate: Int
    public private(set) var counters = Counters()
    private var slots = [Slot](repeating: Slot(), count: AudioPlayoutBuffer.capacity)
    private var first = 0
    public private(set) var depth = 0
    /// The timestamp of the next frame to play (nil before the first packet).
    private var expected: UInt32?
    private var frameTicks: UInt32
    /// Frames concealed for underflow since the last packet played: an outage's frames the
    /// packets after it need not conceal again.
    private var stretched: UInt32 = 0
    private var windowPulls = 0
    private var windowMinDepth = Int.max
    private var shrinkDue = false

    public init(clockRate: Int = 48_000, frameMillis: Int = 20) {
        self.clockRate = clockRate
        frameTicks = UInt32(clockRate * frameMillis / 1000)
    }

    /// The playout delay the queue holds now, in milliseconds.
    public var queuedMillis: Int { depth * Int(frameTicks) * 1000 / clockRate }

    /// A packet of `frameTicks` samples at `timestamp`; `fec` when it carries in-band FEC of
    /// the frame before it.
    public mutating func push(_ payload: UnsafeRawBufferPointer, timestamp: UInt32, frameTicks: UInt32, fec: Bool) {
        counters.packetsIn += 1
        if let expected, Self.before(timestamp, expected), !farApart(timestamp, expected) {
            counters.packetsLate += 1
            return
        }
        if depth == Self.capacity {
            // A second of audio queued: the oldest is the least useful.
            first = (first + 1) % Self.capacity
            depth -= 1
            counters.packetsDroppedOverflow += 1
            if let head = headTimestamp { expected = head }
        }
        // In timestamp order from the tail: packets come in order but for a rare reordering.
        var position = depth
        while position > 0 {
            let previous = slots[index(position - 1)].timestamp
            if previous == timestamp { counters.packetsIn -= 1; return }  // a duplicate
            if Self.before(previous, timestamp) { break }
            position -= 1
        }
        var k = depth
        while k > position {
            slots.swapAt(index(k), index(k - 1))
            k -= 1
        }
        let i = index(position)
        slots[i].timestamp = timestamp
        slots[i].frameTicks = frameTicks
        slots[i].fec = fec
        slots[i].payload.removeAll(keepingCapacity: true)
        // Room for any Opus packet at a slot's first use, so packets of varying size never
        // grow it again.
        if slots[i].payload.capacity < Self.slotBytes { slots[i].payload.reserveCapacity(max(Self.slotBytes, payload.count)) }
        slots[i].payload.append(contentsOf: payload)
        depth += 1
        if expected == nil { expected = timestamp }
        if frameTicks > 0 { self.frameTicks = frameTicks }
    }

    /// What to play for the next frame; a payload to decode is copied into `payload`.
    public mutating func pull(into payload: inout [UInt8]) -> Action {
        guard var expected else { return .silence }
        defer { self.expected = expected }
        trackDepth()
        guard let head = headTimestamp else {
            counters.framesConcealedUnderflow += 1
            stretched &+= frameTicks
            return .conceal(.underflow)
        }
        if farApart(head, expected) {
            counters.resyncs += 1
            expected = head
            stretched = 0
        }
        if head != expected, stretched > 0 {
            // The frames of an outage already concealed while nothing was queued.
            let skip = min(stretched, head &- expected)
            expected &+= skip
            stretched = 0
        }
        if head == expected {
            expected &+= popHead(into: &payload)
            stretched = 0
            counters.framesDecoded += 1
            if shrinkDue, depth > 0 {
                // The queue held more than it needed for a whole window: one packet is
                // decoded (the decoder's state runs on) but not played.
                shrinkDue = false
                counters.packetsDroppedCatchingUp += 1
                return .decodeAndDrop
            }
            return .decode
        }
        let slot = slots[first]
        expected &+= frameTicks
        if slot.fec, head == expected {
            payload.removeAll(keepingCapacity: true)
            payload.append(contentsOf: slot.payload)
            counters.framesRecoveredByFEC += 1
            return .recoverFEC
        }
        counters.framesConcealedLost += 1
        return .conceal(.lost)
    }

    /// Watches the queue's least depth beyond the packet about to play over each window of pulls.
    private mutating func trackDepth() {
        windowMinDepth = min(windowMinDepth, max(0, depth - 1))
        windowPulls += 1
        guard windowPulls == Self.shrinkWindow else { return }
        shrinkDue = windowMinDepth >= Self.excessFrames
        windowPulls = 0
        windowMinDepth = Int.max
    }

    private var headTimestamp: UInt32? { depth == 0 ? nil : slots[first].timestamp }

    private mutating func popHead(into payload: inout [UInt8]) -> UInt32 {
        payload.removeAll(keepingCapacity: true)
        payload.append(contentsOf: slots[first].payload)
        let ticks = slots[first].frameTicks == 0 ? frameTicks : slots[first].frameTicks
        first = (first + 1) % Self.capacity
        depth -= 1
        return ticks
    }

    private func index(_ position: Int) -> Int { (first + position) % Self.capacity }

    /// RTP timestamps compare modulo 2^32.
    static func before(_ a: UInt32, _ b: UInt32) -> Bool { a != b && (b &- a) < 0x8000_0000 }

    /// More than a second apart either way: a new timeline, not a gap.
    private func farApart(_ a: UInt32, _ b: UInt32) -> Bool { min(a &- b, b &- a) > UInt32(clockRate) }
}
