import CMallocCounter
import Codecs
import DTLS
import FEC
import ICE
import Foundation
import Media
import NetEmulator
import RTP
import RTPStreams
import SessionCore
import SessionPeer
import SRTP
import Testing

/// Heap allocations per operation on the packet and frame paths, against the thresholds
/// checked in beside this file (`AllocationThresholds.json`, swift-nio style). Allocation
/// counts are deterministic, so this is a test, not a timing: a count above its threshold
/// fails; one below it is reported so the threshold can come down. The counts are the debug
/// build's (what `make test` runs), far above the release build's (`make bench`: about 6 per
/// datagram); they guard against growth, they are not the shipped figure.
@Suite(.serialized) struct AllocationTests {
    static let thresholds: [String: Int] = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("AllocationThresholds.json")
        guard let data = try? Data(contentsOf: url),
              let json = try? JSONSerialization.jsonObject(with: data) as? [String: Int] else { return [:] }
        return json
    }()

    /// Allocations made by this thread while `body` runs.
    static func count(_ body: () throws -> Void) rethrows -> Int {
        kiosk_malloc_counter_start()
        defer { _ = kiosk_malloc_counter_stop() }
        try body()
        return Int(kiosk_malloc_counter_stop())
    }

    static func check(_ name: String, _ measured: Int, sourceLocation: SourceLocation = #_sourceLocation) {
        guard let limit = thresholds[name] else {
            Issue.record("no threshold for \(name) (measured \(measured))", sourceLocation: sourceLocation)
            return
        }
        #expect(measured <= limit, "\(name): \(measured) allocations, threshold \(limit)", sourceLocation: sourceLocation)
        if measured < limit { print("allocations: \(name) = \(measured), below its threshold \(limit): lower it") }
    }

    @Test func theCounterIsInstalled() {
        #expect(kiosk_malloc_counter_installed() == 1)
        let n = Self.count { _ = [UInt8](repeating: 1, count: 1000).withUnsafeBytes { $0.count } }
        #expect(n == 1, "one array, one allocation")
    }

    /// The audio playout path as its thread runs it: a packet into the playout buffer (as
    /// the engine hands it over), one 20 ms frame pulled, decoded by Opus into the reused
    /// PCM buffer, one packet in ten lost and concealed. The buffer's ring and the decoder's
    /// PCM are reused: nothing per frame once warm.
    @Test func audioPlayoutPath() throws {
        let encoder = try OpusEncoder(channels: 1, bitrate: 32_000)
        var packets: [[UInt8]] = []
        var out: [UInt8] = []
        for k in 0..<50 {
            let pcm = (0..<960).map { i in Int16(6_000 * sin(2 * Double.pi * 440 * Double(k * 960 + i) / 48_000)) }
            let n = try pcm.withUnsafeBufferPointer { (p) throws(CodecError) -> Int in try encoder.encode(p, into: &out) }
            packets.append(Array(out[0..<n]))
        }
        var buffer = AudioPlayoutBuffer()
        let receiver = try OpusReceiver()
        var payload: [UInt8] = []
        payload.reserveCapacity(1500)
        var played = 0
        func frame(_ i: Int) {
            let p = packets[i % packets.count]
            if i % 10 != 5 {
                p.withUnsafeBytes { buffer.push($0, timestamp: UInt32(truncatingIfNeeded: i * 960), frameTicks: 960, fec: false) }
            }
            receiver.playFrame(buffer.pull(into: &payload), packet: payload) { played += $0.count }
        }
        for i in 0..<200 { frame(i) }  // every ring slot and the PCM buffer grown
        let n = Self.count { for i in 200..<1200 { frame(i) } }
        #expect(receiver.counters.concealedPackets == 120 && played == 1200 * 960)
        Self.check("audio-playout-1000-frames", n)
    }

    /// The video send stream's config as the peer builds it: mid and transport-wide sequence
    /// extensions, an RTX stream (`rtx` its payload type).
    static func sendConfig(maxPayloadSize: Int, rtx: UInt8) -> RTPSendStream.Config {
        let clock = NTPClock(ntpAtZero: NTPTimestamp(seconds: 3_900_000_000, fraction: 0))
        var config = RTPSendStream.Config(ssrc: 1, payloadType: 96, format: .vp8(maxPayloadSize: maxPayloadSize), cname: "c", ntpClock: clock)
        config.mid = "1"
        config.midExtensionID = 1
        config.transportSequenceExtensionID = 3
        config.rtx = RTPSendStream.RTX(ssrc: 2, payloadType: rtx)
        return config
    }

    /// A send stream as the peer configures it (mid and transport-wide sequence extensions, an
    /// RTX stream): one 11.4 kB VP8 frame → 10 packets, polled out of its own buffer, and a
    /// NACKed one resent on RTX. The packets allocate nothing; each NACK answered costs one
    /// allocation in the debug build (100 of 100).
    @Test func rtpSendStreamFrameToPackets() throws {
        var stream = RTPSendStream(config: Self.sendConfig(maxPayloadSize: 1140, rtx: 97))
        let nack = RTCPPacket.nack(RTCPNack(senderSSRC: 9, mediaSSRC: 1, lost: [5]))
        let frame: [UInt8] = [0x11] + [UInt8](repeating: 7, count: 11_400)
        var now = Instant.zero
        func sendOne(_ i: Int) throws {
            now = now + .milliseconds(33)
            try frame.withUnsafeBytes { try stream.sendFrame($0, rtpTimestamp: UInt32(i * 3000), at: now) }
            while stream.poll() != nil {}
            stream.handleRTCP(nack, at: now)
            while stream.poll() != nil {}
        }
        for i in 0..<20 { try sendOne(i) }  // warm the ring and buffers
        let n = try Self.count { for i in 20..<120 { try sendOne(i) } }
        Self.check("rtp-send-stream-100-frames", n)
    }

    /// The same stream sending as RED with parity for 30 % of its packets (a 100 ms path
    /// with 10 % loss): the parity is written in reused buffers too.
    @Test func rtpSendStreamWithParity() throws {
        var config = Self.sendConfig(maxPayloadSize: 1112, rtx: 117)
        config.fec = RTPSendStream.FEC(redPayloadType: 116, ulpfecPayloadType: 118)
        var stream = RTPSendStream(config: config)
        stream.fecProtection = 0.3
        let frame: [UInt8] = [0x11] + [UInt8](repeating: 7, count: 11_400)
        var now = Instant.zero
        func sendOne(_ i: Int) throws {
            now = now + .milliseconds(33)
            try frame.withUnsafeBytes { try stream.sendFrame($0, rtpTimestamp: UInt32(i * 3000), at: now) }
            while stream.poll() != nil {}
        }
        for i in 0..<20 { try sendOne(i) }
        let n = try Self.count { for i in 20..<120 { try sendOne(i) } }
        // 11 packets a frame, round(11 × 0.3) = 3 parity packets after each.
        #expect(stream.statistics.fecPacketsSent == 120 * 3)
        Self.check("rtp-send-stream-parity-100-frames", n)
    }

    /// A video receive stream with RED and ULPFEC as Chromium sends them: 100 frames of 3
    /// packets inside RED, one parity packet after each, one packet in two frames lost and
    /// rebuilt from the parity. Frames are handed back for reuse, as the peer does once its
    /// decoder is done; what remains is the debug build's per-packet overhead.
    @Test func fecReceivePath() throws {
        var config = RTPReceiveStream.Config(kind: .video, remoteSSRC: 7, localSSRC: 1, cname: "c")
        config.payloadType = 96
        config.redPayloadType = 116
        config.ulpfecPayloadType = 118
        var stream = RTPReceiveStream(config: config)
        var seq: UInt16 = 0
        var packets: [[UInt8]] = []
        var parity: [UInt8] = []
        func frame(_ i: Int) -> [[UInt8]] {
            packets.removeAll(keepingCapacity: true)
            for k in 0..<3 {
                var p: [UInt8] = [0x80, k == 2 ? 0x80 | 96 : 96, UInt8(seq >> 8), UInt8(truncatingIfNeeded: seq), 0, 0, 0, UInt8(truncatingIfNeeded: i), 0, 0, 0, 7]
                // VP8 descriptor: S bit and partition 0 on the first packet; a keyframe every 50.
                p += [k == 0 ? 0x10 : 0x00, (k == 0 && i % 50 == 0) ? 0x50 : 0x51] + [UInt8](repeating: UInt8(truncatingIfNeeded: i), count: 900)
                packets.append(p)
                seq &+= 1
            }
            parity.removeAll(keepingCapacity: true)
            let base = seq &- 3
            ULPFECEncoder.write(base: base, mask: 0b111, packet: { k in
                packets[k].withUnsafeBytes { UnsafeRawBufferPointer(start: $0.baseAddress, count: $0.count) }
            }, into: &parity)
            var out = packets.map { p -> [UInt8] in
                var r = Array(p[0..<12])
                r[1] = r[1] & 0x80 | 116
                return r + [96] + p[12...]
            }
            out.append([UInt8]([0x80, 116, UInt8(seq >> 8), UInt8(truncatingIfNeeded: seq), 0, 0, 0, UInt8(truncatingIfNeeded: i), 0, 0, 0, 7, 118]) + parity)
            seq &+= 1
            if i % 2 == 1 { out.remove(at: 1) }
            return out
        }
        let all = (0..<120).map { frame($0) }
        var now = Instant.zero
        func receive(_ i: Int) throws {
            now = now + .milliseconds(33)
            for p in all[i] { try p.withUnsafeBytes { try stream.handle(packet: $0, at: now) } }
            while let o = stream.poll() {
                if case .frame(let f) = o { stream.recycle(f.data) }
            }
        }
        for i in 0..<20 { try receive(i) }
        let n = try Self.count { for i in 20..<120 { try receive(i) } }
        #expect(stream.statistics.packetsRecoveredByFEC == 60)
        #expect(stream.statistics.framesDelivered == 120)
        Self.check("rtp-receive-stream-fec-100-frames", n)
    }

    /// SRTP protect + unprotect of 100 RTP packets in place (AEAD_AES_128_GCM, kioskd's first
    /// choice): Debian's libsrtp2 allocates inside NSS; the threshold holds it there.
    @Test func srtpProtectAndUnprotect() throws {
        let key = SRTPMasterKey(key: [UInt8](repeating: 3, count: 16), salt: [UInt8](repeating: 5, count: 12))
        let a = try SRTPSession(profile: .aeadAes128Gcm, sendKey: key, receiveKey: key)
        let b = try SRTPSession(profile: .aeadAes128Gcm, sendKey: key, receiveKey: key)
        var packet: [UInt8] = []
        packet.reserveCapacity(1300)
        func one(_ seq: Int) throws {
            packet.removeAll(keepingCapacity: true)
            packet += [0x80, 96, UInt8(seq >> 8 & 0xff), UInt8(seq & 0xff), 0, 0, 0, 1, 0, 0, 0, 9]
            packet += repeatElement(0x42, count: 1100)
            try a.protectRTP(&packet)
            try b.unprotectRTP(&packet)
        }
        for seq in 0..<10 { try one(seq) }
        let n = try Self.count { for seq in 10..<110 { try one(seq) } }
        Self.check("srtp-gcm-protect-unprotect-100-packets", n)
    }

    /// The whole peer, both directions of the packet path (video inside RED, as negotiated with
    /// ULPFEC): A's VP8 frames → packets → SRTP →
    /// transmits, and B's datagrams → SRTP → RTP → jitter buffer → frames handed out. B's
    /// transport-wide feedback about A's packets (a feedback every 100 ms, protected by
    /// libsrtp through NSS) is about 1100 of the receive path's count.
    @Test func peerSendAndReceivePaths() throws {
        let sim = try CallSimulation(net: NetworkEmulator(seed: 21))
        sim.sendMedia = false
        try sim.run(until: .zero + .seconds(1))
        try #require(sim.a.connected && sim.b.connected)
        let frame: [UInt8] = [0x11, 0x9d, 0x01, 0x2a] + [UInt8](repeating: 9, count: 3000)
        let start = sim.now
        var now = sim.now
        var datagrams: [ICETransmit] = []
        var deadline = Instant.never
        func drainA() {
            while let o = sim.a.peer.poll() {
                switch o {
                // RTP only: consent checks come and go with the timers.
                case .transmit(let t) where (128...191).contains(t.bytes.first ?? 0) && !(200...206).contains(t.bytes[1]):
                    datagrams.append(t)
                case .timeout(let t): deadline = t
                default: break
                }
            }
        }
        func send(_ i: Int) {
            now = start + .milliseconds(33 * Int64(i + 1))
            frame.withUnsafeBytes { sim.a.peer.sendVideo($0, rtpTimestamp: UInt32(i * 3000), at: now) }
            drainA()
            // The pacer spreads the frame's packets: its deadlines come before the next frame.
            let next = now + .milliseconds(33)
            while deadline < next {
                now = max(now, deadline)
                sim.a.peer.handleTimeout(at: now)
                drainA()
            }
        }
        func receive(_ batch: [ICETransmit]) {
            for t in batch {
                sim.b.peer.handleDatagram(t.bytes, from: t.from, to: t.to, at: now)
                while sim.b.peer.poll() != nil {}
            }
        }
        for i in 0..<40 { send(i) }  // warm up both sides
        receive(datagrams)
        datagrams.removeAll(keepingCapacity: true)
        datagrams.reserveCapacity(400)
        let sent = Self.count { for i in 40..<140 { send(i) } }
        let batch = datagrams
        let received = Self.count { receive(batch) }
        #expect(batch.count == 300, "100 frames of 3 packets")
        Self.check("peer-send-100-video-frames", sent)
        Self.check("peer-receive-100-video-frames", received)
    }
}
