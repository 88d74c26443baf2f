// libFuzzer target for TURN's stream framing (TURN over TCP/TLS, RFC 8656 §12.5).
// Invariants checked (a violation traps so the fuzzer reports it):
//   - TURNStreamFramer never traps and never buffers more than its capacity;
//   - the messages (and the error, if any) do not depend on how the stream is chunked;
//   - every message is a whole STUN message or ChannelData as its header states;
//   - messages framed again by the sender side read back as the same messages.
import ICE
import SessionCore

func read(_ bytes: [UInt8], chunk: Int) -> (messages: [[UInt8]], error: TURNStreamError?) {
    var framer = TURNStreamFramer(capacity: 4096 + TURNStreamFramer.maxFrameLength)
    var messages: [[UInt8]] = []
    var i = 0
    do {
        while i < bytes.count {
            let end = min(bytes.count, i + chunk)
            try framer.append(bytes[i..<end])
            i = end
            precondition(framer.bufferedCount <= framer.capacity, "framer grew past its capacity")
            while let m = try framer.nextMessage() { messages.append(m) }
        }
    } catch {
        return (messages, error)
    }
    return (messages, nil)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let whole = read(bytes, chunk: max(1, bytes.count))
    let chunk = 1 + Int(bytes.first ?? 0) % 97
    let pieces = read(bytes, chunk: chunk)
    precondition(whole.messages == pieces.messages, "messages depend on chunking")
    precondition(whole.error == pieces.error, "the error depends on chunking")

    var reframed: [UInt8] = []
    for m in whole.messages {
        precondition(m.count >= 4, "a message shorter than any header")
        let length = Int(UInt16(m[2]) << 8 | UInt16(m[3]))
        if m[0] >> 6 == 0 {
            precondition(m.count == 20 + length && length % 4 == 0, "STUN message length mismatch")
        } else {
            precondition(TURNChannelData.isChannelData(m) && m.count == 4 + length, "ChannelData length mismatch")
            precondition((try? TURNChannelData.parse(m)) != nil, "framed ChannelData does not parse")
        }
        TURNStreamFramer.frame(m, into: &reframed)
    }
    let again = read(reframed, chunk: 1 + chunk % 13)
    precondition(again.error == nil && again.messages == whole.messages, "re-framed messages read back differently")
    return 0
}
