@testable import RTP
@testable import RTPStreams
import Testing

@Suite struct StreamSendTests {
    typealias B = RTPTestBytes
    static let clock = NTPClock(ntpAtZero: NTPTimestamp(seconds: 3_900_000_000, fraction: 0))

    static func videoStream(capacity: Int = 512, rtx: RTPSendStream.RTX? = nil) -> RTPSendStream {
        var c = RTPSendStream.Config(ssrc: 0xAAAA_0001, payloadType: 96, format: .vp8(maxPayloadSize: 1200), cname: "kiosk", ntpClock: clock)
        c.rtx = rtx
        c.mid = "1"
        c.midExtensionID = 4
        c.initialSequenceNumber = 65_534
        c.retransmissionCapacity = capacity
        return RTPSendStream(config: c)
    }

    private func drainRTP(_ s: inout RTPSendStream) -> [[UInt8]] {
        var packets: [[UInt8]] = []
        while let o = s.poll() {
            guard case .sendRTP = o else { break }
            packets.append(s.packet)
        }
        return packets
    }

    @Test func aFrameBecomesNumberedMarkedPacketsWithMid() throws {
        var rng = RTPTestRandom(seed: 9)
        var s = Self.videoStream()
        let frame = B.vp8Frame(keyframe: true, size: 2500, rng: &rng)
        try s.sendFrame(frame, rtpTimestamp: 90_000, at: .rtpMS(0))
        let packets = drainRTP(&s)
        #expect(packets.count == 3)
        var data: [UInt8] = []
        for (i, bytes) in packets.enumerated() {
            let p = try RTPPacketView.parse(bytes)
            #expect(p.sequenceNumber == UInt16(truncatingIfNeeded: 65_534 + i))
            #expect(p.marker == (i == 2))
            #expect(p.timestamp == 90_000 && p.ssrc == 0xAAAA_0001 && p.payloadType == 96)
            #expect(bytes.count <= 12 + 8 + 1200)
            try bytes.withUnsafeBytes { raw in
                #expect(p.extensionString(id: 4, in: raw) == "1")
                let d = try VP8PayloadDescriptor.parse(p.payload(in: raw))
                #expect(d.isFrameStart == (i == 0) && d.pictureID == 0 && d.longPictureID)
                data += Array(p.payload(in: raw).dropFirst(d.length))
            }
        }
        #expect(data == frame)
        #expect(s.statistics.packetsSent == 3 && s.statistics.payloadBytesSent == Int64(2500 + 12))
        #expect(s.statistics.framesSent == 1)
    }

    /// The send path reuses its buffers: after warming up, 1000 packets change no capacity.
    @Test(arguments: [false, true]) func theSendPathReusesItsBuffers(onRTX: Bool) throws {
        var s = Self.videoStream(rtx: onRTX ? RTPSendStream.RTX(ssrc: 0xBBBB_0002, payloadType: 97) : nil)
        var rng = RTPTestRandom(seed: 5)
        let frames = (0..<8).map { _ in B.vp8Frame(keyframe: false, size: rng.int(in: 100..<3500), rng: &rng) }
        try s.sendFrame(frames[0], rtpTimestamp: 0, at: .zero)
        _ = drainRTP(&s)
        let before = s.bufferCapacities
        var packets = 0
        var i = 1
        while packets < 1000 {
            try s.sendFrame(frames[i % frames.count], rtpTimestamp: UInt32(i * 3000), at: .rtpMS(Int64(i * 33)))
            while let o = s.poll() {
                guard case .sendRTP = o else { break }
                packets += 1
            }
            // Answer a NACK too: retransmissions come out of the same ring.
            s.handleRTCP(.nack(RTCPNack(senderSSRC: 1, mediaSSRC: 0xAAAA_0001, lost: [s.nextSequenceNumber &- 1])), at: .rtpMS(Int64(i * 33 + 10)))
            _ = s.poll()
            i += 1
        }
        #expect(s.bufferCapacities == before)
    }

    @Test func nacksAreAnsweredWithTheOriginalBytesOnce() throws {
        var s = Self.videoStream()
        var rng = RTPTestRandom(seed: 2)
        try s.sendFrame(B.vp8Frame(keyframe: true, size: 3000, rng: &rng), rtpTimestamp: 0, at: .zero)
        let sent = drainRTP(&s)
        // 65534 and 0 are held; 500 never was.
        s.handleRTCP(.nack(RTCPNack(senderSSRC: 7, mediaSSRC: 0xAAAA_0001, lost: [65_534, 0, 500])), at: .rtpMS(10))
        #expect(s.poll() == .sendRTP(sequenceNumber: 65_534, retransmission: true))
        #expect(s.packet == sent[0])
        #expect(s.poll() == .sendRTP(sequenceNumber: 0, retransmission: true))
        #expect(s.packet == sent[2])
        // The same NACK again 2 ms later: the copies are still in flight.
        s.handleRTCP(.nack(RTCPNack(senderSSRC: 7, mediaSSRC: 0xAAAA_0001, lost: [65_534])), at: .rtpMS(12))
        if case .sendRTP = s.poll() { Issue.record("resent too soon") }
        // A NACK for another SSRC is not ours.
        s.handleRTCP(.nack(RTCPNack(senderSSRC: 7, mediaSSRC: 99, lost: [65_534])), at: .rtpMS(100))
        if case .sendRTP = s.poll() { Issue.record("answered a foreign NACK") }
        #expect(s.statistics.retransmittedPackets == 2)
        #expect(s.statistics.retransmissionMisses == 1)
        #expect(s.statistics.nacksReceived == 2)
    }

    /// With an RTX stream a resend is the RFC 4588 §4 packet: RTX SSRC, payload type and
    /// sequence, the OSN before the payload, the mid kept; restoring it gives the original.
    @Test func nacksAreAnsweredOnTheRTXStream() throws {
        var rtx = RTPSendStream.RTX(ssrc: 0xBBBB_0002, payloadType: 97)
        rtx.initialSequenceNumber = 65_535
        var s = Self.videoStream(rtx: rtx)
        var rng = RTPTestRandom(seed: 3)
        try s.sendFrame(B.vp8Frame(keyframe: true, size: 3000, rng: &rng), rtpTimestamp: 1234, at: .zero)
        let sent = drainRTP(&s)
        s.handleRTCP(.nack(RTCPNack(senderSSRC: 7, mediaSSRC: 0xAAAA_0001, lost: [0, 65_535])), at: .rtpMS(10))
        var resent: [[UInt8]] = []
        while case .sendRTP(_, true)? = s.poll() { resent.append(s.packet) }
        #expect(resent.count == 2)
        for (bytes, (original, rtxSeq)) in zip(resent, [(sent[2], UInt16(65_535)), (sent[1], UInt16(0))]) {
            let p = try RTPPacketView.parse(bytes)
            let o = try RTPPacketView.parse(original)
            #expect(p.ssrc == 0xBBBB_0002 && p.payloadType == 97 && p.sequenceNumber == rtxSeq)
            #expect(p.timestamp == 1234 && p.marker == o.marker)
            #expect(bytes.count == original.count + 2)
            try bytes.withUnsafeBytes { raw in
                #expect(p.extensionString(id: 4, in: raw) == "1")
                #expect(RTPRetransmission.originalSequence(p, in: raw) == o.sequenceNumber)
                var restored: [UInt8] = []
                #expect(RTPRetransmission.restore(p, in: raw, mediaSSRC: 0xAAAA_0001, payloadType: 96, into: &restored))
                let r = try RTPPacketView.parse(restored)
                let payload = original.withUnsafeBytes { Array(o.payload(in: $0)) }
                #expect(r.sequenceNumber == o.sequenceNumber && r.ssrc == o.ssrc && r.payloadType == 96)
                #expect(restored.withUnsafeBytes { Array(r.payload(in: $0)) } == payload)
            }
        }
        // New media keeps its own numbering.
        try s.sendFrame(B.vp8Frame(keyframe: false, size: 300, rng: &rng), rtpTimestamp: 4234, at: .rtpMS(33))
        let next = try RTPPacketView.parse(drainRTP(&s)[0])
        #expect(next.sequenceNumber == 1 && next.ssrc == 0xAAAA_0001 && next.payloadType == 96)
        #expect(s.statistics.retransmittedPackets == 2)
        #expect(s.statistics.retransmittedBytes == Int64(resent.reduce(0) { $0 + $1.count }))
    }

    @Test func packetsOutOfTheRingAreNotResent() throws {
        var s = Self.videoStream(capacity: 16)
        for i in 0..<40 {
            try s.sendFrame([0x51, UInt8(i)], rtpTimestamp: UInt32(i), at: .rtpMS(Int64(i)))
            _ = drainRTP(&s)
        }
        s.handleRTCP(.nack(RTCPNack(senderSSRC: 7, mediaSSRC: 0xAAAA_0001, lost: [65_534 &+ 5, 65_534 &+ 39])), at: .rtpMS(100))
        #expect(s.poll() == .sendRTP(sequenceNumber: 65_534 &+ 39, retransmission: true))
        #expect(s.statistics.retransmissionMisses == 1)
    }

    @Test func keyframeRequestsSurfaceOnceEach() throws {
        var s = Self.videoStream()
        s.handleRTCP(.pictureLossIndication(RTCPPictureLossIndication(senderSSRC: 7, mediaSSRC: 0xAAAA_0001)), at: .zero)
        // Each drain ends with one `.timeout` (never: no media yet), then nil.
        #expect(s.poll() == .keyframeRequested)
        #expect(s.poll() == .timeout(.never))
        #expect(s.poll() == nil)
        let fir = RTCPFullIntraRequest(senderSSRC: 7, entries: [.init(ssrc: 0xAAAA_0001, sequenceNumber: 3)])
        s.handleRTCP(.fullIntraRequest(fir), at: .zero)
        #expect(s.poll() == .keyframeRequested)
        #expect(s.poll() == .timeout(.never))
        // RFC 5104: the same FIR sequence number again is a retransmission, not a new request.
        s.handleRTCP(.fullIntraRequest(fir), at: .rtpMS(5))
        #expect(s.poll() == .timeout(.never))
        s.handleRTCP(.pictureLossIndication(RTCPPictureLossIndication(senderSSRC: 7, mediaSSRC: 1)), at: .zero)
        #expect(s.poll() == .timeout(.never))
        #expect(s.statistics.plisReceived == 1 && s.statistics.firsReceived == 1)
    }

    /// SR (RFC 3550 §6.4.1): NTP from the caller's clock, RTP time extrapolated from the last
    /// frame, counts of original packets and payload octets, then SDES CNAME.
    @Test func senderReportsMapWallClockToMediaClock() throws {
        var s = Self.videoStream()
        try s.sendFrame([0x50, 1, 2, 3], rtpTimestamp: 1000, at: .rtpMS(100))
        _ = drainRTP(&s)
        #expect(s.nextDeadline == .rtpMS(100))
        #expect(s.poll() == nil)   // the drain above already ended with `.timeout`
        s.handleTimeout(at: .rtpMS(600))
        #expect(s.poll() == .sendRTCP)
        let packets = try RTCPPacket.parseCompound(s.packet)
        guard case .senderReport(let sr) = packets.first, case .sourceDescription(let sd) = packets.last else {
            Issue.record("\(packets)"); return
        }
        #expect(sr.ssrc == 0xAAAA_0001)
        #expect(sr.ntpTime == Self.clock.ntp(at: .rtpMS(600)))
        #expect(sr.rtpTimestamp == 1000 + 45_000)   // 500 ms at 90 kHz
        #expect(sr.packetCount == 1 && sr.octetCount == 8)   // payload octets: descriptor + data
        #expect(sd.chunks.first?.cname == "kiosk")
        #expect(s.poll() == .timeout(.rtpMS(1600)))
        #expect(s.poll() == nil)
    }

    @Test func roundTripTimeComesFromReportBlocks() throws {
        var s = Self.videoStream()
        let srAt = Self.clock.ntp(at: .rtpMS(1000))
        // The receiver held our SR 20 ms; the block arrives at 1070 ms: RTT 50 ms.
        let block = RTCPReportBlock(ssrc: 0xAAAA_0001, fractionLost: 12, cumulativeLost: 3, extendedHighestSequence: 9,
                                    jitter: 4, lastSenderReport: srAt.compact,
                                    delaySinceLastSenderReport: NTPCompact.from(.milliseconds(20)))
        s.handleRTCP(.receiverReport(RTCPReceiverReport(ssrc: 7, reports: [block])), at: .rtpMS(1070))
        let rtt = try #require(s.statistics.roundTripTime)
        #expect(abs((rtt - .milliseconds(50)).nanosecondsClamped) < 100_000)
        #expect(s.statistics.remoteFractionLost == 12 && s.statistics.remoteCumulativeLost == 3)
    }

    @Test func framesTheRingCannotHoldAreRefused() {
        var s = Self.videoStream(capacity: 16)
        #expect(throws: RTPSendError.frameTooLarge(packets: 17, capacity: 16)) {
            try s.sendFrame([UInt8](repeating: 0x51, count: 20_000), rtpTimestamp: 0, at: .zero)
        }
        #expect(throws: RTPSendError.emptyFrame) { try s.sendFrame([], rtpTimestamp: 0, at: .zero) }
        var opus = RTPSendStream(config: .init(ssrc: 1, payloadType: 111, format: .opus, cname: "c", ntpClock: Self.clock))
        #expect(throws: RTPSendError.packetTooLarge(12 + 1600)) {
            try opus.sendFrame([UInt8](repeating: 0, count: 1600), rtpTimestamp: 0, at: .zero)
        }
    }
}
