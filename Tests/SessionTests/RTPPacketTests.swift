@testable import RTP
import Testing

@Suite struct RTPPacketTests {
    typealias B = RTPTestBytes

    /// RFC 3550 §5.1 layout, written out by hand: V=2, P=0, X=0, CC=2, M=1, PT=96.
    @Test func parsesAHandWrittenHeaderWithCSRCs() throws {
        let bytes = B.hex("82 E0 12 34  DE AD BE EF  CA FE BA BE  00 00 00 01  00 00 00 02  AA BB CC")
        let p = try RTPPacketView.parse(bytes)
        #expect(p.marker)
        #expect(p.payloadType == 96)
        #expect(p.sequenceNumber == 0x1234)
        #expect(p.timestamp == 0xDEAD_BEEF)
        #expect(p.ssrc == 0xCAFE_BABE)
        #expect(p.csrcCount == 2)
        #expect(p.extensionProfile == nil)
        #expect(p.payloadRange == 20..<23)
        #expect(p.paddingLength == 0)
        bytes.withUnsafeBytes { raw in
            #expect(p.csrc(at: 0, in: raw) == 1)
            #expect(p.csrc(at: 1, in: raw) == 2)
            #expect(p.csrc(at: 2, in: raw) == nil)
            #expect(Array(p.payload(in: raw)) == [0xAA, 0xBB, 0xCC])
            #expect(p.header(in: raw) == RTPHeader(marker: true, payloadType: 96, sequenceNumber: 0x1234,
                                                   timestamp: 0xDEAD_BEEF, ssrc: 0xCAFE_BABE, csrcs: [1, 2]))
        }
    }

    @Test func writesTheSameBytesItParses() throws {
        let header = RTPHeader(marker: true, payloadType: 111, sequenceNumber: 65535, timestamp: 960, ssrc: 0x0102_0304, csrcs: [7])
        var out: [UInt8] = []
        header.write(to: &out)
        #expect(out == B.hex("81 EF FF FF  00 00 03 C0  01 02 03 04  00 00 00 07"))
        out += [1, 2, 3]
        try RTPPadding.append(count: 5, to: &out)
        #expect(Array(out.suffix(5)) == [0, 0, 0, 0, 5])
        let p = try RTPPacketView.parse(out)
        #expect(p.hasPadding && p.paddingLength == 5)
        #expect(p.payloadRange == 16..<19)
        out.withUnsafeBytes { #expect(p.header(in: $0) == header) }
    }

    @Test func roundTripsWithExtensionAndPadding() throws {
        var out: [UInt8] = []
        RTPHeader(payloadType: 96, sequenceNumber: 7, timestamp: 9000, ssrc: 42).write(to: &out)
        var w = RTPHeaderExtensionWriter(form: .oneByte, out: &out)
        try w.append(id: 3, string: "video0", to: &out)
        try w.append(id: 5, [0x01, 0x02], to: &out)
        w.finish(&out)
        let payloadStart = out.count
        out += [9, 9, 9, 9]
        try RTPPadding.append(count: 3, to: &out)
        let p = try RTPPacketView.parse(out)
        #expect(p.extensionProfile == 0xBEDE)
        #expect(p.payloadRange == payloadStart..<(payloadStart + 4))
        out.withUnsafeBytes { raw in
            #expect(p.extensionString(id: 3, in: raw) == "video0")
            #expect(p.extensionValue(id: 5, in: raw).map { Array(raw[$0]) } == [1, 2])
            #expect(p.extensionValue(id: 6, in: raw) == nil)
        }
    }

    @Test func malformedPacketsGiveTypedErrors() {
        #expect(throws: RTPError.truncatedHeader) { try RTPPacketView.parse([UInt8](repeating: 0x80, count: 11)) }
        #expect(throws: RTPError.truncatedHeader) { try RTPPacketView.parse([]) }
        #expect(throws: RTPError.badVersion(1)) { try RTPPacketView.parse(B.hex("40 60 00 01 00 00 00 00 00 00 00 01")) }
        // CC=3 but only one CSRC present.
        #expect(throws: RTPError.truncatedCSRCs) { try RTPPacketView.parse(B.hex("83 60 00 01 00 00 00 00 00 00 00 01 00 00 00 09")) }
        // X set, no room for the extension header.
        #expect(throws: RTPError.extensionPastEnd) { try RTPPacketView.parse(B.hex("90 60 00 01 00 00 00 00 00 00 00 01 BE DE")) }
        // X set, length says 2 words, only 1 present.
        #expect(throws: RTPError.extensionPastEnd) {
            try RTPPacketView.parse(B.hex("90 60 00 01 00 00 00 00 00 00 00 01 BE DE 00 02 10 AA 00 00"))
        }
        // P set, padding count 9 but only 4 bytes after the header.
        #expect(throws: RTPError.paddingLargerThanPayload(padding: 9, available: 4)) {
            try RTPPacketView.parse(B.hex("A0 60 00 01 00 00 00 00 00 00 00 01 01 02 03 09"))
        }
        #expect(throws: RTPError.zeroPadding) { try RTPPacketView.parse(B.hex("A0 60 00 01 00 00 00 00 00 00 00 01 01 02 03 00")) }
        #expect(throws: RTPError.paddingLargerThanPayload(padding: 0, available: 0)) {
            try RTPPacketView.parse(B.hex("A0 60 00 01 00 00 00 00 00 00 00 01"))
        }
    }

    @Test func paddingThatFillsThePayloadLeavesItEmpty() throws {
        let p = try RTPPacketView.parse(B.hex("A0 60 00 01 00 00 00 00 00 00 00 01 00 00 00 04"))
        #expect(p.payloadLength == 0)
        #expect(p.packetLength == 16)
    }

    @Test func paddingCountOutsideItsRangeIsRefused() {
        var out: [UInt8] = [0x80]
        #expect(throws: RTPError.paddingOutOfRange(0)) { try RTPPadding.append(count: 0, to: &out) }
        #expect(throws: RTPError.paddingOutOfRange(256)) { try RTPPadding.append(count: 256, to: &out) }
    }

    @Test func rtcpIsToldApartFromRTPByTheSecondByte() {
        #expect(RTPDemux.isRTCP([0x80, 200, 0, 6]))
        #expect(RTPDemux.isRTCP([0x81, 206, 0, 2]))
        #expect(!RTPDemux.isRTCP([0x80, 96, 0, 1]))
        #expect(!RTPDemux.isRTCP([0x80, 0xE0, 0, 1]))   // M=1, PT=96
        #expect(!RTPDemux.isRTCP([0x80]))
    }
}
