@testable import FEC
@testable import RTP
@testable import RTPStreams
@testable import SessionCore
import Testing

/// ULPFEC (RFC 5109) parity as libwebrtc writes and reads it inside RED: a lost packet is
/// rebuilt bit for bit from the parity and the others, and the video stream takes it as if
/// it had come, without a NACK.
@Suite struct ULPFECTests {
    typealias B = RTPTestBytes
    static let ssrc: UInt32 = 0xBEEF

    /// Packets of different lengths, one with a header extension and one with padding, so
    /// every recovered field is exercised.
    static func packets(count: Int, firstSeq: UInt16 = 65_533, rng: inout RTPTestRandom) -> [[UInt8]] {
        (0..<count).map { i in
            var p = B.rtp(seq: firstSeq &+ UInt16(i), ts: 90_000 &* UInt32(i / 3), ssrc: ssrc, marker: i % 3 == 2,
                          payload: rng.bytes(40 + 37 * i))
            if i == 1 {
                // X bit and a one-byte-header extension block (0xBEDE, one word).
                p[0] |= 0x10
                p.insert(contentsOf: [0xBE, 0xDE, 0x00, 0x01, 0x10, 0xAB, 0x00, 0x00], at: 12)
            }
            if i == 2 {
                p[0] |= 0x20
                p += [0, 0, 3]
            }
            return p
        }
    }

    static func parity(base: UInt16, mask: UInt64, _ packets: [[UInt8]], offset: Int = 0) -> [UInt8] {
        var out: [UInt8] = []
        ULPFECEncoder.write(base: base, mask: mask, packet: { i in
            packets[i + offset].withUnsafeBytes { UnsafeRawBufferPointer(start: $0.baseAddress, count: $0.count) }
        }, into: &out)
        return out
    }

    static func insert(_ p: [UInt8], seq: Int64, into d: inout ULPFECDecoder) {
        p.withUnsafeBytes { raw in
            d.insertMedia(sequence: seq, header: UnsafeRawBufferPointer(rebasing: raw[0..<12]), payloadType: p[1] & 0x7F,
                          body: UnsafeRawBufferPointer(rebasing: raw[12...]))
        }
    }

    @Test func oneLostPacketIsRebuiltBitForBit() throws {
        var rng = RTPTestRandom(seed: 7)
        let media = Self.packets(count: 6, rng: &rng)
        for lost in 0..<6 {
            var d = ULPFECDecoder()
            for (i, p) in media.enumerated() where i != lost { Self.insert(p, seq: 65_533 + Int64(i), into: &d) }
            var out: [UInt8] = []
            #expect(d.recover(into: &out) == nil)
            let fec = Self.parity(base: 65_533, mask: 0b111111, media)
            try fec.withUnsafeBytes { try d.insertParity(sequence: 65_533 + 6, ssrc: Self.ssrc, payload: $0) }
            #expect(d.recover(into: &out) == 65_533 + Int64(lost))
            #expect(out == media[lost], "packet \(lost)")
            #expect(d.recover(into: &out) == nil)
            #expect(d.statistics.packetsRecovered == 1)
        }
    }

    /// A 20-packet mask needs the long (48-bit) form; its wire bits put the base first.
    @Test func theLongMaskCoversUpTo48Packets() throws {
        var rng = RTPTestRandom(seed: 8)
        let media = Self.packets(count: 20, firstSeq: 100, rng: &rng)
        let fec = Self.parity(base: 100, mask: (1 << 20) - 1, media)
        let header = try fec.withUnsafeBytes { try ULPFECPacket.parse($0) }
        #expect(header.headerLength == 18 && header.mask == (1 << 20) - 1 && header.sequenceBase == 100)
        #expect(fec[12] == 0xFF && fec[13] == 0xFF && fec[14] == 0xF0 && fec[15] == 0)
        var d = ULPFECDecoder()
        for (i, p) in media.enumerated() where i != 17 { Self.insert(p, seq: 100 + Int64(i), into: &d) }
        try fec.withUnsafeBytes { try d.insertParity(sequence: 120, ssrc: Self.ssrc, payload: $0) }
        var out: [UInt8] = []
        #expect(d.recover(into: &out) == 117)
        #expect(out == media[17])
    }

    /// Two losses under one parity packet wait; a second parity that covers one of them
    /// rebuilds it, and the rebuilt packet then completes the first.
    @Test func aRebuiltPacketCompletesAnotherParity() throws {
        var rng = RTPTestRandom(seed: 9)
        let media = Self.packets(count: 6, firstSeq: 10, rng: &rng)
        var d = ULPFECDecoder()
        for (i, p) in media.enumerated() where i != 1 && i != 4 { Self.insert(p, seq: 10 + Int64(i), into: &d) }
        var out: [UInt8] = []
        try Self.parity(base: 10, mask: 0b111111, media).withUnsafeBytes { try d.insertParity(sequence: 16, ssrc: Self.ssrc, payload: $0) }
        #expect(d.recover(into: &out) == nil)
        // Packets 3, 4, 5.
        try Self.parity(base: 13, mask: 0b111, media, offset: 3).withUnsafeBytes { try d.insertParity(sequence: 17, ssrc: Self.ssrc, payload: $0) }
        var rebuilt: [Int64: [UInt8]] = [:]
        while let s = d.recover(into: &out) { rebuilt[s] = out }
        #expect(rebuilt == [14: media[4], 11: media[1]])
    }

    /// Parity whose packets all came is discarded; so is parity for packets no longer kept.
    @Test func uselessParityIsDiscarded() throws {
        var rng = RTPTestRandom(seed: 10)
        let media = Self.packets(count: 3, firstSeq: 0, rng: &rng)
        var d = ULPFECDecoder()
        for (i, p) in media.enumerated() { Self.insert(p, seq: Int64(i), into: &d) }
        try Self.parity(base: 0, mask: 0b111, media).withUnsafeBytes { try d.insertParity(sequence: 3, ssrc: Self.ssrc, payload: $0) }
        var out: [UInt8] = []
        #expect(d.recover(into: &out) == nil)
        #expect(d.statistics.parityPacketsDiscarded == 1)
        // Packet 1 lost, then 64 more packets overwrite packet 0's slot: the parity is stale.
        var e = ULPFECDecoder()
        Self.insert(media[0], seq: 0, into: &e)
        Self.insert(media[2], seq: 2, into: &e)
        try Self.parity(base: 0, mask: 0b111, media).withUnsafeBytes { try e.insertParity(sequence: 3, ssrc: Self.ssrc, payload: $0) }
        Self.insert(media[0], seq: 64, into: &e)
        #expect(e.recover(into: &out) == nil)
        #expect(e.statistics.parityPacketsDiscarded == 1 && e.statistics.packetsRecovered == 0)
    }

    @Test func malformedParityIsRefusedWithItsReason() {
        func parse(_ b: [UInt8]) throws(ULPFECError) -> ULPFECPacket {
            let r: Result<ULPFECPacket, ULPFECError> = b.withUnsafeBytes { raw in
                do throws(ULPFECError) { return .success(try ULPFECPacket.parse(raw)) } catch { return .failure(error) }
            }
            return try r.get()
        }
        #expect(throws: ULPFECError.truncated(5)) { try parse([0, 0, 0, 0, 0]) }
        // L set but only the short mask present.
        #expect(throws: ULPFECError.truncated(14)) { try parse([0x40] + [UInt8](repeating: 0, count: 13)) }
        #expect(throws: ULPFECError.emptyMask) { try parse([UInt8](repeating: 0, count: 14)) }
        var b = [UInt8](repeating: 0, count: 16)
        b[11] = 9; b[12] = 0x80
        #expect(throws: ULPFECError.parityPastEnd(protectionLength: 9, available: 2)) { try parse(b) }
        var d = ULPFECDecoder()
        var far = [UInt8](repeating: 0, count: 14)
        far[12] = 0x80; far[3] = 0  // base 0, parity numbered 200
        let refused: ULPFECError? = far.withUnsafeBytes { raw in
            do throws(ULPFECError) { try d.insertParity(sequence: 200, ssrc: 1, payload: raw); return nil } catch { return error }
        }
        #expect(refused == .baseOutOfRange(back: 200))
    }

    // MARK: The video receive stream

    static let red: UInt8 = 116, fecPT: UInt8 = 118

    static func stream() -> RTPReceiveStream {
        var c = RTPReceiveStream.Config(kind: .video, remoteSSRC: ssrc, localSSRC: 0x1234, cname: "kiosk")
        c.payloadType = 96
        c.redPayloadType = red
        c.ulpfecPayloadType = fecPT
        return RTPReceiveStream(config: c)
    }

    /// A VP8 packet as libwebrtc sends it with ULPFEC on: inside RED (one block, F = 0).
    static func inRED(_ p: [UInt8]) -> [UInt8] {
        var r = Array(p[0..<12])
        r[1] = r[1] & 0x80 | red
        return r + [p[1] & 0x7F] + p[12...]
    }

    static func parityPacket(seq: UInt16, ts: UInt32, _ fec: [UInt8]) -> [UInt8] {
        B.rtp(seq: seq, ts: ts, ssrc: ssrc, pt: red, payload: [fecPT] + fec)
    }

    /// A keyframe of five packets loses its third; the parity after it rebuilds it: the frame
    /// comes out whole and on time, nothing is NACKed, and the next frame does not wait for
    /// the parity's sequence number.
    @Test func theStreamTakesARebuiltPacketWithoutANack() throws {
        var rng = RTPTestRandom(seed: 11)
        var packetizer = VP8Packetizer(maxPayloadSize: 300)
        let key = B.vp8Frame(keyframe: true, size: 1200, rng: &rng)
        let media = try B.vp8Packets(frame: key, firstSeq: 500, ts: 0, ssrc: Self.ssrc, packetizer: &packetizer)
        #expect(media.count == 5)
        var s = Self.stream()
        for (i, p) in media.enumerated() where i != 2 { try s.handle(packet: Self.inRED(p), at: .rtpMS(Int64(i))) }
        try s.handle(packet: Self.parityPacket(seq: 505, ts: 0, Self.parity(base: 500, mask: 0b11111, media)), at: .rtpMS(6))
        let delta = B.vp8Frame(keyframe: false, size: 200, rng: &rng)
        let next = try B.vp8Packets(frame: delta, firstSeq: 506, ts: 3000, ssrc: Self.ssrc, packetizer: &packetizer)
        for p in next { try s.handle(packet: Self.inRED(p), at: .rtpMS(33)) }
        s.handleTimeout(at: .rtpMS(40))
        let (outputs, _) = StreamReceiveTests.drain(&s)
        let frames = StreamReceiveTests.frames(outputs)
        #expect(frames.map(\.data) == [key, delta])
        #expect(frames.first?.receivedAt == .rtpMS(6))
        #expect(s.statistics.packetsRecoveredByFEC == 1 && s.statistics.fecPacketsReceived == 1)
        #expect(s.statistics.nackPacketsSent == 0 && s.statistics.keyframeRequestsSent == 0)
        // The rebuilt packet is not counted as received: the sender's loss figure is the link's.
        #expect(s.statistics.packetsReceived == 6)
    }

    /// A sender that numbers packets as its pacer sends them can slip a frame's parity among
    /// the next frame's packets: the placeholder neither ends that frame nor waits for one.
    @Test func parityAmongTheNextFramesPacketsDoesNotCutIt() throws {
        var rng = RTPTestRandom(seed: 13)
        var packetizer = VP8Packetizer(maxPayloadSize: 300)
        let key = B.vp8Frame(keyframe: true, size: 600, rng: &rng)
        let first = try B.vp8Packets(frame: key, firstSeq: 70, ts: 0, ssrc: Self.ssrc, packetizer: &packetizer)
        let delta = B.vp8Frame(keyframe: false, size: 700, rng: &rng)
        // The delta frame's packets are numbered around the keyframe's parity.
        var second = try B.vp8Packets(frame: delta, firstSeq: UInt16(70 + first.count), ts: 3000, ssrc: Self.ssrc, packetizer: &packetizer)
        #expect(second.count == 3)
        func renumber(_ p: inout [UInt8], _ seq: Int) { p[2] = UInt8(seq >> 8); p[3] = UInt8(truncatingIfNeeded: seq) }
        let base = 70 + first.count
        renumber(&second[0], base)
        renumber(&second[1], base + 2)
        renumber(&second[2], base + 3)
        var s = Self.stream()
        for p in first { try s.handle(packet: Self.inRED(p), at: .rtpMS(0)) }
        try s.handle(packet: Self.inRED(second[0]), at: .rtpMS(33))
        try s.handle(packet: Self.parityPacket(seq: UInt16(base + 1), ts: 0,
                                               Self.parity(base: 70, mask: (1 << UInt64(first.count)) - 1, first)), at: .rtpMS(34))
        for p in second.dropFirst() { try s.handle(packet: Self.inRED(p), at: .rtpMS(35)) }
        let frames = StreamReceiveTests.frames(StreamReceiveTests.drain(&s).0)
        #expect(frames.map(\.data) == [key, delta])
        #expect(s.statistics.framesDropped == 0 && s.statistics.malformedPackets == 0)
    }

    /// A packet that came back on RTX before the parity is not rebuilt again.
    @Test func aRetransmittedPacketIsNotRebuiltTwice() throws {
        var rng = RTPTestRandom(seed: 12)
        var packetizer = VP8Packetizer(maxPayloadSize: 300)
        let key = B.vp8Frame(keyframe: true, size: 900, rng: &rng)
        let media = try B.vp8Packets(frame: key, firstSeq: 40, ts: 0, ssrc: Self.ssrc, packetizer: &packetizer)
        var s = Self.stream()
        for (i, p) in media.enumerated() where i != 1 { try s.handle(packet: Self.inRED(p), at: .rtpMS(Int64(i))) }
        let repaired = Self.inRED(media[1])
        try repaired.withUnsafeBytes { raw in s.handleRepair(try RTPPacketView.parse(raw), in: raw, at: .rtpMS(20)) }
        try s.handle(packet: Self.parityPacket(seq: UInt16(40 + media.count), ts: 0,
                                               Self.parity(base: 40, mask: (1 << UInt64(media.count)) - 1, media)), at: .rtpMS(21))
        let frames = StreamReceiveTests.frames(StreamReceiveTests.drain(&s).0)
        #expect(frames.map(\.data) == [key])
        #expect(s.statistics.packetsRepairedByRTX == 1 && s.statistics.packetsRecoveredByFEC == 0)
    }
}
