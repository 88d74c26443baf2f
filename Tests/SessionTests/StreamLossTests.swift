@testable import RTP
@testable import RTPStreams
import NetEmulator
@testable import SessionCore
import Testing

/// A sender and a receiver stream over the seeded network emulator (loss both ways, 20 ms) in
/// simulated time, always advancing to the earliest pending event (str0m's tests/nack.rs).
/// Seeded runs: the outcomes are asserted exactly.
@Suite struct StreamLossTests {
    typealias B = RTPTestBytes

    struct Outcome {
        var sentFrames: [[UInt8]] = []
        var received: [RTPReceivedFrame] = []
        var dropped = 0
        var plisOnTheWire = 0
        var nacksOnTheWire = 0
        var sender: RTPSendStream
        var receiver: RTPReceiveStream
        var networkDrops = 0
    }

    static let senderSSRC: UInt32 = 0x5EED_0001
    static let receiverSSRC: UInt32 = 0x5EED_0002

    static let senderAddress = TransportAddress(host: "10.0.0.1", port: 5000)!
    static let receiverAddress = TransportAddress(host: "10.0.0.2", port: 6000)!

    static func run(seed: UInt64, loss: Double, frames: Int, blackhole: (@Sendable ([UInt8]) -> Bool)? = nil) throws -> Outcome {
        let clock = NTPClock(ntpAtZero: NTPTimestamp(seconds: 3_900_000_000, fraction: 0))
        var sc = RTPSendStream.Config(ssrc: senderSSRC, payloadType: 96, format: .vp8(maxPayloadSize: 1200), cname: "sender", ntpClock: clock)
        sc.initialSequenceNumber = 65_200   // cross the wrap mid-run
        sc.mid = "0"
        sc.midExtensionID = 3
        var sender = RTPSendStream(config: sc)
        var receiver = RTPReceiveStream(config: .init(kind: .video, remoteSSRC: senderSSRC, localSSRC: receiverSSRC, cname: "receiver"))
        var link = LinkConfig()
        link.loss = loss > 0 ? .bernoulli(loss) : .none
        var net = NetworkEmulator(seed: seed, aToB: link, bToA: link)
        if let blackhole { net.blackhole(from: .a, blackhole) }
        var media = RTPTestRandom(seed: seed ^ 0xABCDEF)
        var result = Outcome(sender: sender, receiver: receiver)

        var now = Instant.zero
        func send(_ bytes: [UInt8], toReceiver: Bool) {
            net.send(.init(from: toReceiver ? senderAddress : receiverAddress, to: toReceiver ? receiverAddress : senderAddress,
                           bytes: bytes), from: toReceiver ? .a : .b, at: now)
        }
        let frameInterval = Duration.milliseconds(33)
        // A few more frames than asked, so that a loss at the very end is revealed by a
        // later packet (nothing can reveal the loss of a stream's last packet).
        let total = frames + 5
        let end = Instant.zero + frameInterval * total + .seconds(2)
        var nextFrame = 0
        var nextFrameAt = Instant.zero
        var forceKeyframe = false
        var senderDeadline: Instant? = .zero
        var receiverDeadline: Instant?
        var iterations = 0

        while now < end {
            iterations += 1
            guard iterations < 200_000 else { Issue.record("simulation did not settle"); break }
            while let delivery = net.popDue(at: now) {
                let d = delivery.datagram
                if delivery.to == .b {
                    if RTPDemux.isRTCP(d.bytes) {
                        for p in try RTCPPacket.parseCompound(d.bytes) { receiver.handleRTCP(p, at: now) }
                    } else {
                        try receiver.handle(packet: d.bytes, at: now)
                    }
                } else {
                    for p in try RTCPPacket.parseCompound(d.bytes) {
                        if case .pictureLossIndication = p { result.plisOnTheWire += 1 }
                        if case .nack = p { result.nacksOnTheWire += 1 }
                        sender.handleRTCP(p, at: now)
                    }
                }
            }
            if nextFrame < total, now >= nextFrameAt {
                let frame = B.vp8Frame(keyframe: nextFrame == 0 || forceKeyframe, size: media.int(in: 200..<6000), rng: &media)
                forceKeyframe = false
                try sender.sendFrame(frame, rtpTimestamp: UInt32(nextFrame * 3000), at: now)
                result.sentFrames.append(frame)
                nextFrame += 1
                nextFrameAt = nextFrameAt + frameInterval
            }
            if let d = senderDeadline, d <= now { sender.handleTimeout(at: now) }
            if let d = receiverDeadline, d <= now { receiver.handleTimeout(at: now) }
            if let rtt = sender.statistics.roundTripTime { receiver.setRoundTripTime(rtt) }

            while let o = sender.poll() {
                switch o {
                case .sendRTP, .sendRTCP: send(sender.packet, toReceiver: true)
                case .keyframeRequested: forceKeyframe = true
                case .timeout: break
                }
            }
            senderDeadline = sender.nextDeadline
            while let o = receiver.poll() {
                switch o {
                case .sendRTCP(let bytes): send(bytes, toReceiver: false)
                case .frame(let f): result.received.append(f)
                case .frameDropped: result.dropped += 1
                case .audioGap: Issue.record("audio gap on a video stream")
                case .timeout: break
                }
            }
            receiverDeadline = receiver.nextDeadline

            var next = end
            for t in [nextFrame < total ? nextFrameAt : nil, net.nextDelivery, senderDeadline, receiverDeadline] {
                if let t, t < next { next = t }
            }
            // A deadline that is already due is served on the next pass at the same time.
            now = max(now, next)
        }
        result.sender = sender
        result.receiver = receiver
        result.networkDrops = net.stats(from: .a).lost + net.stats(from: .b).lost
        return result
    }

    /// 5 % loss both ways (RTP, retransmissions and RTCP alike): NACK recovers every packet
    /// and every frame arrives, byte for byte, in order, with no keyframe request. (Across
    /// seeds some runs lose one packet four times within the 150 ms window and pay a keyframe
    /// instead; this seed does not.)
    @Test func fivePercentLossIsFullyRecoveredByNack() throws {
        let frames = 300
        let r = try Self.run(seed: 0x5EED, loss: 0.05, frames: frames)
        #expect(r.networkDrops == 55)
        #expect(r.received.count == r.sentFrames.count && r.sentFrames.count == frames + 5)
        let sameBytes = r.received.prefix(frames).map(\.data) == Array(r.sentFrames.prefix(frames))
        let inOrder = r.received.prefix(frames).map(\.rtpTimestamp) == (0..<frames).map { UInt32($0 * 3000) }
        #expect(sameBytes && inOrder)
        #expect(r.dropped == 0)
        #expect(r.plisOnTheWire == 0)
        #expect(r.receiver.statistics.nackGiveUps == 0)
        // 46 packets recovered; 47 resent (a NACK went again only a little over an RTT after
        // the last, when the copy could have come: 88 resends for 84 NACKs at exactly one RTT).
        #expect(r.receiver.statistics.packetsRecoveredByNack == 46)
        #expect(r.sender.statistics.retransmittedPackets == 47)
        #expect(r.nacksOnTheWire == 45)
        // The RTT loop closed: SR → RR with LSR/DLSR → 2 × 20 ms.
        let rtt = try #require(r.sender.statistics.roundTripTime)
        #expect(abs((rtt - .milliseconds(40)).nanosecondsClamped) < 1_000_000)
    }

    /// One packet lost for good: NACKs until the deadline, exactly one PLI, a keyframe, and
    /// every frame after that keyframe delivered.
    @Test func aPacketLostForGoodCostsExactlyOnePLI() throws {
        let lostSeq: UInt16 = 65_200 &+ 400
        let r = try Self.run(seed: 1, loss: 0, frames: 200) { bytes in
            guard !RTPDemux.isRTCP(bytes), let p = try? RTPPacketView.parse(bytes) else { return false }
            return p.sequenceNumber == lostSeq
        }
        #expect(r.plisOnTheWire == 1)
        #expect(r.receiver.statistics.keyframeRequestsSent == 1)
        // The wait counts from when the loss showed (the next packet's arrival), not from the
        // frame's first packet, and lasts three round trips: three NACKs (a little over an RTT
        // apart; five at exactly one), and the frames behind
        // it until the keyframe lost their reference.
        #expect(r.nacksOnTheWire == 3)
        #expect(r.dropped == 8)
        #expect(r.received.count == 197)
        #expect(r.received.count + r.dropped == r.sentFrames.count)
        // Every frame from the recovery keyframe on made it.
        let firstKeyAfterLoss = try #require(r.received.dropFirst().firstIndex { $0.isKeyframe })
        let tail = r.received[firstKeyAfterLoss...].map(\.rtpTimestamp)
        let startTs = r.received[firstKeyAfterLoss].rtpTimestamp
        #expect(tail == (Int(startTs / 3000)..<r.sentFrames.count).map { UInt32($0 * 3000) })
    }
}
