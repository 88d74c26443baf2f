@testable import RTP
import Testing

@Suite struct RTCPParseTests {
    typealias B = RTPTestBytes

    static let senderReport = B.hex("""
        81 C8 00 0C  11 22 33 44  DA 6F 1B 3C  80 00 00 00  00 01 5F 90  00 00 00 64  00 01 86 A0
        55 66 77 88  40 FF FF FF  00 01 00 05  00 00 00 20  B7 05 20 00  00 05 40 00
        """)
    static let sdes = B.hex("81 CA 00 04  11 22 33 44  01 09 75 73 65 72 40 68 6F 73 74 00")

    /// SR with one report block, fields per RFC 3550 §6.4.1, then SDES CNAME (§6.5).
    @Test func compoundSenderReportAndSDES() throws {
        let packets = try RTCPPacket.parseCompound(Self.senderReport + Self.sdes)
        #expect(packets.count == 2)
        guard case .senderReport(let sr) = packets[0], case .sourceDescription(let sd) = packets[1] else {
            Issue.record("wrong types: \(packets)"); return
        }
        #expect(sr.ssrc == 0x1122_3344)
        #expect(sr.ntpTime == NTPTimestamp(seconds: 0xDA6F_1B3C, fraction: 0x8000_0000))
        #expect(sr.rtpTimestamp == 90_000)
        #expect(sr.packetCount == 100 && sr.octetCount == 100_000)
        #expect(sr.reports == [RTCPReportBlock(ssrc: 0x5566_7788, fractionLost: 0x40, cumulativeLost: -1,
                                               extendedHighestSequence: 0x1_0005, jitter: 32,
                                               lastSenderReport: 0xB705_2000, delaySinceLastSenderReport: 0x0005_4000)])
        #expect(sd.chunks.count == 1)
        #expect(sd.chunks[0].ssrc == 0x1122_3344)
        #expect(sd.chunks[0].cname == "user@host")
    }

    /// RR then a generic NACK: PID 100, BLP 0x8001 means 100, 101 and 116 (RFC 4585 §6.2.1).
    @Test func receiverReportAndGenericNack() throws {
        let bytes = B.hex("80 C9 00 01  0A 0B 0C 0D   81 CD 00 03  0A 0B 0C 0D  11 22 33 44  00 64 80 01")
        let packets = try RTCPPacket.parseCompound(bytes)
        #expect(packets.first == .receiverReport(RTCPReceiverReport(ssrc: 0x0A0B_0C0D, reports: [])))
        guard case .nack(let n) = packets.last else { Issue.record("no NACK"); return }
        #expect(n.senderSSRC == 0x0A0B_0C0D && n.mediaSSRC == 0x1122_3344)
        #expect(n.entries == [RTCPNack.Entry(packetID: 100, lostBitmask: 0x8001)])
        #expect(n.lostSequenceNumbers == [100, 101, 116])
    }

    @Test func pictureLossAndFullIntraRequest() throws {
        let pli = try RTCPPacket.parseCompound(B.hex("81 CE 00 02  00 00 00 01  00 00 00 02"))
        #expect(pli == [.pictureLossIndication(RTCPPictureLossIndication(senderSSRC: 1, mediaSSRC: 2))])
        let fir = try RTCPPacket.parseCompound(B.hex("84 CE 00 04  00 00 00 01  00 00 00 00  00 00 00 09  07 00 00 00"))
        #expect(fir == [.fullIntraRequest(RTCPFullIntraRequest(senderSSRC: 1, entries: [.init(ssrc: 9, sequenceNumber: 7)]))])
    }

    /// REMB: exponent 2, mantissa 250000 → 1 Mbit/s.
    @Test func receiverEstimatedMaxBitrate() throws {
        let bytes = B.hex("8F CE 00 05  00 00 00 01  00 00 00 00  52 45 4D 42  01 0B D0 90  00 00 00 09")
        let packets = try RTCPPacket.parseCompound(bytes)
        #expect(packets == [.receiverEstimatedMaxBitrate(RTCPReceiverEstimatedMaxBitrate(senderSSRC: 1, bitrate: 1_000_000, ssrcs: [9]))])
    }

    /// TWCC with one 2-bit status vector chunk: small, small, not received, large (negative).
    @Test func transportWideFeedbackWithStatusVector() throws {
        let bytes = B.hex("8F CD 00 06  00 00 00 01  00 00 00 02  00 0A 00 04  00 00 01 05  D4 80 04 08  FF F0 00 00")
        let packets = try RTCPPacket.parseCompound(bytes)
        guard case .transportFeedback(let t) = packets.first else { Issue.record("\(packets)"); return }
        #expect(t.baseSequenceNumber == 10 && t.referenceTime == 1 && t.feedbackPacketCount == 5)
        #expect(t.packets == [.init(sequenceNumber: 10, receiveDelta: 4), .init(sequenceNumber: 11, receiveDelta: 8),
                              .init(sequenceNumber: 12, receiveDelta: nil), .init(sequenceNumber: 13, receiveDelta: -16)])
    }

    /// TWCC with a run-length chunk (symbol 1 × 3) and a 1-bit vector chunk.
    @Test func transportWideFeedbackWithRunLengthAndOneBitVector() throws {
        // Chunks: 0x2003 = run of three "small delta"; 0xA000 = 1-bit vector, first symbol 1, second 0.
        let bytes = B.hex("8F CD 00 06  00 00 00 01  00 00 00 02  FF FE 00 05  00 00 02 00  20 03 A0 00  01 02 03 04")
        let packets = try RTCPPacket.parseCompound(bytes)
        guard case .transportFeedback(let t) = packets.first else { Issue.record("\(packets)"); return }
        #expect(t.packets.map(\.sequenceNumber) == [0xFFFE, 0xFFFF, 0, 1, 2])
        #expect(t.packets.map(\.receiveDelta) == [1, 2, 3, 4, nil])
    }

    @Test func unknownTypesAreTolerated() throws {
        let app = B.hex("80 CC 00 02  00 00 00 01  6E 61 6D 65")
        let xr = B.hex("80 CF 00 01  00 00 00 01")
        let afb = B.hex("8F CE 00 03  00 00 00 01  00 00 00 00  41 42 43 44")
        let tmmbr = B.hex("83 CD 00 02  00 00 00 01  00 00 00 02")
        let packets = try RTCPPacket.parseCompound(app + xr + afb + tmmbr)
        #expect(packets == [.unknown(packetType: 204, format: 0), .unknown(packetType: 207, format: 0),
                            .unknown(packetType: 206, format: 15), .unknown(packetType: 205, format: 3)])
    }

    @Test func byeWithReason() throws {
        let bytes = B.hex("81 CB 00 03  00 00 00 07  04 62 79 65 21 00 00 00")
        #expect(try RTCPPacket.parseCompound(bytes) == [.bye(RTCPBye(ssrcs: [7], reason: "bye!"))])
    }

    @Test func paddedPacketHasItsPaddingRemoved() throws {
        let bytes = B.hex("A0 C9 00 02  00 00 00 05  00 00 00 04")
        #expect(try RTCPPacket.parseCompound(bytes) == [.receiverReport(RTCPReceiverReport(ssrc: 5))])
    }

    @Test func malformedCompoundsGiveTypedErrors() {
        #expect(throws: RTCPError.truncatedHeader) { try RTCPPacket.parseCompound(B.hex("80 C8 00")) }
        #expect(throws: RTCPError.badVersion(1)) { try RTCPPacket.parseCompound(B.hex("40 C9 00 01 00 00 00 01")) }
        // Length says 8 words; 8 bytes are there.
        #expect(throws: RTCPError.lengthMismatch(declared: 32, available: 8)) {
            try RTCPPacket.parseCompound(B.hex("80 C9 00 07 00 00 00 01"))
        }
        // A valid RR followed by two stray bytes.
        #expect(throws: RTCPError.truncatedHeader) { try RTCPPacket.parseCompound(B.hex("80 C9 00 01 00 00 00 01 80 C9")) }
        // RC=1 but no report block.
        #expect(throws: RTCPError.truncatedPacket(packetType: 201)) { try RTCPPacket.parseCompound(B.hex("81 C9 00 01 00 00 00 01")) }
        #expect(throws: RTCPError.truncatedPacket(packetType: 200)) { try RTCPPacket.parseCompound(B.hex("80 C8 00 01 00 00 00 01")) }
        #expect(throws: RTCPError.badPadding) { try RTCPPacket.parseCompound(B.hex("A0 C9 00 01 00 00 00 05")) }
        #expect(throws: RTCPError.badPadding) { try RTCPPacket.parseCompound(B.hex("A0 C9 00 01 00 00 00 00")) }
        #expect(throws: RTCPError.malformedSDES) { try RTCPPacket.parseCompound(B.hex("81 CA 00 02 00 00 00 01 01 09 61 62")) }
        #expect(throws: RTCPError.truncatedPacket(packetType: 206)) { try RTCPPacket.parseCompound(B.hex("81 CE 00 01 00 00 00 01")) }
        #expect(throws: RTCPError.malformedTransportFeedback) {
            try RTCPPacket.parseCompound(B.hex("8F CD 00 04 00 00 00 01 00 00 00 02 00 0A 00 04 00 00 01 05"))
        }
        // A 2-bit status vector with the reserved symbol 3.
        #expect(throws: RTCPError.malformedTransportFeedback) {
            try RTCPPacket.parseCompound(B.hex("8F CD 00 05 00 00 00 01 00 00 00 02 00 0A 00 01 00 00 01 05 F0 00 00 00"))
        }
    }

    @Test func iteratorStopsAfterAnError() {
        let bytes = B.hex("80 C9 00 01 00 00 00 01  81 C9 00 01 00 00 00 02  80 C9 00 01 00 00 00 03")
        bytes.withUnsafeBytes { raw in
            var it = RTCPCompoundIterator(raw)
            #expect((try? it.next()) == .receiverReport(RTCPReceiverReport(ssrc: 1)))
            #expect(throws: RTCPError.truncatedPacket(packetType: 201)) { try it.next() }
            #expect((try? it.next()) == .some(nil))
        }
    }
}
