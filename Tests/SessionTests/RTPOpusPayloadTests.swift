@testable import RTP
@testable import RTPStreams
import Testing

@Suite struct RTPOpusPayloadTests {
    @Test func timestampsAdvance960PerFrameAndMarkOnlyAfterSilence() {
        var p = OpusPacketizer(initialTimestamp: 1000)
        let a = p.nextPacket(), b = p.nextPacket()
        #expect(a.timestamp == 1000 && !a.marker)
        #expect(b.timestamp == 1960 && !b.marker)
        p.skipFrame()
        p.skipFrame()
        let c = p.nextPacket(), d = p.nextPacket()
        #expect(c.timestamp == 1000 + 4 * 960 && c.marker)
        #expect(d.timestamp == 1000 + 5 * 960 && !d.marker)
    }

    @Test func timestampsWrap() {
        var p = OpusPacketizer(initialTimestamp: UInt32.max - 100)
        _ = p.nextPacket()
        #expect(p.nextPacket().timestamp == 859)
    }

    @Test func sendStreamCarriesOneOpusFramePerPacket() throws {
        let clock = NTPClock(ntpAtZero: NTPTimestamp(seconds: 3_900_000_000, fraction: 0))
        var s = RTPSendStream(config: .init(ssrc: 0x1111, payloadType: 111, format: .opus, cname: "c", ntpClock: clock))
        var timeline = OpusPacketizer(initialTimestamp: 0)
        var markers: [Bool] = []
        for i in 0..<5 {
            if i == 2 { timeline.skipFrame(); continue }
            let (ts, marker) = timeline.nextPacket()
            try s.sendFrame([UInt8](repeating: UInt8(i), count: 60), rtpTimestamp: ts, marker: marker, at: .rtpMS(Int64(20 * i)))
            let output = s.poll()
            try #require(output == .sendRTP(sequenceNumber: s.nextSequenceNumber &- 1, retransmission: false), "one packet per frame")
            let p = try RTPPacketView.parse(s.packet)
            #expect(p.payloadType == 111 && p.payloadLength == 60)
            #expect(p.timestamp == UInt32(960 * i))
            markers.append(p.marker)
        }
        #expect(markers == [false, false, true, false])
    }
}
