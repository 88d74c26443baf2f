import Benchmark
import RTP
import RTPStreams
import SessionCore

/// VP8 over RTP at the sizes `Peer` uses (1200-byte MTU → 1140-byte VP8 payload budget, mid
/// header extension): packetize = `RTPSendStream.sendFrame` + `poll()`, depacketize =
/// `RTPReceiveStream.handle` + `poll` until the reassembled frame comes out. One scaled
/// iteration = one 11,400-byte frame = 10 RTP packets.
enum RTPBench {
    static let frameSize = 11_400
    static let framesPerIteration = 1_000  // BenchmarkScalingFactor.kilo
    static let maxPayloadSize = 1_200 - 60
    static let ntp = NTPClock(ntpAtZero: NTPTimestamp(seconds: 3_900_000_000, fraction: 0))

    static func sendConfig() -> RTPSendStream.Config {
        var c = RTPSendStream.Config(ssrc: 0x1234_5678, payloadType: 96, format: .vp8(maxPayloadSize: maxPayloadSize),
                                     cname: "benchcname", ntpClock: ntp)
        c.mid = "1"
        c.midExtensionID = 4
        return c
    }

    /// An 11,400-byte VP8-looking frame: a keyframe header when `key`, a delta one otherwise.
    static func frame(key: Bool) -> [UInt8] {
        var f = (0..<frameSize).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        f[0] = key ? 0x10 : 0x11
        if key { f[3] = 0x9D; f[4] = 0x01; f[5] = 0x2A; f[6] = 0x80; f[7] = 0x02; f[8] = 0xE0; f[9] = 0x01 }
        return f
    }

    /// `framesPerIteration` frames' packets, back to back, as one sender produced them.
    static let wire: (bytes: [UInt8], ends: [Int], packetsPerFrame: Int) = {
        var stream = RTPSendStream(config: sendConfig())
        let key = frame(key: true), delta = frame(key: false)
        var bytes: [UInt8] = [], ends: [Int] = []
        for i in 0..<framesPerIteration {
            let now = Instant.zero + .nanoseconds(Int64(i) * 33_333_333)
            try? stream.sendFrame(i == 0 ? key : delta, rtpTimestamp: UInt32(i * 3000), at: now)
            while let o = stream.poll() {
                guard case .sendRTP = o else { continue }
                bytes += stream.packet
                ends.append(bytes.count)
            }
        }
        return (bytes, ends, ends.count / framesPerIteration)
    }()

    static func register() {
        let send = Tally(), receive = Tally()
        let packName = "RTP VP8 packetize 11400 B frame (sendFrame+poll)"
        Benchmark(packName, configuration: .kiosk(scaling: .kilo)) { benchmark in
            var stream = RTPSendStream(config: sendConfig())
            let key = frame(key: true), delta = frame(key: false)
            var packets = 0, bytes = 0
            // Warm the ring and scratch buffers so the figures are the steady state.
            try stream.sendFrame(key, rtpTimestamp: 0, at: .zero)
            while stream.poll() != nil {}
            benchmark.startMeasurement()
            try send.measure(items: 0) {
                var ts: UInt32 = 0, now = Instant.zero
                for _ in benchmark.scaledIterations {
                    ts &+= 3000
                    now = now + .nanoseconds(33_333_333)
                    try delta.withUnsafeBytes { try stream.sendFrame($0, rtpTimestamp: ts, at: now) }
                    while let o = stream.poll() {
                        if case .sendRTP = o { packets += 1; bytes += stream.packet.count }
                    }
                }
            }
            benchmark.stopMeasurement()
            send.items += packets
            send.bytes += benchmark.scaledIterations.count * frameSize
            blackHole(bytes)
        } teardown: {
            Tally.report(packName, "\(grouped(send.itemsPerCPUSecond)) packets/CPU-s, \(fmt(send.megabytesPerCPUSecond, 0)) MB/s of frame payload, "
                         + "\(fmt(send.mallocsPerItem, 3)) mallocs/packet")
        }

        let depackName = "RTP VP8 depacketize+reassemble 11400 B frame (RTPReceiveStream)"
        Benchmark(depackName, configuration: .kiosk(scaling: .kilo)) { benchmark in
            let wire = RTPBench.wire
            var config = RTPReceiveStream.Config(kind: .video, remoteSSRC: 0x1234_5678, localSSRC: 0x0BAD_CAFE, cname: "benchrecv")
            config.payloadType = 96
            var stream = RTPReceiveStream(config: config)
            var frames = 0, frameBytes = 0
            benchmark.startMeasurement()
            receive.measure(items: wire.ends.count) {
                wire.bytes.withUnsafeBytes { all in
                    var start = 0
                    for (i, end) in wire.ends.enumerated() {
                        let now = Instant.zero + .nanoseconds(Int64(i / wire.packetsPerFrame) * 33_333_333)
                        try? stream.handle(packet: UnsafeRawBufferPointer(rebasing: all[start..<end]), at: now)
                        start = end
                        while let o = stream.poll() {
                            if case .frame(let f) = o {
                                frames += 1
                                frameBytes += f.data.count
                                stream.recycle(f.data)
                            }
                        }
                    }
                }
            }
            benchmark.stopMeasurement()
            receive.bytes += frameBytes
            precondition(frames == framesPerIteration, "reassembled \(frames) of \(framesPerIteration) frames")
        } teardown: {
            Tally.report(depackName, "\(grouped(receive.itemsPerCPUSecond)) packets/CPU-s, \(fmt(receive.megabytesPerCPUSecond, 0)) MB/s of frame payload, "
                         + "\(fmt(receive.mallocsPerItem, 3)) mallocs/packet")
        }
    }
}
