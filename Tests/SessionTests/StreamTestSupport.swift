@testable import RTP
@testable import SessionCore

/// Deterministic pseudo-random numbers for simulated networks and payloads (SplitMix64).
struct RTPTestRandom {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in 0..<1.
    mutating func unit() -> Double { Double(next() >> 11) / Double(UInt64(1) << 53) }

    mutating func int(in range: Range<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.count))
    }

    mutating func bytes(_ count: Int) -> [UInt8] {
        (0..<count).map { _ in UInt8(truncatingIfNeeded: next()) }
    }

    mutating func shuffle<T>(_ a: inout [T]) {
        guard a.count > 1 else { return }
        for i in stride(from: a.count - 1, to: 0, by: -1) {
            a.swapAt(i, int(in: 0..<(i + 1)))
        }
    }
}

enum RTPTestBytes {
    static func hex(_ s: String) -> [UInt8] {
        let digits = s.filter { $0.isHexDigit }
        var out: [UInt8] = []
        var i = digits.startIndex
        while i < digits.endIndex {
            let j = digits.index(i, offsetBy: 2)
            out.append(UInt8(digits[i..<j], radix: 16) ?? 0)
            i = j
        }
        return out
    }

    /// A fake VP8 frame whose first byte says key or delta (RFC 6386 §9.1 frame tag, P bit).
    static func vp8Frame(keyframe: Bool, size: Int, rng: inout RTPTestRandom) -> [UInt8] {
        var f = rng.bytes(max(size, 10))
        f[0] = keyframe ? 0x50 : 0x51
        if keyframe { f[3] = 0x9D; f[4] = 0x01; f[5] = 0x2A }
        return f
    }

    /// One RTP packet with the given payload.
    static func rtp(seq: UInt16, ts: UInt32, ssrc: UInt32, marker: Bool = false, pt: UInt8 = 96, payload: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        RTPHeader(marker: marker, payloadType: pt, sequenceNumber: seq, timestamp: ts, ssrc: ssrc).write(to: &out)
        out += payload
        return out
    }

    /// A VP8 frame packetized into RTP packets (seq numbers from `firstSeq`).
    static func vp8Packets(frame: [UInt8], firstSeq: UInt16, ts: UInt32, ssrc: UInt32, budget: Int = 1200,
                           packetizer: inout VP8Packetizer) throws -> [[UInt8]] {
        var plan = try packetizer.beginFrame(byteCount: frame.count)
        var packets: [[UInt8]] = []
        var seq = firstSeq
        while true {
            var payload: [UInt8] = []
            let last = frame.withUnsafeBytes { plan.writeNext(from: $0, to: &payload) }
            guard let last else { break }
            packets.append(rtp(seq: seq, ts: ts, ssrc: ssrc, marker: last, payload: payload))
            seq &+= 1
            if last { break }
        }
        return packets
    }
}

extension Instant {
    static func rtpMS(_ v: Int64) -> Instant { Instant(nanoseconds: v * 1_000_000) }
}
