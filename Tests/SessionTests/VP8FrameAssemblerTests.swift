@testable import RTP
@testable import RTPStreams
@testable import SessionCore
import Testing

@Suite struct VP8FrameAssemblerTests {
    typealias B = RTPTestBytes

    private func insert(_ a: inout VP8FrameAssembler, _ packet: [UInt8], at now: Instant = .zero) throws -> VP8InsertResult {
        let view = try RTPPacketView.parse(packet)
        return try packet.withUnsafeBytes { raw in try a.insert(view, in: raw, at: now) }
    }

    /// Packetize → shuffle and duplicate → reassemble gives every frame back exactly, in
    /// order, with the right keyframe flag, across a sequence-number wrap.
    @Test func shuffledAndDuplicatedPacketsGiveTheExactFrames() throws {
        var rng = RTPTestRandom(seed: 42)
        var packetizer = VP8Packetizer(maxPayloadSize: 1200)
        var frames: [[UInt8]] = []
        var packets: [[UInt8]] = []
        var seq: UInt16 = 65_500
        for i in 0..<30 {
            let f = B.vp8Frame(keyframe: i % 10 == 0, size: rng.int(in: 1..<6000), rng: &rng)
            frames.append(f)
            let ps = try B.vp8Packets(frame: f, firstSeq: seq, ts: UInt32(i * 3000), ssrc: 1, packetizer: &packetizer)
            seq &+= UInt16(ps.count)
            packets += ps
        }
        var arrivals = packets
        for _ in 0..<20 { arrivals.append(packets[rng.int(in: 0..<packets.count)]) }
        rng.shuffle(&arrivals)

        var a = VP8FrameAssembler(capacity: 1024)
        var duplicates = 0
        for p in arrivals where try insert(&a, p) == .duplicate { duplicates += 1 }
        #expect(duplicates == 20)

        var out: [UInt8] = []
        var got: [([UInt8], VP8AssembledFrame)] = []
        while let f = a.popFrame(into: &out) { got.append((out, f)) }
        #expect(got.count == frames.count)
        #expect(got.map(\.0) == frames)
        #expect(got.map(\.1.isKeyframe) == (0..<30).map { $0 % 10 == 0 })
        #expect(got.map(\.1.rtpTimestamp) == (0..<30).map { UInt32($0 * 3000) })
        // Contiguous extended sequence numbers across the wrap.
        #expect(zip(got, got.dropFirst()).allSatisfy { $1.1.firstSequence == $0.1.lastSequence + 1 })
        #expect(got.map(\.1.packetCount).reduce(0, +) == packets.count)
        #expect(a.heldPackets == 0)
        // Anything now is late.
        #expect(try insert(&a, packets[3]) == .late)
    }

    @Test func aMissingPacketHoldsTheFrameUntilDropped() throws {
        var rng = RTPTestRandom(seed: 3)
        var packetizer = VP8Packetizer(maxPayloadSize: 500)
        let f1 = B.vp8Frame(keyframe: true, size: 1400, rng: &rng)   // 3 packets
        let f2 = B.vp8Frame(keyframe: false, size: 300, rng: &rng)   // 1 packet
        let p1 = try B.vp8Packets(frame: f1, firstSeq: 10, ts: 0, ssrc: 1, packetizer: &packetizer)
        let p2 = try B.vp8Packets(frame: f2, firstSeq: 13, ts: 3000, ssrc: 1, packetizer: &packetizer)
        var a = VP8FrameAssembler()
        _ = try insert(&a, p1[0], at: .rtpMS(1))
        _ = try insert(&a, p1[2], at: .rtpMS(2))
        _ = try insert(&a, p2[0], at: .rtpMS(3))
        var out: [UInt8] = []
        #expect(a.popFrame(into: &out) == nil)
        #expect(a.oldestHeldArrival == .rtpMS(1))
        let dropped = a.dropHead()
        #expect(dropped == VP8DroppedPackets(sequences: 10..<13, heldPackets: 2, rtpTimestamp: 0))
        let f = a.popFrame(into: &out)
        #expect(out == f2 && f?.isKeyframe == false && f?.firstSequence == 13)
        #expect(try insert(&a, p1[1]) == .late)
        #expect(a.dropHead() == nil)
    }

    @Test func aFrameWithoutMarkerIsClosedByTheNextStart() throws {
        var a = VP8FrameAssembler()
        _ = try insert(&a, B.rtp(seq: 1, ts: 100, ssrc: 1, marker: false, payload: [0x10, 0x50, 1, 2]))
        var out: [UInt8] = []
        #expect(a.popFrame(into: &out) == nil)
        _ = try insert(&a, B.rtp(seq: 2, ts: 200, ssrc: 1, marker: true, payload: [0x10, 0x51, 3]))
        #expect(a.popFrame(into: &out)?.rtpTimestamp == 100)
        #expect(out == [0x50, 1, 2])
        #expect(a.popFrame(into: &out)?.rtpTimestamp == 200)
    }

    /// Padding-only packets (sent for bandwidth probing, no payload) take sequence numbers
    /// between frames; they must not look like a hole.
    @Test func paddingPacketsBetweenFramesAreSkipped() throws {
        var a = VP8FrameAssembler()
        _ = try insert(&a, B.rtp(seq: 1, ts: 100, ssrc: 1, marker: true, payload: [0x10, 0x50, 1]))
        _ = try insert(&a, B.rtp(seq: 3, ts: 100, ssrc: 1, payload: []))
        _ = try insert(&a, B.rtp(seq: 4, ts: 200, ssrc: 1, marker: true, payload: [0x10, 0x51, 2]))
        var out: [UInt8] = []
        #expect(a.popFrame(into: &out)?.firstSequence == 1)
        #expect(a.popFrame(into: &out) == nil)   // 2 is still missing
        _ = try insert(&a, B.rtp(seq: 2, ts: 100, ssrc: 1, payload: []))
        #expect(a.popFrame(into: &out)?.firstSequence == 4)
        #expect(out == [0x51, 2])
        #expect(a.heldPackets == 0)
    }

    @Test func aSequenceJumpBeyondCapacityDropsTheOldPackets() throws {
        var a = VP8FrameAssembler(capacity: 16)
        _ = try insert(&a, B.rtp(seq: 1, ts: 100, ssrc: 1, payload: [0x10, 0x50, 1]))   // incomplete, no marker
        #expect(try insert(&a, B.rtp(seq: 100, ts: 900, ssrc: 1, marker: true, payload: [0x10, 0x50, 2])) == .overflowed(droppedPackets: 1))
        var out: [UInt8] = []
        #expect(a.popFrame(into: &out)?.firstSequence == 100)
    }

    @Test func malformedPayloadsThrowAndLeaveNoTrace() throws {
        var a = VP8FrameAssembler()
        #expect(throws: VP8Error.truncatedDescriptor) { try insert(&a, B.rtp(seq: 5, ts: 0, ssrc: 1, payload: [0x80])) }
        #expect(throws: VP8Error.payloadTooLarge(1600)) {
            var big = VP8FrameAssembler(maxPayloadSize: 1500)
            _ = try insert(&big, B.rtp(seq: 5, ts: 0, ssrc: 1, payload: [0x10] + [UInt8](repeating: 0, count: 1600)))
        }
        #expect(a.heldPackets == 0 && a.nextSequence == nil)
    }
}

/// Gaps that are only padding, frames still arriving, and the wait for retransmissions.
@Suite struct VP8ContinuityTests {
    typealias B = RTPTestBytes

    private func insert(_ a: inout VP8FrameAssembler, _ packet: [UInt8], at now: Instant = .zero) throws {
        let view = try RTPPacketView.parse(packet)
        _ = try packet.withUnsafeBytes { raw in try a.insert(view, in: raw, at: now) }
    }

    private func frames(_ count: Int, firstSeq: UInt16, gapsAfter: Set<Int> = []) throws -> [[[UInt8]]] {
        var rng = RTPTestRandom(seed: 7)
        var packetizer = VP8Packetizer(maxPayloadSize: 500)
        var seq = firstSeq
        var out: [[[UInt8]]] = []
        for i in 0..<count {
            let f = B.vp8Frame(keyframe: i == 0, size: 1400, rng: &rng)   // 3 packets
            let ps = try B.vp8Packets(frame: f, firstSeq: seq, ts: UInt32(i * 3000), ssrc: 1, packetizer: &packetizer)
            seq &+= UInt16(ps.count) &+ (gapsAfter.contains(i) ? 2 : 0)
            out.append(ps)
        }
        return out
    }

    /// Two sequence numbers lost between frame 0 and frame 1 (probe padding), frame 1 carrying
    /// the next PictureID: it comes out at once, nothing is waited for. A probe is a run of
    /// padding packets and a lossy link drops some of them: lost and arrived padding mixed
    /// (103 lost, 104 here) is skipped all the same, not waited for until the frame is given
    /// up and a keyframe asked for.
    @Test(arguments: [false, true]) func aGapBeforeTheNextPictureIsSkipped(paddingArrived: Bool) throws {
        let f = try frames(2, firstSeq: 100, gapsAfter: [0])
        var a = VP8FrameAssembler()
        for p in f[0] { try insert(&a, p) }
        if paddingArrived { try insert(&a, B.rtp(seq: 104, ts: 0, ssrc: 1, payload: [])) }
        for p in f[1] { try insert(&a, p) }
        var out: [UInt8] = []
        let first = a.popFrame(into: &out)
        #expect(first?.firstSequence == 100)
        let second = a.popFrame(into: &out)
        #expect(second?.firstSequence == 105)
        #expect(a.heldPackets == 0)
    }

    /// Padding that arrived after a gap does not start the wait for a retransmission: only
    /// media after the gap shows a packet the head needs (frame 1's first packet) is missing.
    @Test func theWaitForALostPacketStartsAtTheMediaAfterIt() throws {
        let f = try frames(2, firstSeq: 100, gapsAfter: [0])
        var a = VP8FrameAssembler()
        for p in f[0] { try insert(&a, p) }
        try insert(&a, B.rtp(seq: 104, ts: 0, ssrc: 1, payload: []), at: .rtpMS(0))   // 103 lost
        var out: [UInt8] = []
        _ = a.popFrame(into: &out)
        #expect(a.earliestArrivalAfterGap == nil)
        for p in f[1].dropFirst() { try insert(&a, p, at: .rtpMS(300)) }             // 105 lost
        let waiting = a.popFrame(into: &out)
        #expect(waiting == nil)
        #expect(a.earliestArrivalAfterGap == .rtpMS(300))
    }

    /// A whole frame lost: the next one's PictureID skips one, so the gap is a picture and the
    /// frame after it waits (for a retransmission, then the jitter buffer's give-up).
    @Test func aLostPictureIsNotSkipped() throws {
        let f = try frames(3, firstSeq: 100)
        var a = VP8FrameAssembler()
        for p in f[0] + f[2] { try insert(&a, p) }
        var out: [UInt8] = []
        let first = a.popFrame(into: &out)
        #expect(first?.firstSequence == 100)
        let waiting = a.popFrame(into: &out)
        #expect(waiting == nil)
        #expect(a.earliestArrivalAfterGap == .zero)
    }

    /// A frame whose packets are still coming in (no sequence number missing) is not given up
    /// however long it takes; a missing one is given up `retransmissionWait` after it showed,
    /// which follows the RTT.
    @Test func theJitterBufferWaitsForArrivingFramesAndForRetransmissions() throws {
        let f = try frames(3, firstSeq: 100)
        var j = RTPVideoJitterBuffer(maxDelay: .milliseconds(150))
        var out: [UInt8] = []
        func put(_ p: [UInt8], _ ms: Int64) throws {
            let view = try RTPPacketView.parse(p)
            _ = try p.withUnsafeBytes { raw in
                try j.insert(extendedSequence: Int64(view.sequenceNumber), timestamp: view.timestamp, marker: view.marker,
                             payload: view.payload(in: raw), at: .rtpMS(ms))
            }
        }
        // Frame 0 arrives over 600 ms, one packet at a time: held, never dropped.
        try put(f[0][0], 0)
        let early = j.pop(at: .rtpMS(500), into: &out)
        #expect(early == nil)
        #expect(j.deadline == .rtpMS(1000))
        try put(f[0][1], 550)
        try put(f[0][2], 600)
        guard case .frame(let first)? = j.pop(at: .rtpMS(600), into: &out) else { Issue.record("frame 0"); return }
        #expect(first.isKeyframe)
        // Frame 1's middle packet is lost; frame 2 arrives at 700 ms: the gap shows then.
        j.setRoundTripTime(.milliseconds(100))
        #expect(j.retransmissionWait == .milliseconds(350))
        try put(f[1][0], 650)
        try put(f[1][2], 700)
        for p in f[2] { try put(p, 700) }
        #expect(j.deadline == .rtpMS(1050))
        let beforeDeadline = j.pop(at: .rtpMS(1049), into: &out)
        #expect(beforeDeadline == nil)
        guard case .dropped(let d)? = j.pop(at: .rtpMS(1050), into: &out) else { Issue.record("frame 1 dropped"); return }
        #expect(d.reason == .incomplete)
        // Frame 2 is a delta frame after a loss: dropped too, and a keyframe is wanted.
        guard case .dropped(let d2)? = j.pop(at: .rtpMS(1050), into: &out) else { Issue.record("frame 2 dropped"); return }
        #expect(d2.reason == .missingReference)
        let wanted = j.takeKeyframeRequest()
        #expect(wanted)
    }
}
