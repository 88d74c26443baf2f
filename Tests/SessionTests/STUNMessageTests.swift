@testable import ICE
@testable import SessionCore
@testable import STUN
import Testing

@Suite struct STUNMessageTests {
    static let tid = STUNTransactionID(high: 0x0102_0304, low: 0x0506_0708_090A_0B0C)
    static let v4 = TransportAddress(host: "192.0.2.33", port: 40000)!
    static let v6 = TransportAddress(host: "2001:db8::1:2", port: 443)!

    static let everyAttribute: [STUNAttribute] = [
        .software("kioskd"), .mappedAddress(v4), .xorMappedAddress(v4), .xorMappedAddress(v6),
        .username("abcd:efgh"), .errorCode(STUNErrorCode(438, "Stale Nonce")), .unknownAttributes([0x0031, 0x7000]),
        .realm("kiosk"), .nonce("n0nce"), .priority(0x6E00_01FF), .useCandidate, .iceControlled(0x1122_3344_5566_7788),
        .iceControlling(42), .xorRelayedAddress(v6), .xorPeerAddress(v4), .lifetime(600), .requestedTransport(17),
        .data([1, 2, 3, 4, 5]), .channelNumber(0x4001), .unknown(type: 0x8055, value: [9, 9, 9]),
    ]

    @Test func messageTypeBitsInterleave() {
        #expect(STUNMessageType.bindingRequest.rawValue == 0x0001)
        #expect(STUNMessageType.bindingSuccess.rawValue == 0x0101)
        #expect(STUNMessageType.bindingError.rawValue == 0x0111)
        #expect(STUNMessageType(.allocate, .request).rawValue == 0x0003)
        #expect(STUNMessageType(.send, .indication).rawValue == 0x0016)
        #expect(STUNMessageType(.data, .indication).rawValue == 0x0017)
        #expect(STUNMessageType(.channelBind, .errorResponse).rawValue == 0x0119)
        for raw in UInt16(0)..<0x4000 { #expect(STUNMessageType(rawValue: raw)?.rawValue == raw) }
        #expect(STUNMessageType(rawValue: 0x8001) == nil)
    }

    @Test func everyAttributeRoundTrips() throws {
        let m = STUNMessage(type: .bindingRequest, transactionID: Self.tid, attributes: Self.everyAttribute)
        let key = STUNKey.shortTerm(password: "secret")
        let bytes = m.encode(integrityKey: key, fingerprint: true)
        #expect(bytes.count % 4 == 0)
        let parsed = try STUNMessage.parse(bytes)
        #expect(Array(parsed.attributes.dropLast(2)) == Self.everyAttribute)
        #expect(parsed.verifyIntegrity(key: key))
        #expect(!parsed.verifyIntegrity(key: STUNKey.shortTerm(password: "Secret")))
        #expect(parsed.unknownComprehensionRequired.isEmpty) // 0x8055 is comprehension-optional
        #expect(parsed.dataRange.map { Array(bytes[$0]) } == [1, 2, 3, 4, 5])
    }

    @Test func integrityWithoutFingerprintAndTheReverse() throws {
        let m = STUNMessage(type: .bindingSuccess, transactionID: Self.tid, attributes: [.xorMappedAddress(Self.v6)])
        let key = [UInt8](repeating: 7, count: 16)
        let onlyMI = try STUNMessage.parse(m.encode(integrityKey: key))
        #expect(onlyMI.verifyIntegrity(key: key))
        #expect(onlyMI.fingerprint == nil)
        let onlyFP = try STUNMessage.parse(m.encode(fingerprint: true))
        #expect(onlyFP.messageIntegrity == nil)
        #expect(!onlyFP.verifyIntegrity(key: key))
    }

    @Test func attributesAfterIntegrityAreIgnoredButFingerprintAfterIsChecked() throws {
        // Build "…MI, SOFTWARE" by hand: SOFTWARE after MESSAGE-INTEGRITY must be ignored.
        let key = STUNKey.shortTerm(password: "pw")
        var bytes = STUNMessage(type: .bindingRequest, transactionID: Self.tid, attributes: [.username("a:b")])
            .encode(integrityKey: key)
        bytes += [0x80, 0x22, 0x00, 0x04, 0x61, 0x62, 0x63, 0x64]
        bytes.setU16(UInt16(bytes.count - 20), at: 2)
        let m = try STUNMessage.parse(bytes)
        #expect(m.software == nil)
        #expect(m.verifyIntegrity(key: key)) // §14.5: the length adjustment covers this case
    }

    @Test func unknownComprehensionRequiredIsReported() throws {
        let m = STUNMessage(type: .bindingRequest, transactionID: Self.tid,
                            attributes: [.unknown(type: 0x0031, value: [1]), .unknown(type: 0xC000, value: [])])
        #expect(try STUNMessage.parse(m.encode()).unknownComprehensionRequired == [0x0031])
    }

    @Test func demultiplexing() {
        let stun = STUNMessage(type: .bindingRequest, transactionID: Self.tid).encode()
        #expect(STUNMessage.isSTUN(stun))
        #expect(!STUNMessage.isSTUN(Array(stun.prefix(19))))
        var dtls = stun
        dtls[0] = 22 // a DTLS handshake record
        #expect(!STUNMessage.isSTUN(dtls))
        var rtp = stun
        rtp[0] = 0x80
        #expect(!STUNMessage.isSTUN(rtp))
        var noCookie = stun
        noCookie[5] = 0
        #expect(!STUNMessage.isSTUN(noCookie))
        #expect(STUNMessage.isSTUN([0xFF] + stun, range: 1..<(stun.count + 1)))
    }

    @Test func typedErrorsForBadHeaders() {
        let good = STUNMessage(type: .bindingRequest, transactionID: Self.tid, attributes: [.priority(1)]).encode()
        #expect(throws: STUNError.tooShort) { try STUNMessage.parse(Array(good.prefix(10))) }
        var c = good; c[4] = 0
        #expect(throws: STUNError.notSTUN) { try STUNMessage.parse(c) }
        var b = good; b[0] = 0xC0
        #expect(throws: STUNError.notSTUN) { try STUNMessage.parse(b) }
        #expect(throws: STUNError.badLength) { try STUNMessage.parse(good + [0, 0, 0, 0]) }
        var l = good; l[3] = 5
        #expect(throws: STUNError.badLength) { try STUNMessage.parse(l) }
        // Attribute claims 8 bytes where 4 remain.
        var t = good; t[23] = 8
        #expect(throws: STUNError.truncatedAttribute(type: STUNAttributeType.priority)) { try STUNMessage.parse(t) }
        // PRIORITY with 2 bytes (+2 padding).
        var m = good; m[23] = 2
        #expect(throws: STUNError.malformedAttribute(type: STUNAttributeType.priority)) { try STUNMessage.parse(m) }
    }

    @Test func typedErrorsForBadValues() {
        func message(_ type: UInt16, _ value: [UInt8]) -> [UInt8] {
            var out = STUNMessage(type: .bindingRequest, transactionID: Self.tid).encode()
            out.appendU16(type); out.appendU16(UInt16(value.count)); out += value
            while out.count % 4 != 0 { out.append(0) }
            out.setU16(UInt16(out.count - 20), at: 2)
            return out
        }
        #expect(throws: STUNError.malformedAttribute(type: 0x0020)) { try STUNMessage.parse(message(0x0020, [0, 3, 0, 1, 1, 2, 3, 4])) }
        #expect(throws: STUNError.malformedAttribute(type: 0x0020)) { try STUNMessage.parse(message(0x0020, [0, 2, 0, 1, 1, 2, 3, 4])) }
        #expect(throws: STUNError.invalidText(type: 0x0006)) { try STUNMessage.parse(message(0x0006, [0xFF, 0xFE])) }
        #expect(throws: STUNError.invalidText(type: 0x0006)) { try STUNMessage.parse(message(0x0006, [UInt8](repeating: 0x61, count: 600))) }
        #expect(throws: STUNError.malformedAttribute(type: 0x0009)) { try STUNMessage.parse(message(0x0009, [0, 0, 7, 1])) }
        #expect(throws: STUNError.malformedAttribute(type: 0x0009)) { try STUNMessage.parse(message(0x0009, [0, 0])) }
        #expect(throws: STUNError.malformedAttribute(type: 0x000A)) { try STUNMessage.parse(message(0x000A, [0, 1, 2])) }
        #expect(throws: STUNError.malformedAttribute(type: 0x0025)) { try STUNMessage.parse(message(0x0025, [1])) }
        #expect(throws: STUNError.malformedAttribute(type: 0x8028)) { try STUNMessage.parse(message(0x8028, [1, 2])) }
        let fp = STUNMessage(type: .bindingRequest, transactionID: Self.tid).encode(fingerprint: true)
        var after = fp + [0x80, 0x22, 0, 0]
        after.setU16(UInt16(after.count - 20), at: 2)
        #expect(throws: STUNError.self) { try STUNMessage.parse(after) }
    }

    /// Every prefix and every single-byte corruption of a full message parses or throws a
    /// `STUNError`; none traps. Then seeded random garbage, some of it with a valid header.
    @Test func truncationsCorruptionsAndGarbageNeverTrap() {
        let full = STUNMessage(type: .bindingRequest, transactionID: Self.tid, attributes: Self.everyAttribute)
            .encode(integrityKey: [1, 2, 3], fingerprint: true)
        var outcomes = 0
        for n in 0...full.count {
            do { _ = try STUNMessage.parse(Array(full.prefix(n))); outcomes += 1 } catch { outcomes += 1 }
        }
        for i in full.indices {
            for flip: UInt8 in [0x01, 0x80, 0xFF] {
                var c = full
                c[i] ^= flip
                do { _ = try STUNMessage.parse(c) } catch {}
            }
        }
        var rng = STUNRandom(seed: 7)
        for _ in 0..<20_000 {
            let n = Int(rng.next() % 120)
            var bytes = (0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            if n >= 20, rng.next() % 2 == 0 {
                bytes[0] = 0; bytes[1] = 1
                bytes.setU16(UInt16(n - 20) & ~3, at: 2)
                bytes.setU32(STUNMessage.magicCookie, at: 4)
            }
            _ = try? STUNMessage.parse(bytes)
            _ = try? TURNChannelData.parse(bytes)
        }
        #expect(outcomes == full.count + 1)
        // Out-of-bounds ranges are errors too.
        #expect(throws: STUNError.tooShort) { try STUNMessage.parse(full, range: 10..<(full.count + 5)) }
    }

    @Test func retransmitScheduleFollowsRFC8489() {
        // RFC 8489 §6.2.1 example: RTO 500 ms, Rc 7 → sends at 0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5; fail at 39.5.
        var timer = STUNRetransmitTimer(policy: .rfc8489, sentAt: .zero)
        var sends: [Int64] = [0]
        var t = Instant.zero
        while true {
            t = timer.deadline
            let step = timer.step(at: t)
            if step == .timedOut { break }
            #expect(step == .retransmit)
            sends.append(t.milliseconds)
        }
        #expect(sends == [0, 500, 1500, 3500, 7500, 15500, 31500])
        #expect(t.milliseconds == 39500) // the last wait is Rm·RTO = 16 × 500 ms
        // The checks policy caps the interval: 0, .5, 1.5, 3.1, 4.7, 6.3, 7.9, failed at 9.5 s.
        var checks = STUNRetransmitTimer(policy: .checks, sentAt: .zero)
        var last = Instant.zero
        var count = 1
        while true {
            last = checks.deadline
            if checks.step(at: last) == .timedOut { break }
            count += 1
        }
        #expect(count == 7)
        #expect(last.milliseconds == 9500)
    }
}
