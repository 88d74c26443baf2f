@testable import RTP
@testable import RTPStreams
import SessionCore
import Testing

/// Redundant audio (RFC 2198) as WebRTC sends Opus with it.
struct RTPRedundancyTests {
    /// One redundant block (the frame 960 ticks before, 3 bytes) and the primary (2 bytes), as
    /// Chromium writes a RED packet: header F=1 PT 111 offset 960 length 3, then F=0 PT 111.
    static let chromiumStyle: [UInt8] = [0xEF, 0x0F, 0x00, 0x03, 0x6F, 0xA1, 0xA2, 0xA3, 0xB1, 0xB2]

    static func blocks(_ bytes: [UInt8]) throws(RTPRedundancyError) -> [RTPRedundancy.Block] {
        var blocks: [RTPRedundancy.Block] = []
        let result: Result<Void, RTPRedundancyError> = bytes.withUnsafeBytes { raw in
            Result { () throws(RTPRedundancyError) in try RTPRedundancy.parse(raw, into: &blocks) }
        }
        try result.get()
        return blocks
    }

    @Test func aChromiumStylePacketSplitsIntoItsFrames() throws {
        let b = try Self.blocks(Self.chromiumStyle)
        #expect(b == [
            RTPRedundancy.Block(payloadType: 111, timestampOffset: 960, range: 5..<8, isPrimary: false),
            RTPRedundancy.Block(payloadType: 111, timestampOffset: 0, range: 8..<10, isPrimary: true),
        ])
        // Only a primary: one header byte.
        #expect(try Self.blocks([0x6F, 1, 2, 3]) == [RTPRedundancy.Block(payloadType: 111, timestampOffset: 0, range: 1..<4, isPrimary: true)])
    }

    @Test func whatIsWrittenReadsBack() throws {
        var out: [UInt8] = []
        let primary: [UInt8] = [0xB1, 0xB2]
        primary.withUnsafeBytes {
            RTPRedundancy.write(primary: $0, payloadType: 111, redundant: [([0xA1, 0xA2, 0xA3], 960)], into: &out)
        }
        #expect(out == Self.chromiumStyle)
        // Blocks the format cannot say are left out: an offset of 2^14, 1024 bytes.
        out.removeAll()
        primary.withUnsafeBytes {
            RTPRedundancy.write(primary: $0, payloadType: 111, redundant: [([1], 16384), ([UInt8](repeating: 0, count: 1024), 960)], into: &out)
        }
        #expect(out == [0x6F, 0xB1, 0xB2])
    }

    @Test(arguments: [
        ([UInt8](), RTPRedundancyError.truncatedHeader),
        ([0xEF, 0x0F, 0x00], .truncatedHeader),
        ([0xEF, 0x0F, 0x00, 0x03], .truncatedHeader),
        ([0xEF, 0x0F, 0x00, 0x09, 0x6F, 1, 2], .blockPastEnd),
        ([UInt8](repeating: 0xEF, count: 40), .tooManyBlocks),
    ] as [([UInt8], RTPRedundancyError)])
    func malformedPayloadsHaveTheirReason(bytes: [UInt8], error: RTPRedundancyError) {
        #expect(throws: error) { try Self.blocks(bytes) }
    }

    @Test func theEncoderRepeatsTheFrameBefore() throws {
        var encoder = RTPRedundancyEncoder(distance: 1)
        var out: [UInt8] = []
        let frames: [[UInt8]] = [[1, 1], [2, 2, 2], [3]]
        var packets: [[UInt8]] = []
        for (i, f) in frames.enumerated() {
            f.withUnsafeBytes { encoder.encode($0, timestamp: 1000 + UInt32(i) * 960, payloadType: 111, into: &out) }
            packets.append(out)
        }
        #expect(packets[0] == [0x6F, 1, 1], "nothing before the first")
        #expect(packets[1] == [0xEF, 0x0F, 0x00, 0x02, 0x6F, 1, 1, 2, 2, 2])
        #expect(packets[2] == [0xEF, 0x0F, 0x00, 0x03, 0x6F, 2, 2, 2, 3])
        // After a gap of more than 2^14 ticks (DTX) the frame before is no use.
        [UInt8]([4]).withUnsafeBytes { encoder.encode($0, timestamp: 1000 + 2 * 960 + 20_000, payloadType: 111, into: &out) }
        #expect(out == [0x6F, 4])
    }

    /// Packets 1…12 as RED, each with the one before; 5 is lost (its frame comes in 6), 8 and
    /// 9 are lost (9's comes in 10, 8 is gone): one packet reported to the decoder as lost.
    @Test func aLostPacketIsFilledFromTheNextOne() throws {
        var config = RTPReceiveStream.Config(kind: .audio, remoteSSRC: 7, localSSRC: 8, cname: "k")
        config.payloadType = 111
        config.redPayloadType = 63
        var stream = RTPReceiveStream(config: config)
        var encoder = RTPRedundancyEncoder(distance: 1)
        var now = Instant.zero + .seconds(1)
        var delivered: [[UInt8]] = []
        var gaps: [Int] = []
        var payload: [UInt8] = []
        func drain(_ stream: inout RTPReceiveStream) {
            while let o = stream.poll() {
                switch o {
                case .frame(let f): delivered.append(f.data)
                case .audioGap(let n): gaps.append(n)
                default: break
                }
            }
        }
        for seq in 1...12 {
            let frame = [UInt8](repeating: UInt8(seq), count: 3)
            frame.withUnsafeBytes { encoder.encode($0, timestamp: UInt32(seq) * 960, payloadType: 111, into: &payload) }
            now = now + .milliseconds(20)
            guard ![5, 8, 9].contains(seq) else { continue }
            var packet: [UInt8] = []
            RTPHeader(marker: false, payloadType: 63, sequenceNumber: UInt16(seq), timestamp: UInt32(seq) * 960, ssrc: 7).write(to: &packet)
            packet += payload
            try stream.handle(packet: packet, at: now)
            drain(&stream)
        }
        stream.handleTimeout(at: now + .seconds(1))
        drain(&stream)
        #expect(delivered == [1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12].map { [UInt8](repeating: $0, count: 3) })
        #expect(gaps == [1])
        #expect(stream.statistics.packetsRecoveredByRED == 2)
        #expect(stream.statistics.duplicatePackets == 0, "the copies of frames that came are not duplicates")
        #expect(stream.statistics.packetsReceived == 9 && stream.statistics.redPacketsReceived == 9)
    }
}
