@testable import SRTP
import Testing

@Suite struct SRTPTests {
    /// An RTP packet: V=2, PT 96, the given sequence number, SSRC 0x11223344, payload bytes.
    static func rtp(seq: UInt16, payload: Int = 160, fill: UInt8 = 0xAB, ssrc: UInt32 = 0x1122_3344) -> [UInt8] {
        var p: [UInt8] = [0x80, 96, UInt8(seq >> 8), UInt8(seq & 0xFF), 0, 0, 0x10, 0x00,
                          UInt8(ssrc >> 24), UInt8((ssrc >> 16) & 0xFF), UInt8((ssrc >> 8) & 0xFF), UInt8(ssrc & 0xFF)]
        p.append(contentsOf: repeatElement(fill, count: payload))
        return p
    }

    /// A receiver report with one report block (RFC 3550 §6.4.2).
    static func rtcpReceiverReport() -> [UInt8] {
        [0x81, 201, 0x00, 0x07, 0x11, 0x22, 0x33, 0x44,
         0xCA, 0xFE, 0xBA, 0xBE, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x12, 0x34,
         0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]
    }

    static func key(_ profile: SRTPProfile, seed: UInt8) -> SRTPMasterKey {
        SRTPMasterKey(key: (0..<profile.masterKeyLength).map { UInt8(truncatingIfNeeded: Int(seed) &* 7 &+ $0) },
                      salt: (0..<profile.masterSaltLength).map { UInt8(truncatingIfNeeded: Int(seed) &* 13 &+ $0 &* 3) })
    }

    /// Alice sends to Bob: Alice's send key is Bob's receive key, and the other way round.
    static func pair(_ profile: SRTPProfile) throws -> (alice: SRTPSession, bob: SRTPSession) {
        let a = key(profile, seed: 1), b = key(profile, seed: 2)
        return (try SRTPSession(profile: profile, sendKey: a, receiveKey: b),
                try SRTPSession(profile: profile, sendKey: b, receiveKey: a))
    }

    // MARK: Known answers from libsrtp's test/srtp_driver.c

    /// srtp_validate(): AES_CM_128_HMAC_SHA1_80, SSRC 0xcafebabe, seq 0x1234.
    @Test func knownAnswerAESCM128HmacSha1_80() throws {
        let testKey: [UInt8] = [0xe1, 0xf9, 0x7a, 0x0d, 0x3e, 0x01, 0x8b, 0xe0, 0xd6, 0x4f, 0xa3, 0x2c, 0x06, 0xde, 0x41, 0x39,
                                0x0e, 0xc6, 0x75, 0xad, 0x49, 0x8a, 0xfe, 0xeb, 0xb6, 0x96, 0x0b, 0x3a, 0xab, 0xe6]
        let plaintext: [UInt8] = [0x80, 0x0f, 0x12, 0x34, 0xde, 0xca, 0xfb, 0xad, 0xca, 0xfe, 0xba, 0xbe]
            + [UInt8](repeating: 0xab, count: 16)
        let ciphertext: [UInt8] = [0x80, 0x0f, 0x12, 0x34, 0xde, 0xca, 0xfb, 0xad, 0xca, 0xfe, 0xba, 0xbe,
                                   0x4e, 0x55, 0xdc, 0x4c, 0xe7, 0x99, 0x78, 0xd8, 0x8c, 0xa4, 0xd2, 0x15,
                                   0x94, 0x9d, 0x24, 0x02, 0xb7, 0x8d, 0x6a, 0xcc, 0x99, 0xea, 0x17, 0x9b, 0x8d, 0xbb]
        let k = SRTPMasterKey(key: Array(testKey[0..<16]), salt: Array(testKey[16..<30]))
        let session = try SRTPSession(profile: .aesCM128HmacSha1_80, sendKey: k, receiveKey: k)
        var packet = plaintext
        try session.protectRTP(&packet)
        #expect(packet == ciphertext)
        var received = ciphertext
        try session.unprotectRTP(&received)
        #expect(received == plaintext)
    }

    /// srtp_validate_gcm(): AEAD_AES_128_GCM with 16-byte tags, RTP and RTCP (SRTCP index 1).
    @Test func knownAnswerAEADAES128GCM() throws {
        let testKey: [UInt8] = [0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
                                0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab]
        let rtpPlain: [UInt8] = [0x80, 0x0f, 0x12, 0x34, 0xde, 0xca, 0xfb, 0xad, 0xca, 0xfe, 0xba, 0xbe]
            + [UInt8](repeating: 0xab, count: 16)
        let srtp: [UInt8] = [0x80, 0x0f, 0x12, 0x34, 0xde, 0xca, 0xfb, 0xad, 0xca, 0xfe, 0xba, 0xbe,
                             0xc5, 0x00, 0x2e, 0xde, 0x04, 0xcf, 0xdd, 0x2e, 0xb9, 0x11, 0x59, 0xe0,
                             0x88, 0x0a, 0xa0, 0x6e, 0xd2, 0x97, 0x68, 0x26, 0xf7, 0x96, 0xb2, 0x01,
                             0xdf, 0x31, 0x31, 0xa1, 0x27, 0xe8, 0xa3, 0x92]
        let rtcpPlain: [UInt8] = [0x81, 0xc8, 0x00, 0x0b, 0xca, 0xfe, 0xba, 0xbe]
            + [UInt8](repeating: 0xab, count: 16)
        let srtcp: [UInt8] = [0x81, 0xc8, 0x00, 0x0b, 0xca, 0xfe, 0xba, 0xbe,
                              0xc9, 0x8b, 0x8b, 0x5d, 0xf0, 0x39, 0x2a, 0x55, 0x85, 0x2b, 0x6c, 0x21,
                              0xac, 0x8e, 0x70, 0x25, 0xc5, 0x2c, 0x6f, 0xbe, 0xa2, 0xb3, 0xb4, 0x46,
                              0xea, 0x31, 0x12, 0x3b, 0xa8, 0x8c, 0xe6, 0x1e, 0x80, 0x00, 0x00, 0x01]
        let k = SRTPMasterKey(key: Array(testKey[0..<16]), salt: Array(testKey[16..<28]))
        let session = try SRTPSession(profile: .aeadAes128Gcm, sendKey: k, receiveKey: k)
        var packet = rtpPlain
        try session.protectRTP(&packet)
        #expect(packet == srtp)
        var report = rtcpPlain
        try session.protectRTCP(&report)
        #expect(report == srtcp)
        var received = srtp
        try session.unprotectRTP(&received)
        #expect(received == rtpPlain)
        var receivedReport = srtcp
        try session.unprotectRTCP(&receivedReport)
        #expect(receivedReport == rtcpPlain)
    }

    // MARK: Round trips

    @Test(arguments: SRTPProfile.allCases)
    func rtpRoundTrip(profile: SRTPProfile) throws {
        let (alice, bob) = try Self.pair(profile)
        for seq in UInt16(1000)..<1010 {
            let plain = Self.rtp(seq: seq, payload: 100 + Int(seq % 7))
            var packet = plain
            try alice.protectRTP(&packet)
            #expect(packet.count == plain.count + profile.rtpAuthTagLength)
            #expect(packet[0..<12] == plain[0..<12])  // the header stays in the clear
            #expect(packet[12..<plain.count] != plain[12...])  // the payload does not
            try bob.unprotectRTP(&packet)
            #expect(packet == plain)
        }
        // And the other direction, with the other key.
        var back = Self.rtp(seq: 7)
        try bob.protectRTP(&back)
        try alice.unprotectRTP(&back)
        #expect(back == Self.rtp(seq: 7))
    }

    @Test(arguments: SRTPProfile.allCases)
    func rtcpRoundTrip(profile: SRTPProfile) throws {
        let (alice, bob) = try Self.pair(profile)
        for _ in 0..<3 {
            let plain = Self.rtcpReceiverReport()
            var packet = plain
            try alice.protectRTCP(&packet)
            // E flag + 31-bit SRTCP index, then the tag (RFC 3711 §3.4).
            #expect(packet.count == plain.count + 4 + profile.rtpAuthTagLength)
            try bob.unprotectRTCP(&packet)
            #expect(packet == plain)
        }
    }

    @Test(arguments: SRTPProfile.allCases)
    func aSessionCannotReadItsOwnDirection(profile: SRTPProfile) throws {
        let (alice, _) = try Self.pair(profile)
        var packet = Self.rtp(seq: 1)
        try alice.protectRTP(&packet)
        #expect(throws: SRTPError.authFail) { try alice.unprotectRTP(&packet) }
    }

    // MARK: Integrity and replay

    @Test(arguments: SRTPProfile.allCases)
    func tamperedPayloadOrTagFailsAuthentication(profile: SRTPProfile) throws {
        let (alice, bob) = try Self.pair(profile)
        var protected = Self.rtp(seq: 5)
        try alice.protectRTP(&protected)
        for index in [1, 12, 40, protected.count - 1] {
            var tampered = protected
            tampered[index] ^= 0x01
            #expect(throws: SRTPError.authFail) { try bob.unprotectRTP(&tampered) }
        }
        var rtcp = Self.rtcpReceiverReport()
        try alice.protectRTCP(&rtcp)
        rtcp[10] ^= 0x80
        #expect(throws: SRTPError.authFail) { try bob.unprotectRTCP(&rtcp) }
        // The untouched packet still passes: the failures above were not replays.
        try bob.unprotectRTP(&protected)
        #expect(protected == Self.rtp(seq: 5))
    }

    @Test(arguments: SRTPProfile.allCases)
    func replayedPacketsAreRejected(profile: SRTPProfile) throws {
        let (alice, bob) = try Self.pair(profile)
        // Protected first (the sender keeps its own window too), delivered last.
        var old = Self.rtp(seq: 500)
        try alice.protectRTP(&old)
        var packet = Self.rtp(seq: 2000)
        try alice.protectRTP(&packet)
        var first = packet
        try bob.unprotectRTP(&first)
        var again = packet
        #expect(throws: SRTPError.replayFail) { try bob.unprotectRTP(&again) }

        // Older than the 1024-packet window behind the highest index seen.
        var newest = Self.rtp(seq: 3000)
        try alice.protectRTP(&newest)
        try bob.unprotectRTP(&newest)
        #expect(throws: SRTPError.replayOld) { try bob.unprotectRTP(&old) }

        var rtcp = Self.rtcpReceiverReport()
        try alice.protectRTCP(&rtcp)
        var rtcpCopy = rtcp
        try bob.unprotectRTCP(&rtcp)
        #expect(throws: SRTPError.replayFail) { try bob.unprotectRTCP(&rtcpCopy) }
    }

    /// allow_repeat_tx: re-protecting the identical packet (a NACK resend) succeeds and yields
    /// the identical SRTP packet; the receiver accepts it once.
    @Test func resendingTheSamePacketIsAllowedOnTheSendSide() throws {
        let (alice, bob) = try Self.pair(.aesCM128HmacSha1_80)
        var first = Self.rtp(seq: 42)
        try alice.protectRTP(&first)
        var later = Self.rtp(seq: 43)
        try alice.protectRTP(&later)
        var resend = Self.rtp(seq: 42)
        try alice.protectRTP(&resend)
        #expect(resend == first)
        try bob.unprotectRTP(&resend)
        #expect(resend == Self.rtp(seq: 42))
    }

    // MARK: Buffers and bad input

    @Test(arguments: SRTPProfile.allCases)
    func aReusedBufferNeverReallocates(profile: SRTPProfile) throws {
        let (alice, bob) = try Self.pair(profile)
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1200 + SRTPSession.maximumOverhead)
        let capacity = buffer.capacity
        let base = buffer.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) }
        for i in 0..<1000 {
            let seq = UInt16(i)
            // Refill in place, as a packetizer writing into its reusable buffer would.
            buffer.removeAll(keepingCapacity: true)
            buffer.append(contentsOf: [0x80, 96, UInt8(seq >> 8), UInt8(seq & 0xFF), 0, 0, 0, 0, 1, 2, 3, 4])
            buffer.append(contentsOf: repeatElement(UInt8(truncatingIfNeeded: i), count: 1000 + i % 188))
            try alice.protectRTP(&buffer)
            try bob.unprotectRTP(&buffer)
            #expect(buffer.count == 12 + 1000 + i % 188)
        }
        for _ in 0..<10 {
            buffer.removeAll(keepingCapacity: true)
            buffer.append(contentsOf: Self.rtcpReceiverReport())
            try alice.protectRTCP(&buffer)
            try bob.unprotectRTCP(&buffer)
        }
        #expect(buffer.capacity == capacity)
        #expect(buffer.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) } == base)
    }

    @Test func shortAndGarbagePacketsThrowInsteadOfTrapping() throws {
        let (alice, bob) = try Self.pair(.aeadAes128Gcm)
        var empty: [UInt8] = []
        #expect(throws: SRTPError.packetTooShort) { try alice.protectRTP(&empty) }
        #expect(throws: SRTPError.packetTooShort) { try bob.unprotectRTP(&empty) }
        #expect(throws: SRTPError.packetTooShort) { try alice.protectRTCP(&empty) }
        #expect(throws: SRTPError.packetTooShort) { try bob.unprotectRTCP(&empty) }
        var generator = SRTPTestRandom(seed: 0x5EED)
        for length in [12, 13, 20, 28, 29, 100, 1200] {
            for _ in 0..<20 {
                var junk = (0..<length).map { _ in generator.nextByte() }
                junk[0] = 0x80 | (junk[0] & 0x3F)
                var copy = junk
                #expect(throws: SRTPError.self) { try bob.unprotectRTP(&junk) }
                #expect(throws: SRTPError.self) { try bob.unprotectRTCP(&copy) }
            }
        }
        // A header claiming more CSRCs/extension than the packet holds.
        var lying: [UInt8] = [0x9F, 96, 0, 1, 0, 0, 0, 0, 1, 2, 3, 4, 0xBE, 0xDE, 0xFF, 0xFF]
        #expect(throws: SRTPError.self) { try alice.protectRTP(&lying) }
        var huge = [UInt8](repeating: 0x80, count: SRTPSession.maximumPacketLength + 1)
        #expect(throws: SRTPError.packetTooLong) { try alice.protectRTP(&huge) }
    }

    @Test func wrongKeyLengthsAreRejected() {
        let short = SRTPMasterKey(key: [UInt8](repeating: 1, count: 15), salt: [UInt8](repeating: 2, count: 14))
        let good = Self.key(.aesCM128HmacSha1_80, seed: 3)
        #expect(throws: SRTPError.invalidKeyLength(expected: 16, actual: 15)) {
            try SRTPSession(profile: .aesCM128HmacSha1_80, sendKey: short, receiveKey: good)
        }
        // A 14-byte AES-CM salt is one too many for GCM's 12.
        let gcmKey = SRTPMasterKey(key: good.key, salt: good.salt)
        #expect(throws: SRTPError.invalidKeyLength(expected: 12, actual: 14)) {
            try SRTPSession(profile: .aeadAes128Gcm, sendKey: gcmKey, receiveKey: gcmKey)
        }
    }

    /// RFC 5764 §4.2: client key, server key, client salt, server salt.
    @Test(arguments: SRTPProfile.allCases)
    func exportedKeyingMaterialSplitsPerRFC5764(profile: SRTPProfile) throws {
        let k = profile.masterKeyLength, s = profile.masterSaltLength
        let exported = (0..<(2 * (k + s))).map { UInt8($0) }
        let material = try SRTPKeyingMaterial(profile: profile, exported: exported)
        #expect(material.client.key == Array(exported[0..<k]))
        #expect(material.server.key == Array(exported[k..<(2 * k)]))
        #expect(material.client.salt == Array(exported[(2 * k)..<(2 * k + s)]))
        #expect(material.server.salt == Array(exported[(2 * k + s)...]))
        #expect(throws: SRTPError.self) { try SRTPKeyingMaterial(profile: profile, exported: Array(exported.dropLast())) }
        #expect(material.description.contains("redacted"))
        #expect(material.client.description == "SRTPMasterKey(\(k)+\(s) bytes, redacted)")
    }
}

/// A tiny deterministic generator (xorshift64*) so failures reproduce.
struct SRTPTestRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed | 1 }
    mutating func nextByte() -> UInt8 {
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        return UInt8(truncatingIfNeeded: (state &* 2_685_821_657_736_338_717) >> 56)
    }
}
