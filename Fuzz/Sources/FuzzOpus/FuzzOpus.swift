// libFuzzer target for the audio the clinician sends: Opus packets as the network delivers
// them (any bytes, any timestamps, any order, any gaps) into the kiosk's playout buffer and
// receive side, pulled as the speaker's clock would.
// Invariants checked (a violation traps so the fuzzer reports it):
//   - OpusFormat.carriesFEC reads any buffer without trapping, and says no to a packet too
//     short to carry SILK data;
//   - AudioPlayoutBuffer never holds more than its ring, every pull is exactly one action;
//   - OpusReceiver fed any of its actions never traps, plays no stretch longer than an Opus
//     packet can hold, and keeps its counters consistent (concealed ≤ received).
import Codecs
import Media

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let raw = UnsafeRawBufferPointer(start: data, count: size)
    let fec = OpusFormat.carriesFEC(raw)
    precondition(size >= 2 || !fec, "FEC claimed for a \(size)-byte packet")

    // The input as a run of operations: [pulls (0-7) | timestamp step (signed, frames)][length][bytes]...
    guard size > 0, let receiver = try? OpusReceiver(channels: raw[0] & 1 == 0 ? 1 : 2) else { return 0 }
    let channels = raw[0] & 1 == 0 ? 1 : 2
    var buffer = AudioPlayoutBuffer()
    var payload: [UInt8] = []
    var timestamp: UInt32 = 0
    var i = 1
    var played = 0
    var pulls = 0
    while i + 2 <= size {
        let step = Int(Int8(bitPattern: raw[i] << 3) >> 3)  // −16…15 frames
        let pullsNow = Int(raw[i] >> 5)
        let length = min(Int(raw[i + 1]), size - i - 2)
        i += 2
        timestamp = timestamp &+ UInt32(bitPattern: Int32(step * 960))
        let packet = UnsafeRawBufferPointer(rebasing: raw[i..<(i + length)])
        i += length
        buffer.push(packet, timestamp: timestamp, frameTicks: 960, fec: OpusFormat.carriesFEC(packet))
        precondition(buffer.depth <= AudioPlayoutBuffer.capacity, "depth \(buffer.depth)")
        for _ in 0..<pullsNow {
            pulls += 1
            receiver.playFrame(buffer.pull(into: &payload), packet: payload) { pcm in
                precondition(pcm.count <= OpusFormat.maxSamplesPerChannel * channels, "a stretch of \(pcm.count) samples")
                played += pcm.count
            }
        }
    }
    let c = receiver.counters
    precondition(c.concealedSamples <= c.totalSamplesReceived, "concealed \(c.concealedSamples) of \(c.totalSamplesReceived)")
    precondition(played <= c.totalSamplesReceived, "played \(played) of \(c.totalSamplesReceived) samples")
    let b = buffer.counters
    precondition(b.framesDecoded + b.framesRecoveredByFEC + b.framesConcealedLost + b.framesConcealedUnderflow <= pulls + b.packetsDroppedCatchingUp,
                 "more frames than pulls")
    return 0
}
