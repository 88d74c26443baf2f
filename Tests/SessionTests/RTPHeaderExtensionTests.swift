@testable import RTP
import Testing

@Suite struct RTPHeaderExtensionTests {
    typealias B = RTPTestBytes

    private func elements(_ packet: [UInt8]) throws -> [(UInt8, [UInt8])] {
        let p = try RTPPacketView.parse(packet)
        return try packet.withUnsafeBytes { raw in
            var it = p.extensions(in: raw)
            var out: [(UInt8, [UInt8])] = []
            while let e = try it.next() { out.append((e.id, Array(raw[e.range]))) }
            return out
        }
    }

    private let fixed = "90 60 00 01 00 00 00 00 00 00 00 01"

    /// The one-byte example of RFC 8285 §4.2 (IDs 1, 2, 3 with L = 0, 1, 3 and two pad bytes).
    @Test func oneByteExampleFromRFC8285() throws {
        let packet = B.hex(fixed + "BE DE 00 03  10 AA 21 BB  BB 00 00 33  CC CC CC CC")
        let e = try elements(packet)
        #expect(e.map(\.0) == [1, 2, 3])
        #expect(e.map(\.1) == [[0xAA], [0xBB, 0xBB], [0xCC, 0xCC, 0xCC, 0xCC]])
    }

    /// The two-byte example of RFC 8285 §4.3 (L=0, L=1, a pad byte, L=4).
    @Test func twoByteExampleFromRFC8285() throws {
        let packet = B.hex(fixed + "10 00 00 03  01 00 02 01  AA 00 03 04  DD DD DD DD")
        let e = try elements(packet)
        #expect(e.map(\.0) == [1, 2, 3])
        #expect(e.map(\.1) == [[], [0xAA], [0xDD, 0xDD, 0xDD, 0xDD]])
    }

    @Test func oneByteIDFifteenStopsTheWalk() throws {
        let packet = B.hex(fixed + "BE DE 00 02  10 AA F0 BB  20 CC 00 00")
        #expect(try elements(packet).map(\.0) == [1])
    }

    @Test func anElementPastTheBlockThrows() {
        // ID 1 with L=3 (4 bytes) but only 3 bytes remain in the block.
        let packet = B.hex(fixed + "BE DE 00 01  13 AA BB CC")
        #expect(throws: RTPError.extensionElementPastEnd) { _ = try elements(packet) }
        let twoByte = B.hex(fixed + "10 00 00 01  05 09 AA BB")
        #expect(throws: RTPError.extensionElementPastEnd) { _ = try elements(twoByte) }
    }

    @Test func anUnknownProfileYieldsNothing() throws {
        let packet = B.hex(fixed + "AB CD 00 01  10 AA 00 00")
        #expect(try elements(packet).isEmpty)
    }

    @Test func writesMidInOneByteFormBitExactly() throws {
        var out: [UInt8] = []
        RTPHeader(payloadType: 96, sequenceNumber: 1, timestamp: 0, ssrc: 1).write(to: &out)
        var w = RTPHeaderExtensionWriter(form: .oneByte, out: &out)
        try w.append(id: 4, string: "0", to: &out)
        w.finish(&out)
        #expect(out == B.hex(fixed + "BE DE 00 01  40 30 00 00"))
    }

    @Test func writesTwoByteFormWithLargeIDsAndEmptyValues() throws {
        var out: [UInt8] = []
        RTPHeader(payloadType: 96, sequenceNumber: 1, timestamp: 0, ssrc: 1).write(to: &out)
        var w = RTPHeaderExtensionWriter(form: .twoByte, out: &out)
        try w.append(id: 200, string: "audio-mid-longer-than-sixteen", to: &out)
        try w.append(id: 7, [UInt8](), to: &out)
        w.finish(&out)
        #expect(out.count % 4 == 0)
        let e = try elements(out)
        #expect(e.map(\.0) == [200, 7])
        #expect(e[0].1 == Array("audio-mid-longer-than-sixteen".utf8))
        #expect(e[1].1.isEmpty)
    }

    @Test func writerRefusesWhatTheFormCannotCarry() throws {
        var out: [UInt8] = []
        RTPHeader(payloadType: 96, sequenceNumber: 1, timestamp: 0, ssrc: 1).write(to: &out)
        var one = RTPHeaderExtensionWriter(form: .oneByte, out: &out)
        #expect(throws: RTPError.extensionIDOutOfRange(15)) { try one.append(id: 15, [1], to: &out) }
        #expect(throws: RTPError.extensionIDOutOfRange(0)) { try one.append(id: 0, [1], to: &out) }
        #expect(throws: RTPError.extensionValueLength(17)) { try one.append(id: 1, [UInt8](repeating: 0, count: 17), to: &out) }
        #expect(throws: RTPError.extensionValueLength(0)) { try one.append(id: 1, [UInt8](), to: &out) }
        var two = RTPHeaderExtensionWriter(form: .twoByte, out: &out)
        #expect(throws: RTPError.extensionValueLength(256)) { try two.append(id: 1, [UInt8](repeating: 0, count: 256), to: &out) }
    }
}
