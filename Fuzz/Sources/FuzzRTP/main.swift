// libFuzzer target for RTP parsing, header extensions, the VP8 payload format and the
// receive pipeline (statistics, NACK, jitter buffer, frame assembly).
// Invariants checked (a violation traps so the fuzzer reports it):
//   - RTPPacketView.parse never traps, and every range it returns lies inside the input;
//   - a parsed header re-encodes to the same first 12 bytes;
//   - extension elements lie inside the extension block;
//   - read as RTX, the restored packet parses with the OSN and the rest of the payload;
//   - read as a RED payload (RFC 2198), the blocks lie inside it, in order, without overlap;
//   - an RTPReceiveStream fed any sequence of packets (audio ones as RED when their payload
//     type is 63) never traps and delivers frames whose bytes came from its packets'
//     payloads (never more bytes than it was given).
import RTP
import RTPStreams
import SessionCore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let raw = UnsafeRawBufferPointer(start: data, count: size)

    // 1. The whole input as one packet.
    if let view = try? RTPPacketView.parse(raw) {
        precondition(view.payloadRange.lowerBound >= 12 && view.payloadRange.upperBound <= size)
        precondition(view.packetLength == size)
        precondition(view.extensionRange.lowerBound >= 12 && view.extensionRange.upperBound <= view.payloadRange.lowerBound)
        var out: [UInt8] = []
        view.header(in: raw).write(to: &out)
        precondition(out[1...11].elementsEqual(raw[1...11]) && out[0] & 0xCF == raw[0] & 0xCF,
                     "header fields changed in a round trip")
        var it = view.extensions(in: raw)
        var count = 0
        while count < 300, let e = try? it.next() {
            precondition(e.range.lowerBound >= view.extensionRange.lowerBound && e.range.upperBound <= view.extensionRange.upperBound)
            count += 1
        }
        let payload = view.payload(in: raw)
        // As an RTX packet (RFC 4588): the restored packet parses, carries the OSN and the
        // payload after it, and nothing else.
        var restored: [UInt8] = []
        if RTPRetransmission.restore(view, in: raw, mediaSSRC: 7, payloadType: 96, into: &restored) {
            let back = try? RTPPacketView.parse(restored)
            precondition(back?.sequenceNumber == RTPRetransmission.originalSequence(view, in: raw), "OSN lost")
            precondition(back?.payloadLength == payload.count - 2 && back?.ssrc == 7, "restored payload or SSRC wrong")
        }
        if let d = try? VP8PayloadDescriptor.parse(payload) {
            precondition(d.length >= 1 && d.length < payload.count)
            _ = VP8FrameHeader.keyframeSize(UnsafeRawBufferPointer(rebasing: payload[d.length...]))
        }
    }

    // 2. The whole input as a RED payload.
    var blocks: [RTPRedundancy.Block] = []
    if (try? RTPRedundancy.parse(raw, into: &blocks)) != nil {
        var end = 0
        for b in blocks {
            precondition(b.range.lowerBound >= end && b.range.upperBound <= size, "RED blocks overlap or run past the end")
            end = b.range.upperBound
        }
        precondition(blocks.last?.isPrimary == true && blocks.count <= RTPRedundancy.maxBlocks)
    }

    // 3. The input as a run of packets: [length][time step ms][packet bytes]...
    var config = RTPReceiveStream.Config(kind: size % 3 == 0 ? .audio : .video, remoteSSRC: 0x0102_0304, localSSRC: 1, cname: "fuzz")
    if config.kind == .audio { config.redPayloadType = 63 }
    config.bufferCapacity = 16
    config.nack?.maxMissing = 64
    var stream = RTPReceiveStream(config: config)
    var now = Instant.zero
    var offset = 0
    var given = 0
    var delivered = 0
    while offset + 2 <= size {
        let length = Int(raw[offset])
        now = now + .milliseconds(Int64(raw[offset + 1]))
        offset += 2
        let end = min(size, offset + length)
        var packet = Array(raw[offset..<end])
        offset = end
        // Most fuzzed packets would not match the SSRC; force it so the pipeline runs.
        if packet.count >= 12 { packet[8] = 0x01; packet[9] = 0x02; packet[10] = 0x03; packet[11] = 0x04 }
        if let view = try? RTPPacketView.parse(packet) { given += view.payloadLength }
        try? stream.handle(packet: packet, at: now)
        stream.handleTimeout(at: now)
        while let output = stream.poll() {
            if case .frame(let f) = output { delivered += f.data.count }
            if case .timeout = output { break }
        }
    }
    stream.handleTimeout(at: now + .seconds(5))
    while let output = stream.poll() {
        if case .frame(let f) = output { delivered += f.data.count }
        if case .timeout = output { break }
    }
    precondition(delivered <= given, "delivered more media bytes than were received")
    return 0
}
