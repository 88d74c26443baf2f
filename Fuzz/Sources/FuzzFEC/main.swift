// libFuzzer target for ULPFEC (RFC 5109) as the clinician's browser sends it inside RED.
// Invariants checked (a violation traps so the fuzzer reports it):
//   - ULPFECPacket.parse never traps; what it accepts has a mask within 48 packets and its
//     parity inside the input;
//   - a ULPFECDecoder fed any run of media and parity packets never traps, rebuilds only
//     sequence numbers a parity packet covers, never longer than that parity allows;
//   - a video RTPReceiveStream with RED and ULPFEC negotiated, fed any run of packets, never
//     traps and rebuilds no more packets than the parity it received covers.
import FEC
import RTP
import RTPStreams
import SessionCore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let raw = UnsafeRawBufferPointer(start: data, count: size)

    // 1. The whole input as a parity payload.
    if let p = try? ULPFECPacket.parse(raw) {
        precondition(p.mask != 0 && p.mask >> 48 == 0, "mask beyond 48 packets")
        precondition(p.headerLength + p.protectionLength <= size, "parity past the end")
    }

    // 2. The input as a run for the decoder: [kind][sequence step][length][bytes]...
    var decoder = ULPFECDecoder(maxPacketSize: 256)
    var seq: Int64 = 1000
    var offset = 0
    var out: [UInt8] = []
    var covered: [(Int64, Int64, Int)] = []  // (base, base + 47, 12 + protection)
    while offset + 3 <= size {
        let kind = raw[offset], step = Int64(raw[offset + 1] % 8), length = Int(raw[offset + 2])
        offset += 3
        let end = min(size, offset + length)
        let bytes = UnsafeRawBufferPointer(rebasing: raw[offset..<end])
        offset = end
        seq += step
        if kind & 1 == 0 {
            guard bytes.count >= 12 else { continue }
            decoder.insertMedia(sequence: seq, header: UnsafeRawBufferPointer(rebasing: bytes[0..<12]), payloadType: 96,
                                body: UnsafeRawBufferPointer(rebasing: bytes[12...]))
        } else if let p = try? ULPFECPacket.parse(bytes) {
            do {
                try decoder.insertParity(sequence: seq, ssrc: 7, payload: bytes)
                let back = Int64(UInt16(truncatingIfNeeded: seq) &- p.sequenceBase)
                covered.append((seq - back, seq - back + 47, 12 + p.protectionLength))
            } catch {}
        }
        while let s = decoder.recover(into: &out) {
            precondition(covered.contains { s >= $0.0 && s <= $0.1 && out.count <= $0.2 }, "rebuilt a packet no parity covers")
            precondition(out.count >= 12 && out.count <= decoder.maxPacketSize, "rebuilt packet of impossible length")
        }
    }

    // 3. The input as RTP packets into a video stream with RED (116) and ULPFEC (118):
    //    [length][time step ms][packet bytes]...
    var config = RTPReceiveStream.Config(kind: .video, remoteSSRC: 0x0102_0304, localSSRC: 1, cname: "fuzz")
    config.payloadType = 96
    config.redPayloadType = 116
    config.ulpfecPayloadType = 118
    config.bufferCapacity = 16
    config.nack?.maxMissing = 64
    var stream = RTPReceiveStream(config: config)
    var now = Instant.zero
    offset = 0
    while offset + 2 <= size {
        let length = Int(raw[offset])
        now = now + .milliseconds(Int64(raw[offset + 1]))
        offset += 2
        let end = min(size, offset + length)
        var packet = Array(raw[offset..<end])
        offset = end
        if packet.count >= 12 {
            packet[8] = 0x01; packet[9] = 0x02; packet[10] = 0x03; packet[11] = 0x04
            // Mostly RED, as the stream would receive once ULPFEC is negotiated.
            if packet[1] & 0x40 == 0 { packet[1] = packet[1] & 0x80 | 116 }
        }
        try? stream.handle(packet: packet, at: now)
        stream.handleTimeout(at: now)
        while let output = stream.poll() { if case .timeout = output { break } }
    }
    let s = stream.statistics
    precondition(s.packetsRecoveredByFEC <= s.fecPacketsReceived * 48, "rebuilt more than the parity covers")
    return 0
}
