import Benchmark
import SRTP

/// SRTP protect (sender) + unprotect (receiver) of one 1200-byte RTP packet, in place in one
/// reused buffer, as `Peer` does it. One scaled iteration = one packet both ways.
enum SRTPBench {
    static let packetSize = 1200

    static func register() {
        for profile in SRTPProfile.allCases {
            let tally = Tally()
            let name = "SRTP protect+unprotect 1200 B \(profile)"
            Benchmark(name, configuration: .kiosk(scaling: .kilo, maxDuration: .seconds(2))) { benchmark in
                let (sender, receiver) = try sessions(profile)
                var packet = [UInt8](repeating: 0, count: packetSize)
                packet.reserveCapacity(packetSize + SRTPSession.maximumOverhead)
                packet[0] = 0x80
                packet[1] = 96
                for i in 12..<packetSize { packet[i] = UInt8(truncatingIfNeeded: i &* 7) }
                packet[8] = 0x12; packet[9] = 0x34; packet[10] = 0x56; packet[11] = 0x78
                var seq = UInt16(0), ts = UInt32(0)
                benchmark.startMeasurement()
                try tally.measure(items: benchmark.scaledIterations.count, bytes: benchmark.scaledIterations.count * packetSize) {
                    for _ in benchmark.scaledIterations {
                        seq &+= 1
                        ts &+= 3000
                        packet[2] = UInt8(truncatingIfNeeded: seq >> 8); packet[3] = UInt8(truncatingIfNeeded: seq)
                        packet[4] = UInt8(truncatingIfNeeded: ts >> 24); packet[5] = UInt8(truncatingIfNeeded: ts >> 16)
                        packet[6] = UInt8(truncatingIfNeeded: ts >> 8); packet[7] = UInt8(truncatingIfNeeded: ts)
                        try sender.protectRTP(&packet)
                        try receiver.unprotectRTP(&packet)
                    }
                }
                benchmark.stopMeasurement()
                blackHole(packet)
            } teardown: {
                Tally.report(name, "\(grouped(tally.itemsPerCPUSecond)) packets/CPU-s both ways "
                             + "(\(fmt(tally.megabytesPerCPUSecond, 0)) MB/s, \(fmt(tally.microsPerItem * 1000, 0)) ns/packet), "
                             + "\(fmt(tally.mallocsPerItem, 3)) mallocs/packet")
            }
        }
    }

    /// Two sessions keyed as the two ends of one DTLS-SRTP association.
    static func sessions(_ profile: SRTPProfile) throws -> (SRTPSession, SRTPSession) {
        let a = SRTPMasterKey(key: (0..<profile.masterKeyLength).map { UInt8(truncatingIfNeeded: $0 &* 3 &+ 1) },
                              salt: (0..<profile.masterSaltLength).map { UInt8(truncatingIfNeeded: $0 &* 5 &+ 2) })
        let b = SRTPMasterKey(key: (0..<profile.masterKeyLength).map { UInt8(truncatingIfNeeded: $0 &* 11 &+ 7) },
                              salt: (0..<profile.masterSaltLength).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ 9) })
        return (try SRTPSession(profile: profile, sendKey: a, receiveKey: b),
                try SRTPSession(profile: profile, sendKey: b, receiveKey: a))
    }
}
