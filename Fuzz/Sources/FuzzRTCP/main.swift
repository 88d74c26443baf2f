// libFuzzer target for RTCP compound parsing and the streams' RTCP handling.
// Invariants checked (a violation traps so the fuzzer reports it):
//   - RTCPPacket.parseCompound never traps;
//   - every packet that parses re-serializes to bytes that parse again, to the same type;
//   - send and receive streams accept any parsed packet without trapping.
import RTP
import RTPStreams
import SessionCore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let raw = UnsafeRawBufferPointer(start: data, count: size)
    // Walk packet by packet, so the ones before a malformed packet are still exercised.
    var packets: [RTCPPacket] = []
    var it = RTCPCompoundIterator(raw)
    while let p = try? it.next() { packets.append(p) }

    for p in packets {
        var out: [UInt8] = []
        p.write(to: &out)
        if case .unknown = p {
            precondition(out.isEmpty)
            continue
        }
        guard let again = try? RTCPPacket.parseCompound(out), again.count == 1 else {
            fatalError("a parsed RTCP packet did not re-serialize to a parseable one")
        }
        switch (p, again[0]) {
        case (.senderReport, .senderReport), (.receiverReport, .receiverReport), (.sourceDescription, .sourceDescription),
             (.bye, .bye), (.nack, .nack), (.pictureLossIndication, .pictureLossIndication),
             (.fullIntraRequest, .fullIntraRequest), (.receiverEstimatedMaxBitrate, .receiverEstimatedMaxBitrate),
             (.transportFeedback, .transportFeedback):
            break
        default:
            fatalError("an RTCP packet changed type in a round trip")
        }
    }

    // The streams, with SSRCs the fuzzer can hit (0 and 1 are common in mutated inputs).
    let clock = NTPClock(ntpAtZero: NTPTimestamp(seconds: 3_900_000_000, fraction: 0))
    var sendConfig = RTPSendStream.Config(ssrc: 1, payloadType: 96, format: .vp8(maxPayloadSize: 1200), cname: "fuzz", ntpClock: clock)
    sendConfig.retransmissionCapacity = 16
    var sender = RTPSendStream(config: sendConfig)
    for i in 0..<3 {
        try? sender.sendFrame([0x50, 1, 2, UInt8(i)], rtpTimestamp: UInt32(i * 3000), at: .zero + .milliseconds(Int64(i)))
        while let o = sender.poll() { if case .timeout = o { break } }
    }
    var receiveConfig = RTPReceiveStream.Config(kind: .video, remoteSSRC: 0, localSSRC: 1, cname: "fuzz")
    receiveConfig.bufferCapacity = 16
    var receiver = RTPReceiveStream(config: receiveConfig)
    for p in packets {
        sender.handleRTCP(p, at: .zero + .milliseconds(50))
        receiver.handleRTCP(p, at: .zero + .milliseconds(50))
    }
    var polled = 0
    while polled < 10_000, let o = sender.poll() {
        if case .timeout = o { break }
        polled += 1
    }
    receiver.handleTimeout(at: .zero + .seconds(2))
    while let o = receiver.poll() { if case .timeout = o { break } }
    return 0
}
