@testable import RTP
@testable import RTPStreams
@testable import SessionCore
import Testing

@Suite struct StreamReceiveTests {
    typealias B = RTPTestBytes
    static let remote: UInt32 = 0xBEEF
    static let local: UInt32 = 0x1234

    static func video() -> RTPReceiveStream {
        RTPReceiveStream(config: .init(kind: .video, remoteSSRC: remote, localSSRC: local, cname: "kiosk"))
    }

    /// A single-packet VP8 frame.
    static func frame(seq: UInt16, ts: UInt32, key: Bool, ssrc: UInt32 = remote) -> [UInt8] {
        B.rtp(seq: seq, ts: ts, ssrc: ssrc, marker: true, payload: [0x90, 0x80, 0x80, 0x00, key ? 0x50 : 0x51, UInt8(truncatingIfNeeded: seq)])
    }

    /// Drains outputs; returns them without the final timeout, and that timeout.
    static func drain(_ s: inout RTPReceiveStream) -> ([RTPReceiveStreamOutput], Instant?) {
        var out: [RTPReceiveStreamOutput] = []
        while let o = s.poll() {
            if case .timeout(let t) = o { return (out, t) }
            out.append(o)
        }
        return (out, nil)
    }

    static func rtcp(_ outputs: [RTPReceiveStreamOutput]) throws -> [RTCPPacket] {
        var all: [RTCPPacket] = []
        for case .sendRTCP(let bytes) in outputs { all += try RTCPPacket.parseCompound(bytes) }
        return all
    }

    static func frames(_ outputs: [RTPReceiveStreamOutput]) -> [RTPReceivedFrame] {
        outputs.compactMap { if case .frame(let f) = $0 { return f } else { return nil } }
    }

    @Test func deliversFramesAndIgnoresOtherSources() throws {
        var s = Self.video()
        try s.handle(packet: Self.frame(seq: 1, ts: 0, key: true), at: .rtpMS(0))
        try s.handle(packet: Self.frame(seq: 2, ts: 3000, key: false, ssrc: 77), at: .rtpMS(1))
        try s.handle(packet: Self.frame(seq: 2, ts: 3000, key: false), at: .rtpMS(33))
        try s.handle(packet: Self.frame(seq: 2, ts: 3000, key: false), at: .rtpMS(34))
        let (outputs, _) = Self.drain(&s)
        let f = Self.frames(outputs)
        #expect(f.map(\.data) == [[0x50, 1], [0x51, 2]])
        #expect(f.map(\.isKeyframe) == [true, false])
        #expect(f.map(\.sequences) == [1..<2, 2..<3])
        #expect(s.statistics.ignoredPackets == 1 && s.statistics.latePackets == 1)
        #expect(s.statistics.keyframesDelivered == 1 && s.statistics.framesDelivered == 2)
        #expect(throws: RTPError.truncatedHeader) { try s.handle(packet: [0x80, 0x60], at: .rtpMS(40)) }
        try s.handle(packet: B.rtp(seq: 3, ts: 6000, ssrc: Self.remote, payload: [0x80]), at: .rtpMS(66))
        #expect(s.statistics.malformedPackets == 1)
    }

    /// RR (RFC 3550 §6.4.2, §A.3): 10 expected, 2 lost → fraction 51/256, cumulative 2.
    @Test func receiverReportsCountLossAndEchoTheLastSR() throws {
        var cfg = RTPReceiveStream.Config(kind: .audio, remoteSSRC: Self.remote, localSSRC: Self.local, cname: "kiosk")
        cfg.reportInterval = .seconds(1)
        var s = RTPReceiveStream(config: cfg)
        for seq in [100, 101, 102, 105, 106, 107, 108, 109] as [UInt16] {
            // Perfectly paced: 20 ms apart, timestamps 960 apart → zero jitter.
            let t = Int64(seq - 100) * 20
            try s.handle(packet: B.rtp(seq: seq, ts: UInt32(seq) * 960, ssrc: Self.remote, pt: 111, payload: [1, 2, 3]), at: .rtpMS(t))
        }
        let ntp = NTPTimestamp(seconds: 0x1_0000, fraction: 0x8000_0000)
        s.handleRTCP(.senderReport(RTCPSenderReport(ssrc: Self.remote, ntpTime: ntp, rtpTimestamp: 0, packetCount: 10, octetCount: 30)), at: .rtpMS(500))
        s.handleTimeout(at: .rtpMS(1000))
        let (outputs, _) = Self.drain(&s)
        let packets = try Self.rtcp(outputs)
        guard case .receiverReport(let rr) = packets.first, case .sourceDescription(let sd) = packets.last else {
            Issue.record("\(packets)"); return
        }
        #expect(rr.ssrc == Self.local)
        let b = try #require(rr.reports.first)
        #expect(b.ssrc == Self.remote)
        #expect(b.fractionLost == 51)
        #expect(b.cumulativeLost == 2)
        #expect(b.extendedHighestSequence == 109)
        #expect(b.jitter == 0)
        #expect(b.lastSenderReport == ntp.compact)
        #expect(b.delaySinceLastSenderReport == NTPCompact.from(.milliseconds(500)))
        #expect(sd.chunks.first?.cname == "kiosk")
        #expect(s.statistics.audioPacketsConcealed == 2)
        #expect(s.statistics.remotePacketsSent == 10)
        // The next interval has no loss.
        #expect(s.makeReportBlock(at: .rtpMS(1500)).fractionLost == 0)
    }

    /// RFC 3550 §A.8 with packets alternating 0 and 10 ms late: J converges toward 10 ms.
    @Test func jitterFollowsTheRFCEstimator() throws {
        var s = RTPReceiveStream(config: .init(kind: .audio, remoteSSRC: Self.remote, localSSRC: Self.local, cname: "k"))
        for i in 0..<200 {
            let late: Int64 = i % 2 == 0 ? 0 : 10
            try s.handle(packet: B.rtp(seq: UInt16(i), ts: UInt32(i * 960), ssrc: Self.remote, payload: [0]), at: .rtpMS(Int64(i) * 20 + late))
        }
        let jitter = s.makeReportBlock(at: .rtpMS(5000)).jitter
        #expect((470...480).contains(jitter))   // 10 ms = 480 ticks at 48 kHz
    }

    @Test func aGapIsNackedAfterTheDelayThenAgainAfterAnRTT() throws {
        var s = Self.video()
        s.setRoundTripTime(.milliseconds(50))
        try s.handle(packet: Self.frame(seq: 10, ts: 0, key: true), at: .rtpMS(0))
        try s.handle(packet: Self.frame(seq: 13, ts: 9000, key: false), at: .rtpMS(100))
        var (outputs, deadline) = Self.drain(&s)
        #expect(Self.frames(outputs).count == 1)
        #expect(deadline == .rtpMS(110))
        s.handleTimeout(at: .rtpMS(110))
        (outputs, deadline) = Self.drain(&s)
        #expect(try Self.rtcp(outputs) == [.nack(RTCPNack(senderSSRC: Self.local, mediaSSRC: Self.remote, lost: [11, 12]))])
        // Again a little over one RTT later (50 + 5 + 10 ms): libwebrtc's sender refuses a
        // resend within RTT + 5 ms of the last.
        #expect(deadline == .rtpMS(175))
        // 11 arrives; only 12 is asked for again.
        try s.handle(packet: Self.frame(seq: 11, ts: 3000, key: false), at: .rtpMS(130))
        s.handleTimeout(at: .rtpMS(175))
        (outputs, _) = Self.drain(&s)
        #expect(Self.frames(outputs).map(\.rtpTimestamp) == [3000])
        #expect(try Self.rtcp(outputs) == [.nack(RTCPNack(senderSSRC: Self.local, mediaSSRC: Self.remote, lost: [12]))])
        #expect(s.statistics.packetsRecoveredByNack == 1)
        #expect(s.statistics.nackedSequenceNumbers == 3)
    }

    /// A keyframe's first packet is here: a keyframe request made meanwhile is held until the
    /// keyframe is given up (then it goes out), not sent while the keyframe is arriving.
    @Test func aKeyframeOnItsWayHoldsTheRequest() throws {
        var s = Self.video()
        // A two-packet keyframe: its first packet (S=1, P=0), the second still to come.
        try s.handle(packet: B.rtp(seq: 20, ts: 0, ssrc: Self.remote, payload: [0x90, 0x80, 0x80, 0x00, 0x50, 1]), at: .rtpMS(0))
        s.requestKeyframe(at: .rtpMS(10))
        var (outputs, _) = Self.drain(&s)
        #expect(try Self.rtcp(outputs).filter { if case .pictureLossIndication = $0 { true } else { false } }.isEmpty)
        #expect(s.statistics.keyframeRequestsSent == 0)
        // Nothing more comes for it: given up after the stall limit, and the request goes.
        s.handleTimeout(at: .rtpMS(1000))
        (outputs, _) = Self.drain(&s)
        s.handleTimeout(at: .rtpMS(1001))
        (outputs, _) = Self.drain(&s)
        #expect(s.statistics.keyframeRequestsSent == 1)
    }

    /// Repairs from the sender's RTX stream: one for a packet still missing is taken (and
    /// counted as a NACK recovery and an RTX repair); one for a packet that is here (Chromium
    /// probing with old packets) is only counted as padding, not as a packet received.
    @Test func aRepairIsTakenOnlyForAPacketStillMissing() throws {
        var s = Self.video()
        s.setRoundTripTime(.milliseconds(50))
        try s.handle(packet: Self.frame(seq: 10, ts: 0, key: true), at: .rtpMS(0))
        try s.handle(packet: Self.frame(seq: 12, ts: 6000, key: false), at: .rtpMS(66))
        s.handleTimeout(at: .rtpMS(76))
        _ = Self.drain(&s)
        func repair(_ packet: [UInt8], at ms: Int64) throws {
            let view = try RTPPacketView.parse(packet)
            packet.withUnsafeBytes { s.handleRepair(view, in: $0, at: .rtpMS(ms)) }
        }
        try repair(Self.frame(seq: 10, ts: 0, key: true), at: 90)       // already here: a probe
        #expect(s.statistics.paddingPacketsReceived == 1 && s.statistics.packetsReceived == 2)
        try repair(Self.frame(seq: 11, ts: 3000, key: false), at: 100)  // the missing one
        let (outputs, _) = Self.drain(&s)
        #expect(Self.frames(outputs).map(\.rtpTimestamp) == [3000, 6000])
        #expect(s.statistics.packetsRepairedByRTX == 1 && s.statistics.packetsRecoveredByNack == 1)
        #expect(s.statistics.packetsReceived == 3)
        // The jitter-buffer delay: frame 12 (here at 66 ms) waited for 11 until 100 ms; 10
        // and 11 left as they came.
        #expect(s.statistics.framesDelivered == 3 && s.statistics.jitterBufferDelayNanoseconds == 34_000_000)
    }

    /// A packet that never comes: NACKs until the deadline, then one PLI, however the
    /// timers interleave; a keyframe ends the episode.
    @Test func lossPastTheDeadlineGivesExactlyOnePLI() throws {
        var s = Self.video()
        s.setRoundTripTime(.milliseconds(30))
        var now = Instant.zero
        var plis = 0
        var nacks = 0
        var seq: UInt16 = 0
        var frames = 0
        func step() throws {
            while true {
                let (outputs, deadline) = Self.drain(&s)
                for p in try Self.rtcp(outputs) {
                    if case .pictureLossIndication = p { plis += 1 }
                    if case .nack = p { nacks += 1 }
                }
                frames += Self.frames(outputs).count
                guard let d = deadline, d <= now else { return }
                s.handleTimeout(at: now)
            }
        }
        // 30 frames at 30 fps; frame 5 is lost for good; the sender answers the PLI with a
        // keyframe at frame 15.
        for i in 0..<30 {
            now = .rtpMS(Int64(i) * 33)
            try step()
            if i != 5 { try s.handle(packet: Self.frame(seq: seq, ts: UInt32(i * 3000), key: i == 0 || i == 15), at: now) }
            seq &+= 1
            // Fire any timers due between frames.
            for t in stride(from: Int64(i) * 33, to: Int64(i + 1) * 33, by: 1) {
                now = .rtpMS(t)
                try step()
            }
        }
        #expect(plis == 1)
        #expect(nacks == 2)
        #expect(frames == 5 + 15)   // frames 0–4, then 15–29
        #expect(s.statistics.framesDropped == 10)
        #expect(s.statistics.keyframeRequestsSent == 1)
    }

    @Test func aStreamStartingWithDeltaFramesSendsRateLimitedPLIs() throws {
        var s = Self.video()
        var plis: [Int64] = []
        for i in 0..<40 {
            let t = Int64(i) * 33
            try s.handle(packet: Self.frame(seq: UInt16(i), ts: UInt32(i * 3000), key: i == 35), at: .rtpMS(t))
            var (outputs, deadline) = Self.drain(&s)
            while let d = deadline, d <= .rtpMS(t) {
                s.handleTimeout(at: .rtpMS(t))
                (outputs, deadline) = Self.drain(&s)
            }
            for p in try Self.rtcp(outputs) { if case .pictureLossIndication = p { plis.append(t) } }
        }
        // At the first delta frame, then at least 500 ms apart, until the keyframe at 35.
        #expect(plis.first == 0)
        #expect(plis.count == 3)
        #expect(zip(plis, plis.dropFirst()).allSatisfy { $1 - $0 >= 500 })
        #expect(s.statistics.keyframesDelivered == 1)
    }

    @Test func firCanReplacePLIAndFeedbackCanRideInACompound() throws {
        var cfg = RTPReceiveStream.Config(kind: .video, remoteSSRC: Self.remote, localSSRC: Self.local, cname: "kiosk")
        cfg.keyframeRequestMethod = .fir
        cfg.reducedSizeRTCP = false
        var s = RTPReceiveStream(config: cfg)
        try s.handle(packet: Self.frame(seq: 0, ts: 0, key: false), at: .zero)
        let packets = try Self.rtcp(Self.drain(&s).0)
        #expect(packets.count == 3)
        guard case .receiverReport = packets[0], case .sourceDescription = packets[1],
              case .fullIntraRequest(let fir) = packets[2] else { Issue.record("\(packets)"); return }
        #expect(fir.entries == [.init(ssrc: Self.remote, sequenceNumber: 1)])
    }

    /// A `while let` drain that does not stop at `.timeout` still ends: one timeout, then nil.
    @Test func pollEndsWithOneTimeoutThenNil() throws {
        var s = Self.video()
        try s.handle(packet: Self.frame(seq: 0, ts: 0, key: true), at: .zero)
        var outputs: [RTPReceiveStreamOutput] = []
        while let o = s.poll() { outputs.append(o) }
        #expect(outputs.count == 2)
        #expect(outputs.last == .timeout(.rtpMS(1000)))   // the first receiver report
        #expect(s.poll() == nil)
        #expect(s.nextDeadline == .rtpMS(1000))
        s.handleTimeout(at: .rtpMS(1000))
        outputs = []
        while let o = s.poll() { outputs.append(o) }
        #expect(outputs.count == 2 && outputs.last == .timeout(.rtpMS(2000)))
    }

    @Test func framesCanBeRecycled() throws {
        var s = Self.video()
        try s.handle(packet: Self.frame(seq: 0, ts: 0, key: true), at: .zero)
        var f = try #require(Self.frames(Self.drain(&s).0).first)
        let address = f.data.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) }
        s.recycle(f.data)
        f.data = []
        try s.handle(packet: Self.frame(seq: 1, ts: 3000, key: false), at: .rtpMS(33))
        let g = try #require(Self.frames(Self.drain(&s).0).first)
        #expect(g.data == [0x51, 1])
        #expect(g.data.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) } == address)
    }
}
