@testable import MDNS
import SessionCore
import Testing

/// DNS messages as Multicast DNS carries them, and the responder for the kiosk's
/// host-candidate names (RFC 6762, draft-ietf-mmusic-mdns-ice-candidates).
struct DNSMessageTests {
    static let name = "0a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d.local"

    /// A query written by hand as a resolver sends it: one question with a compression
    /// pointer in the second (the same name, type ANY), a known answer after them.
    static func handWrittenQuery() -> [UInt8] {
        var q: [UInt8] = [0x12, 0x34, 0, 0, 0, 2, 0, 1, 0, 0, 0, 0]
        for label in name.split(separator: ".") {
            q.append(UInt8(label.utf8.count))
            q += Array(label.utf8)
        }
        q += [0, 0, 1, 0x80, 1]          // A, IN with the QU bit
        q += [0xC0, 12, 0, 255, 0, 1]    // pointer to the first name, ANY, IN
        q += [0xC0, 12, 0, 1, 0x80, 1, 0, 0, 0, 120, 0, 4, 10, 0, 0, 2]
        return q
    }

    @Test func aHandWrittenQueryIsRead() throws {
        let m = try DNSMessage.parse(Self.handWrittenQuery())
        #expect(m.id == 0x1234 && !m.isResponse && m.opcode == 0)
        #expect(m.questions == [
            .init(name: Self.name, type: DNSMessage.typeA, unicastResponse: true),
            .init(name: Self.name, type: DNSMessage.typeANY),
        ])
        #expect(m.answers.count == 1)
        #expect(m.answers[0].address == .v4(0x0A00_0002) && m.answers[0].ttl == 120 && m.answers[0].cacheFlush)
    }

    @Test func namesAreComparedInLowercase() throws {
        var upper = Self.handWrittenQuery()
        upper[14] = UInt8(ascii: "A") // "0a1b…" → "0A1b…"
        #expect(try DNSMessage.parse(upper).questions[0].name == Self.name)
    }

    @Test func whatIsWrittenReadsBack() throws {
        let m = DNSMessage(id: 7, flags: DNSMessage.responseFlags, questions: [.init(name: Self.name, type: DNSMessage.typeAAAA)],
                           answers: [.address(Self.name, .v6(0x2001_0db8_0000_0001, 0x42), ttl: 10)])
        let back = try DNSMessage.parse(m.encoded())
        #expect(back == m)
        #expect(back.answers[0].address == .v6(0x2001_0db8_0000_0001, 0x42))
    }

    @Test(arguments: [
        ([UInt8](repeating: 0, count: 11), DNSMessageError.truncated("header")),
        ([0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 5, 0x61], .truncated("name")),
        ([0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1], .truncated("question")),
        ([0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0x41, 0x61], .badLabel),
        // A pointer to itself, and one that points forward: neither may be followed.
        ([0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 12, 0, 1, 0, 1], .badName),
        ([0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 14, 1, 0x61, 0, 0, 1, 0, 1], .badName),
        ([0, 0, 0, 0, 0, 65, 0, 0, 0, 0, 0, 0], .tooManyRecords),
        ([0, 0, 0x84, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 120, 0, 4, 10], .truncated("record")),
    ] as [([UInt8], DNSMessageError)])
    func malformedMessagesHaveTheirReason(bytes: [UInt8], error: DNSMessageError) {
        #expect(throws: error) { try DNSMessage.parse(bytes) }
    }

    @Test func aNameOverTwoHundredFiftyFiveBytesIsRefused() {
        var m: [UInt8] = [0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]
        for _ in 0..<5 { m.append(63); m += [UInt8](repeating: 0x61, count: 63) }
        m += [0, 0, 1, 0, 1]
        #expect(throws: DNSMessageError.badName) { try DNSMessage.parse(m) }
    }
}

struct MDNSResponderTests {
    static let name = DNSMessageTests.name
    static let kiosk = TransportAddress.IP.v4(0x0A00_0002)        // 10.0.0.2
    static let peer = TransportAddress(host: "10.0.0.3", port: 5353)!
    static let t0 = Instant.zero + .seconds(100)

    static func query(_ name: String = name, type: UInt16 = DNSMessage.typeA, id: UInt16 = 0,
                      known: [DNSMessage.Record] = []) -> [UInt8] {
        DNSMessage(id: id, questions: [.init(name: name, type: type)], answers: known).encoded()
    }

    /// Everything the responder sends until its `.timeout`, and that deadline.
    static func drain(_ r: inout MDNSResponder) -> (sent: [MDNSResponder.Transmit], deadline: Instant?) {
        var sent: [MDNSResponder.Transmit] = []
        while let o = r.poll() {
            switch o {
            case .transmit(let t): sent.append(t)
            case .timeout(let t): return (sent, t)
            }
        }
        return (sent, nil)
    }

    static func registered() -> MDNSResponder {
        var r = MDNSResponder()
        r.register(name: name, address: kiosk, interface: kiosk, at: t0)
        _ = drain(&r)
        r.handleTimeout(at: t0 + .seconds(1))
        _ = drain(&r)
        return r
    }

    /// Chromium starts asking just after the first announcement, which it did not hear.
    @Test func aQuestionRightAfterTheAnnouncementIsAnsweredASecondLater() throws {
        var r = MDNSResponder()
        r.register(name: Self.name, address: Self.kiosk, interface: Self.kiosk, at: Self.t0)
        #expect(Self.drain(&r).sent.count == 1)
        #expect(r.handle(Self.query(), from: Self.peer, at: Self.t0 + .milliseconds(30)) == .answerScheduled)
        #expect(Self.drain(&r).deadline == Self.t0 + .seconds(1))
        // The second announcement is the answer: one message, not two.
        r.handleTimeout(at: Self.t0 + .seconds(1))
        let sent = Self.drain(&r)
        #expect(sent.sent.count == 1 && sent.deadline == .never)
    }

    @Test func aNameIsAnnouncedTwiceASecondApart() throws {
        var r = MDNSResponder()
        r.register(name: Self.name.uppercased(), address: Self.kiosk, interface: Self.kiosk, at: Self.t0)
        let first = Self.drain(&r)
        #expect(first.sent.count == 1 && first.deadline == Self.t0 + .seconds(1))
        r.handleTimeout(at: Self.t0 + .seconds(1))
        let second = Self.drain(&r)
        #expect(second.sent.count == 1 && second.deadline == .never)
        for t in first.sent + second.sent {
            #expect(t.to == MDNSResponder.groupV4 && t.interface == Self.kiosk)
            let m = try DNSMessage.parse(t.bytes)
            #expect(m.id == 0 && m.flags == DNSMessage.responseFlags && m.questions.isEmpty)
            #expect(m.answers == [.address(Self.name, Self.kiosk, ttl: 120)])
        }
        #expect(r.registeredNames == [Self.name])
    }

    @Test func aQueryForOurNameIsAnsweredToTheGroupAtMostOnceASecond() throws {
        var r = Self.registered()
        let at = Self.t0 + .seconds(5)
        #expect(r.handle(Self.query(), from: Self.peer, at: at) == .answered)
        let answer = Self.drain(&r)
        #expect(answer.sent.count == 1)
        #expect(answer.sent.first?.to == MDNSResponder.groupV4)
        #expect(try DNSMessage.parse(answer.sent[0].bytes).answers == [.address(Self.name, Self.kiosk, ttl: 120)])
        // §6.2: the same record not again within a second, whoever asks: the first question in
        // that second is answered when it is over, the rest add nothing (a flood costs one
        // answer per second).
        #expect(r.handle(Self.query(), from: Self.peer, at: at + .milliseconds(19)) == .answerScheduled)
        #expect(Self.drain(&r).deadline == at + .seconds(1))
        for k in 2...50 {
            #expect(r.handle(Self.query(), from: Self.peer, at: at + .milliseconds(k * 19)) == .ignored)
            #expect(Self.drain(&r).sent.isEmpty)
        }
        r.handleTimeout(at: at + .seconds(1))
        let delayed = Self.drain(&r)
        #expect(delayed.sent.count == 1 && delayed.deadline == .never)
        #expect(r.handle(Self.query(type: DNSMessage.typeANY), from: Self.peer, at: at + .seconds(2)) == .answered)
        #expect(Self.drain(&r).sent.count == 1)
        #expect(r.answersSent == 5 && r.queriesIgnored == 49)
    }

    @Test func legacyUnicastGetsTheQueryIDAndAShortTTL() throws {
        var r = Self.registered()
        let resolver = TransportAddress(host: "10.0.0.3", port: 41234)!
        #expect(r.handle(Self.query(id: 0xBEEF), from: resolver, at: Self.t0 + .seconds(5)) == .answered)
        let sent = Self.drain(&r).sent
        #expect(sent.count == 1 && sent[0].to == resolver)
        let m = try DNSMessage.parse(sent[0].bytes)
        #expect(m.id == 0xBEEF && m.questions == [.init(name: Self.name, type: DNSMessage.typeA)])
        #expect(m.answers == [DNSMessage.Record(name: Self.name, type: DNSMessage.typeA, cacheFlush: false, ttl: 10, data: [10, 0, 0, 2])])
    }

    @Test func whatIsNotOursOrAlreadyKnownIsNotAnswered() {
        var r = Self.registered()
        let at = Self.t0 + .seconds(5)
        #expect(r.handle(Self.query("11111111-2222-4333-8444-555555555555.local"), from: Self.peer, at: at) == .ignored)
        #expect(r.handle(Self.query(type: DNSMessage.typeAAAA), from: Self.peer, at: at) == .ignored, "no IPv6 address under this name")
        // §7.1 known-answer suppression: the querier still holds it with more than half its TTL.
        #expect(r.handle(Self.query(known: [.address(Self.name, Self.kiosk, ttl: 100)]), from: Self.peer, at: at) == .ignored)
        // Another host's response, and a message that is not a standard query.
        let response = DNSMessage(flags: DNSMessage.responseFlags, answers: [.address(Self.name, .v4(1), ttl: 120)]).encoded()
        #expect(r.handle(response, from: Self.peer, at: at) == .ignored)
        var notify = Self.query()
        notify[2] = 0x20 // opcode 4
        #expect(r.handle(notify, from: Self.peer, at: at) == .ignored)
        #expect(r.handle([1, 2, 3], from: Self.peer, at: at) == .malformed(.truncated("header")))
        #expect(Self.drain(&r).sent.isEmpty)
        // A stale known answer (under half the TTL) does not hold ours back.
        #expect(r.handle(Self.query(known: [.address(Self.name, Self.kiosk, ttl: 30)]), from: Self.peer, at: at) == .answered)
    }

    @Test func legacyUnicastAnswersAreBudgeted() {
        var r = Self.registered()
        let at = Self.t0 + .seconds(5)
        var answered = 0
        for port in 40000..<40100 {
            let from = TransportAddress(host: "10.0.0.3", port: UInt16(port))!
            if r.handle(Self.query(id: UInt16(port)), from: from, at: at) == .answered { answered += 1 }
        }
        #expect(answered == MDNSResponder.Config().unicastPerSecond)
        #expect(r.handle(Self.query(), from: TransportAddress(host: "10.0.0.3", port: 39999)!, at: at + .seconds(1)) == .answered)
    }

    @Test func aNameGivenUpIsSaidGoodbyeToWithTTLZero() throws {
        var r = Self.registered()
        r.unregisterAll(at: Self.t0 + .seconds(9))
        let sent = Self.drain(&r).sent
        #expect(sent.count == 1)
        #expect(try DNSMessage.parse(sent[0].bytes).answers == [.address(Self.name, Self.kiosk, ttl: 0)])
        #expect(r.registeredNames.isEmpty)
        #expect(r.handle(Self.query(), from: Self.peer, at: Self.t0 + .seconds(20)) == .ignored)
    }

    @Test func anIPv6NameIsAnsweredWithItsAAAARecordOverIPv4() throws {
        var r = MDNSResponder()
        let v6 = TransportAddress.IP.v6(0x2001_0db8_0000_0001, 0x42)
        r.register(name: Self.name, address: v6, interface: Self.kiosk, at: Self.t0)
        _ = Self.drain(&r)
        #expect(r.handle(Self.query(type: DNSMessage.typeAAAA), from: Self.peer, at: Self.t0 + .seconds(3)) == .answered)
        let sent = Self.drain(&r).sent
        #expect(sent.count == 1 && sent[0].interface == Self.kiosk)
        #expect(try DNSMessage.parse(sent[0].bytes).answers.first?.address == v6)
    }
}

struct MDNSResolverTests {
    static let name = DNSMessageTests.name
    static let wlan = TransportAddress.IP.v4(0x0A00_0002), lan = TransportAddress.IP.v4(0xC0A8_0102)
    static let peer = TransportAddress(host: "10.0.0.3", port: 5353)!
    static let t0 = Instant.zero + .seconds(50)

    static func drain(_ r: inout MDNSResolver) -> [MDNSResolver.Output] {
        var out: [MDNSResolver.Output] = []
        while let o = r.poll() { out.append(o); if case .timeout = o { break } }
        return out
    }

    static func answer(_ name: String = name, address: TransportAddress.IP = .v4(0x0A00_0003), ttl: UInt32 = 120) -> [UInt8] {
        DNSMessage(flags: DNSMessage.responseFlags, answers: [.address(name, address, ttl: ttl)]).encoded()
    }

    @Test func aNameIsAskedOnEveryInterfaceAndAgainUntilGivenUp() throws {
        var r = MDNSResolver()
        r.resolve(Self.name.uppercased(), on: [Self.wlan, Self.lan], at: Self.t0)
        var out = Self.drain(&r)
        let sent = out.compactMap { if case .transmit(let t) = $0 { t } else { nil } }
        #expect(sent.map(\.interface) == [Self.wlan, Self.lan] && sent.allSatisfy { $0.to == MDNSResponder.groupV4 })
        let q = try DNSMessage.parse(sent[0].bytes)
        #expect(!q.isResponse && q.questions.map(\.type) == [DNSMessage.typeA, DNSMessage.typeAAAA] && q.questions[0].name == Self.name)
        #expect(out.last == .timeout(Self.t0 + .seconds(1)))
        // Asking again for the same name adds nothing.
        r.resolve(Self.name, on: [Self.wlan], at: Self.t0)
        #expect(Self.drain(&r) == [.timeout(Self.t0 + .seconds(1))])
        r.handleTimeout(at: Self.t0 + .seconds(1))
        out = Self.drain(&r)
        #expect(out.filter { if case .transmit = $0 { true } else { false } }.count == 2 && out.last == .timeout(Self.t0 + .seconds(3)))
        r.handleTimeout(at: Self.t0 + .seconds(3))
        out = Self.drain(&r)
        #expect(out.filter { if case .transmit = $0 { true } else { false } }.count == 2 && out.last == .timeout(Self.t0 + .seconds(4)))
        r.handleTimeout(at: Self.t0 + .seconds(4))
        #expect(Self.drain(&r) == [.unresolved(name: Self.name), .timeout(.never)])
        #expect(r.queriesSent == 6 && r.pendingNames.isEmpty)
    }

    @Test func onlyAnAnswerForANameAskedFromPort5353Counts() {
        var r = MDNSResolver()
        r.resolve(Self.name, on: [Self.wlan], at: Self.t0)
        _ = Self.drain(&r)
        let at = Self.t0 + .milliseconds(5)
        var taken: [Bool] = []
        taken.append(r.handle(Self.answer(), from: TransportAddress(host: "10.0.0.3", port: 40000)!, at: at)) // §11: not from 5353
        taken.append(r.handle(Self.answer("11111111-2222-4333-8444-555555555555.local"), from: Self.peer, at: at)) // not asked for
        taken.append(r.handle(Self.answer(ttl: 0), from: Self.peer, at: at)) // a goodbye
        taken.append(r.handle(DNSMessage(questions: [.init(name: Self.name, type: DNSMessage.typeA)]).encoded(), from: Self.peer, at: at))
        taken.append(r.handle([1, 2, 3], from: Self.peer, at: at))
        #expect(taken == [false, false, false, false, false])
        let answered = r.handle(Self.answer(), from: Self.peer, at: at)
        #expect(answered)
        #expect(Self.drain(&r) == [.resolved(name: Self.name, address: .v4(0x0A00_0003)), .timeout(.never)])
        // Answered once: a second answer (another host's, later) changes nothing.
        let again = r.handle(Self.answer(address: .v4(1)), from: Self.peer, at: at)
        #expect(!again)
    }

    @Test func onlyLocalNamesAndABoundedNumberAreAsked() {
        var r = MDNSResolver()
        r.resolve("example.com", on: [Self.wlan], at: Self.t0)
        r.resolve(Self.name, on: [], at: Self.t0)
        #expect(r.pendingNames.isEmpty)
        for i in 0..<40 { r.resolve("\(i)-\(Self.name)", on: [Self.wlan], at: Self.t0) }
        #expect(r.pendingNames.count == MDNSResolver.Config().maxPending)
    }
}
