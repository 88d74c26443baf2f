@testable import RTP
import Testing

@Suite struct RTCPWriteTests {
    typealias B = RTPTestBytes

    private func roundTrip(_ p: RTCPPacket) throws -> [UInt8] {
        var out: [UInt8] = []
        p.write(to: &out)
        #expect(out.count % 4 == 0)
        #expect(try RTCPPacket.parseCompound(out) == [p])
        return out
    }

    @Test func senderReportIsBitExact() throws {
        let sr = RTCPSenderReport(ssrc: 0x1122_3344, ntpTime: NTPTimestamp(seconds: 0xDA6F_1B3C, fraction: 0x8000_0000),
                                  rtpTimestamp: 90_000, packetCount: 100, octetCount: 100_000,
                                  reports: [RTCPReportBlock(ssrc: 0x5566_7788, fractionLost: 0x40, cumulativeLost: -1,
                                                            extendedHighestSequence: 0x1_0005, jitter: 32,
                                                            lastSenderReport: 0xB705_2000, delaySinceLastSenderReport: 0x0005_4000)])
        #expect(try roundTrip(.senderReport(sr)) == RTCPParseTests.senderReport)
    }

    @Test func sdesIsBitExactAndPadded() throws {
        #expect(try roundTrip(.sourceDescription(RTCPSourceDescription(ssrc: 0x1122_3344, cname: "user@host"))) == RTCPParseTests.sdes)
        // "ab": 4 + 2 + 2 = 8, then a null octet and three more to the boundary.
        #expect(try roundTrip(.sourceDescription(RTCPSourceDescription(ssrc: 1, cname: "ab")))
                == B.hex("81 CA 00 03  00 00 00 01  01 02 61 62  00 00 00 00"))
    }

    @Test func feedbackIsBitExact() throws {
        #expect(try roundTrip(.pictureLossIndication(RTCPPictureLossIndication(senderSSRC: 1, mediaSSRC: 2)))
                == B.hex("81 CE 00 02  00 00 00 01  00 00 00 02"))
        #expect(try roundTrip(.nack(RTCPNack(senderSSRC: 1, mediaSSRC: 2, lost: [100, 101, 116])))
                == B.hex("81 CD 00 03  00 00 00 01  00 00 00 02  00 64 80 01"))
        #expect(try roundTrip(.fullIntraRequest(RTCPFullIntraRequest(senderSSRC: 1, entries: [.init(ssrc: 9, sequenceNumber: 7)])))
                == B.hex("84 CE 00 04  00 00 00 01  00 00 00 00  00 00 00 09  07 00 00 00"))
        #expect(try roundTrip(.receiverEstimatedMaxBitrate(RTCPReceiverEstimatedMaxBitrate(senderSSRC: 1, bitrate: 1_000_000, ssrcs: [9])))
                == B.hex("8F CE 00 05  00 00 00 01  00 00 00 00  52 45 4D 42  01 0B D0 90  00 00 00 09"))
    }

    @Test func nackPacksRunsAndWraps() {
        let n = RTCPNack(senderSSRC: 1, mediaSSRC: 2, lost: [100, 101, 116, 117, 200, 65535, 0, 3])
        #expect(n.entries == [.init(packetID: 100, lostBitmask: 0x8001), .init(packetID: 117, lostBitmask: 0),
                              .init(packetID: 200, lostBitmask: 0), .init(packetID: 65535, lostBitmask: 0b1001)])
        #expect(n.lostSequenceNumbers == [100, 101, 116, 117, 200, 65535, 0, 3])
    }

    @Test func reportsByeAndTransportFeedbackRoundTrip() throws {
        _ = try roundTrip(.receiverReport(RTCPReceiverReport(ssrc: 3, reports: [
            RTCPReportBlock(ssrc: 4, fractionLost: 255, cumulativeLost: 0x7F_FFFF, extendedHighestSequence: .max, jitter: 1),
            RTCPReportBlock(ssrc: 5, cumulativeLost: -0x80_0000),
        ])))
        _ = try roundTrip(.bye(RTCPBye(ssrcs: [1, 2], reason: "done")))
        _ = try roundTrip(.bye(RTCPBye(ssrcs: [1])))
        _ = try roundTrip(.sourceDescription(RTCPSourceDescription(chunks: [
            .init(ssrc: 1, items: [.init(type: 1, text: "a"), .init(type: 6, text: "tool")]),
            .init(ssrc: 2, items: [.init(type: 1, text: "abc")]),
        ])))
        var packets: [RTCPTransportFeedback.Packet] = []
        var rng = RTPTestRandom(seed: 7)
        for i in 0..<300 {
            let r = rng.unit()
            let delta: Int16? = i < 40 ? 3 : r < 0.2 ? nil : r < 0.9 ? Int16(rng.int(in: 0..<256)) : Int16(rng.int(in: -2000..<8000))
            packets.append(.init(sequenceNumber: UInt16(truncatingIfNeeded: 65_500 + i), receiveDelta: delta))
        }
        let twcc = RTCPTransportFeedback(senderSSRC: 1, mediaSSRC: 2, baseSequenceNumber: 65_500, referenceTime: 0xABCDEF,
                                         feedbackPacketCount: 9, packets: packets)
        _ = try roundTrip(.transportFeedback(twcc))
    }

    /// A full compound, as a send stream emits it, parses back packet for packet.
    @Test func compoundWritesAreConsecutive() throws {
        let list: [RTCPPacket] = [
            .receiverReport(RTCPReceiverReport(ssrc: 1, reports: [RTCPReportBlock(ssrc: 2, fractionLost: 3)])),
            .sourceDescription(RTCPSourceDescription(ssrc: 1, cname: "kiosk")),
            .nack(RTCPNack(senderSSRC: 1, mediaSSRC: 2, lost: [5, 9])),
            .pictureLossIndication(RTCPPictureLossIndication(senderSSRC: 1, mediaSSRC: 2)),
        ]
        var out: [UInt8] = []
        for p in list { p.write(to: &out) }
        #expect(try RTCPPacket.parseCompound(out) == list)
    }

    /// RFC 3550 §6.4.1 Figure 2: A = 0xb710:8000, LSR = 0xb705:2000, DLSR = 0x0005:4000 → 6.125 s.
    @Test func roundTripTimeFromTheRFCExample() {
        let block = RTCPReportBlock(ssrc: 1, lastSenderReport: 0xB705_2000, delaySinceLastSenderReport: 0x0005_4000)
        let arrival = NTPTimestamp(seconds: 0xB710, fraction: 0x8000_0000)
        #expect(arrival.compact == 0xB710_8000)
        #expect(block.roundTripTime(arrival: arrival) == .milliseconds(6125))
        #expect(RTCPReportBlock(ssrc: 1).roundTripTime(arrival: arrival) == nil)
        #expect(NTPCompact.from(.milliseconds(5250)) == 0x0005_4000)
        #expect(NTPCompact.duration(0x0006_2000) == .milliseconds(6125))
    }

    @Test func ntpTimestampsFromUnixTime() {
        let t = NTPTimestamp(unixNanoseconds: 1_500_000_000)
        #expect(t.seconds == 2_208_988_801)
        #expect(t.fraction == 0x8000_0000)
        let clock = NTPClock(unixNanoseconds: 10_000_000_000, at: .rtpMS(2000))
        #expect(clock.ntp(at: .rtpMS(2250)).seconds == 2_208_988_810)
        #expect(clock.ntp(at: .rtpMS(2250)).fraction == 0x4000_0000)
        #expect(clock.ntp(at: .zero).seconds == 2_208_988_808)
    }
}
