// libFuzzer target for the audio the clinician sends: Opus packets as the network delivers
// them (any bytes, any gaps) into the kiosk's receive side.
// Invariants checked (a violation traps so the fuzzer reports it):
//   - OpusFormat.carriesFEC reads any buffer without trapping, and says no to a packet too
//     short to carry SILK data;
//   - OpusReceiver fed any run of packets and gaps never traps, plays no stretch longer than
//     an Opus packet can hold, and keeps its counters consistent (concealed ≤ received).
import Codecs

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let raw = UnsafeRawBufferPointer(start: data, count: size)
    let fec = OpusFormat.carriesFEC(raw)
    precondition(size >= 2 || !fec, "FEC claimed for a \(size)-byte packet")

    // The input as a run of packets: [gap before it (0-7 frames) | length high bits][length low][bytes]...
    guard size > 0, let receiver = try? OpusReceiver(channels: raw[0] & 1 == 0 ? 1 : 2) else { return 0 }
    let channels = raw[0] & 1 == 0 ? 1 : 2
    var i = 1
    var played = 0
    while i + 2 <= size {
        let lost = Int(raw[i] >> 5)
        let length = min(Int(raw[i] & 0x1F) << 8 | Int(raw[i + 1]), size - i - 2)
        i += 2
        let packet = Array(raw[i..<(i + length)])
        i += length
        receiver.receive(packet, lostBefore: lost) { pcm in
            precondition(pcm.count <= OpusFormat.maxSamplesPerChannel * channels, "a stretch of \(pcm.count) samples")
            played += pcm.count
        }
    }
    let c = receiver.counters
    precondition(c.concealedSamples <= c.totalSamplesReceived, "concealed \(c.concealedSamples) of \(c.totalSamplesReceived)")
    precondition(played <= c.totalSamplesReceived, "played \(played) of \(c.totalSamplesReceived) samples")
    return 0
}
