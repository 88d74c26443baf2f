@testable import RTP
import SessionCore
import Testing

/// RTX packets (RFC 4588 §4) back into the packets they repair.
@Suite struct RTPRetransmissionTests {
    typealias B = RTPTestBytes

    @Test func anRTXPacketRestoresTheOriginal() throws {
        // On RTX SSRC 0xBEEF, payload type 97, its own sequence 7: OSN 0xFFFE, then the payload.
        let rtx = B.rtp(seq: 7, ts: 123_456, ssrc: 0xBEEF, marker: true, pt: 97, payload: [0xFF, 0xFE, 0x10, 0x50, 9, 8])
        let view = try RTPPacketView.parse(rtx)
        var out: [UInt8] = [1, 2, 3]
        let ok = rtx.withUnsafeBytes { raw in
            RTPRetransmission.restore(view, in: raw, mediaSSRC: 0xCAFE, payloadType: 96, into: &out)
        }
        #expect(ok)
        let original = try RTPPacketView.parse(out)
        #expect(original.ssrc == 0xCAFE && original.payloadType == 96 && original.sequenceNumber == 0xFFFE)
        #expect(original.timestamp == 123_456 && original.marker)
        #expect(out.withUnsafeBytes { Array(original.payload(in: $0)) } == [0x10, 0x50, 9, 8])
    }

    /// Padding-only RTX (a probe) and a payload that is only the OSN restore nothing.
    @Test func probesRestoreNothing() throws {
        for payload: [UInt8] in [[], [0x00], [0x12, 0x34]] {
            let rtx = B.rtp(seq: 8, ts: 0, ssrc: 0xBEEF, pt: 97, payload: payload)
            let view = try RTPPacketView.parse(rtx)
            var out: [UInt8] = [1, 2, 3]
            let ok = rtx.withUnsafeBytes { raw in
                RTPRetransmission.restore(view, in: raw, mediaSSRC: 0xCAFE, payloadType: 96, into: &out)
            }
            #expect(!ok && out == [1, 2, 3])
            #expect(rtx.withUnsafeBytes { RTPRetransmission.originalSequence(view, in: $0) } == (payload.count >= 2 ? 0x1234 : nil))
        }
    }
}
