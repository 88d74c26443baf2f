@testable import SessionCore
@testable import Signaling
import Testing

/// Drives a `SignalingClient` in simulated time, standing in for the WebSocket driver.
private struct SignalingHarness {
    var client: SignalingClient
    var now = Instant.zero
    var sent: [SignalingEnvelope] = []
    var events: [SignalingClient.Event] = []
    var connects = 0
    var closes = 0

    init(_ configure: (inout SignalingClient.Configuration) -> Void = { _ in }) {
        var c = SignalingClient.Configuration(hello: SignalingHello(role: .kiosk, kioskId: "kiosk-1", token: "t", software: "kioskd/test"))
        configure(&c)
        client = SignalingClient(configuration: c)
    }

    /// Feeds an input and collects outputs until the client reports its next deadline.
    mutating func input(_ i: SignalingClient.Input) {
        client.handle(i, at: now)
        drain()
    }

    mutating func drain() {
        while let o = client.poll() {
            switch o {
            case .connect: connects += 1
            case .close: closes += 1
            case .send(let text):
                // Everything the client writes must be a valid message.
                if let e = try? SignalingEnvelope.decode(text) { sent.append(e) } else { Issue.record("undecodable: \(text)") }
            case .event(let e): events.append(e)
            case .timeout: return
            }
        }
    }

    /// Advances simulated time to `t`, firing every deadline on the way (like a real driver).
    mutating func advance(to t: Instant) {
        while let d = client.nextDeadline, d <= t {
            now = max(now, d)
            input(.timeout)
        }
        now = t
    }

    mutating func advance(by d: Duration) { advance(to: now + d) }

    mutating func receive(_ m: SignalingMessage, id: String? = nil) {
        input(.received(SignalingEnvelope(m, id: id).text))
    }

    static func welcome(_ session: String = "s-1", resumed: Bool = false, heartbeatMs: Int = 15_000) -> SignalingMessage {
        .welcome(SignalingWelcome(sessionId: session, heartbeatIntervalMs: heartbeatMs, iceServers: [], resumed: resumed))
    }

    mutating func connectAndWelcome(session: String = "s-1", resumed: Bool = false) {
        input(.connected)
        receive(Self.welcome(session, resumed: resumed))
    }

    var lastSentTypes: [SignalingMessageType] { sent.map(\.message.type) }
}

@Suite struct SignalingClientTests {
    @Test func helloThenWelcomeMakesItReady() throws {
        var h = SignalingHarness()
        #expect(h.client.state == .disconnected(retryAt: nil))
        h.input(.start)
        #expect(h.connects == 1)
        h.input(.connected)
        let hello = try #require(h.sent.first)
        guard case .hello(let body) = hello.message else { Issue.record("not hello"); return }
        #expect(body.kioskId == "kiosk-1" && body.token == "t" && body.sessionId == nil)
        #expect(hello.id != nil)
        h.receive(SignalingHarness.welcome())
        #expect(h.client.isReady)
        #expect(h.events == [.ready(SignalingWelcome(sessionId: "s-1", heartbeatIntervalMs: 15_000, iceServers: []))])
    }

    @Test func heartbeatPingsAtTheEndpointsInterval() {
        var h = SignalingHarness()
        h.input(.start)
        h.input(.connected)
        h.receive(SignalingHarness.welcome(heartbeatMs: 5_000))
        h.sent.removeAll()
        h.advance(by: .milliseconds(4_999))
        #expect(h.sent.isEmpty)
        h.advance(by: .milliseconds(1))
        #expect(h.lastSentTypes == [.ping])
        h.receive(.pong, id: h.sent.last?.id)
        h.advance(by: .seconds(5))
        #expect(h.lastSentTypes == [.ping, .ping])
        #expect(h.client.isReady)
    }

    @Test func answersTheEndpointsPingWithTheSameId() {
        var h = SignalingHarness()
        h.input(.start)
        h.connectAndWelcome()
        h.receive(.ping, id: "srv-9")
        #expect(h.sent.last == SignalingEnvelope(.pong, id: "srv-9"))
    }

    @Test func deadConnectionIsDetectedAndTheCallIsNotTornDown() {
        var h = SignalingHarness()
        h.input(.start)
        h.connectAndWelcome()
        h.input(.intent(.join(appointmentId: "appt-1")))
        h.receive(.joined(appointmentId: "appt-1", peerPresent: true))
        h.events.removeAll()
        // The endpoint goes silent: pings at 15 s and 30 s get no answer; dead at 30 s.
        h.advance(by: .seconds(29))
        #expect(h.closes == 0)
        h.advance(by: .seconds(1))
        #expect(h.closes == 1)
        #expect(h.events == [.signalingLost])
        #expect(h.client.activeAppointmentId == "appt-1", "call state survives a signaling drop")
        guard case .disconnected(let retryAt?) = h.client.state else { Issue.record("\(h.client.state)"); return }
        let delay = retryAt - h.now
        #expect(delay >= .milliseconds(250) && delay <= .milliseconds(500))
    }

    @Test func aNetworkChangeProbesAndReplacesADeadConnectionAtOnce() {
        var h = SignalingHarness()
        h.input(.start)
        h.connectAndWelcome()
        h.advance(by: .seconds(3))
        let pingsBefore = h.sent.filter { $0.message.type == .ping }.count
        h.input(.networkChanged)
        #expect(h.sent.filter { $0.message.type == .ping }.count == pingsBefore + 1, "one probe at once")
        h.input(.networkChanged)
        #expect(h.sent.filter { $0.message.type == .ping }.count == pingsBefore + 1, "a probe in flight is not repeated at once")
        // Nothing answers (the socket's address is gone): dead after the probe timeout, not
        // after two 15 s heartbeats, and the next attempt starts at once.
        h.advance(by: .milliseconds(999))
        #expect(h.client.isReady && h.closes == 0)
        h.advance(by: .milliseconds(1))
        #expect(h.closes == 1 && h.events.last == .signalingLost)
        #expect(h.connects == 2, "reconnected without a backoff wait")
        h.connectAndWelcome(resumed: true)
        #expect(h.events.last == .signalingRestored(SignalingWelcome(sessionId: "s-1", heartbeatIntervalMs: 15_000, iceServers: [], resumed: true)))
    }

    @Test func aNetworkChangeAnsweredInTimeKeepsTheConnection() {
        var h = SignalingHarness()
        h.input(.start)
        h.connectAndWelcome()
        h.input(.networkChanged)
        h.advance(by: .milliseconds(40))
        h.receive(.pong, id: h.sent.last?.id)
        h.advance(by: .seconds(5))
        #expect(h.client.isReady && h.closes == 0 && h.connects == 1)
    }

    @Test func aSecondChangeDuringAProbeProbesAgainAfterTheAnswer() {
        // Address added (probe answered over the old one), then the old one removed: the
        // answer predates the removal, so it proves nothing about the connection now.
        var h = SignalingHarness()
        h.input(.start)
        h.connectAndWelcome()
        h.input(.networkChanged)
        h.input(.networkChanged)
        h.advance(by: .milliseconds(2))
        h.receive(.pong, id: h.sent.last?.id)
        #expect(h.sent.filter { $0.message.type == .ping }.count == 2, "a second probe after the first answer")
        h.advance(by: .seconds(1))
        #expect(h.closes == 1 && h.events.last == .signalingLost && h.connects == 2)
    }

    @Test func aNetworkChangeWhileWaitingToRetryRetriesNow() {
        var h = SignalingHarness()
        h.input(.start)
        h.input(.disconnected)
        guard case .disconnected(let retryAt?) = h.client.state else { Issue.record("not waiting"); return }
        #expect(retryAt > h.now)
        h.input(.networkChanged)
        h.advance(by: .zero)
        #expect(h.connects == 2)
    }

    @Test func backoffDoublesFromHalfASecondToThirtyWithJitter() {
        var h = SignalingHarness()
        h.input(.start)
        var delays: [Double] = []
        for _ in 0..<10 {
            h.input(.disconnected)  // the connect attempt failed
            guard case .disconnected(let retryAt?) = h.client.state else { Issue.record("\(h.client.state)"); return }
            delays.append((retryAt - h.now).secondsDouble)
            h.advance(to: retryAt)
            #expect(h.client.state == .connecting(deadline: retryAt + .seconds(10)))
        }
        #expect(h.connects == 11)
        let nominal: [Double] = [0.5, 1, 2, 4, 8, 16, 30, 30, 30, 30]
        for (d, n) in zip(delays, nominal) {
            #expect(d >= n / 2 - 1e-6 && d <= n + 1e-6, "delay \(d) for nominal \(n)")
        }
        #expect(Set(delays.map { $0 / 30 }).count > 5, "jittered, not lockstep")
        #expect(!h.events.contains(.signalingLost), "never ready, so nothing was lost")
    }

    @Test func jitterDependsOnTheSeed() {
        func firstDelay(seed: UInt64) -> Duration {
            var h = SignalingHarness { $0.jitterSeed = seed }
            h.input(.start)
            h.input(.disconnected)
            guard case .disconnected(let t?) = h.client.state else { return .zero }
            return t - h.now
        }
        #expect(firstDelay(seed: 1) == firstDelay(seed: 1))
        #expect(firstDelay(seed: 1) != firstDelay(seed: 2))
    }

    @Test func connectAndHelloTimeoutsRetry() {
        var h = SignalingHarness()
        h.input(.start)
        h.advance(by: .seconds(10))  // no .connected within connectTimeout
        #expect(h.closes == 1)
        guard case .disconnected(let t?) = h.client.state else { Issue.record("\(h.client.state)"); return }
        h.advance(to: t)
        h.input(.connected)
        h.advance(by: .seconds(10))  // no welcome within helloTimeout
        #expect(h.closes == 2)
        #expect(h.connects == 2)
    }

    @Test func reconnectResumesTheSessionAndFlushesTheOutbox() throws {
        var h = SignalingHarness()
        h.input(.start)
        h.connectAndWelcome(session: "s-77")
        h.input(.intent(.join(appointmentId: "appt-1")))
        h.advance(by: .seconds(12))
        h.input(.disconnected)
        #expect(h.events.last == .signalingLost)
        // While down, the call layer keeps trickling: queued, not lost.
        h.input(.intent(.sendCandidate(SignalingCandidate(candidate: "candidate:1 1 udp 1 192.0.2.1 1 typ host", sdpMid: "0", sdpMLineIndex: 0))))
        h.input(.intent(.sendEndOfCandidates))
        h.sent.removeAll()
        h.advance(by: .seconds(1))
        #expect(h.connects == 2)
        h.input(.connected)
        guard case .hello(let hello) = try #require(h.sent.first).message else { Issue.record("no hello"); return }
        #expect(hello.sessionId == "s-77")
        h.receive(SignalingHarness.welcome("s-77", resumed: true))
        #expect(h.events.last == .signalingRestored(SignalingWelcome(sessionId: "s-77", heartbeatIntervalMs: 15_000, iceServers: [], resumed: true)))
        #expect(h.lastSentTypes == [.hello, .candidate, .endOfCandidates], "resumed: no re-join")
    }

    @Test func aForgottenSessionRejoinsTheAppointmentOnce() {
        var h = SignalingHarness()
        h.input(.start)
        h.connectAndWelcome(session: "s-1")
        h.input(.intent(.join(appointmentId: "appt-1", offerer: .kiosk)))
        h.input(.disconnected)
        h.input(.intent(.rejoin(appointmentId: "appt-1", offerer: .kiosk)))
        h.sent.removeAll()
        h.advance(by: .seconds(1))
        h.connectAndWelcome(session: "s-2", resumed: false)
        #expect(h.lastSentTypes == [.hello, .join])
        #expect(h.sent.last?.message == .join(appointmentId: "appt-1", offerer: .kiosk))
    }

    @Test func sessionEndedAndLeaveClearTheActiveAppointment() {
        var h = SignalingHarness()
        h.input(.start)
        h.connectAndWelcome()
        h.input(.intent(.join(appointmentId: "appt-1")))
        h.receive(.sessionEnded(appointmentId: "appt-1", by: .clinician))
        #expect(h.client.activeAppointmentId == nil)
        #expect(h.events.last == .message(SignalingEnvelope(.sessionEnded(appointmentId: "appt-1", by: .clinician))))
        h.input(.intent(.rejoin(appointmentId: "appt-1")))
        #expect(h.client.activeAppointmentId == "appt-1")
        h.input(.intent(.leave(appointmentId: "appt-1")))
        #expect(h.client.activeAppointmentId == nil)
        h.input(.disconnected)
        h.sent.removeAll()
        h.advance(by: .seconds(1))
        h.connectAndWelcome(session: "s-2", resumed: false)
        #expect(h.lastSentTypes == [.hello], "nothing to rejoin after leave")
    }

    @Test func backoffResetsAfterAStableConnectionButNotAfterAFlappingOne() throws {
        var h = SignalingHarness { $0.jitter = 0 }
        h.input(.start)
        for _ in 0..<4 {  // flapping: welcome then immediate drop
            h.connectAndWelcome()
            h.input(.disconnected)
            guard case .disconnected(let t?) = h.client.state else { throw Unexpected.state("\(h.client.state)") }
            h.advance(to: t)
        }
        h.connectAndWelcome()
        h.input(.disconnected)
        guard case .disconnected(let flapping?) = h.client.state else { throw Unexpected.state("\(h.client.state)") }
        #expect(flapping - h.now == .seconds(8))
        h.advance(to: flapping)
        h.connectAndWelcome()
        h.receive(.pong)
        h.advance(by: .seconds(11))
        h.receive(.pong)
        h.input(.disconnected)
        guard case .disconnected(let stable?) = h.client.state else { throw Unexpected.state("\(h.client.state)") }
        #expect(stable - h.now == .milliseconds(500))
    }

    @Test func refusedHelloIsReportedAndRetried() {
        var h = SignalingHarness()
        h.input(.start)
        h.input(.connected)
        let helloId = h.sent.first?.id
        h.receive(.error(SignalingErrorPayload(code: .unauthorized, message: "bad token", inReplyTo: helloId)))
        #expect(h.events == [.rejected(SignalingErrorPayload(code: .unauthorized, message: "bad token", inReplyTo: helloId))])
        #expect(h.closes == 1)
        h.advance(by: .seconds(1))
        #expect(h.connects == 2)
    }

    @Test func garbageFromTheEndpointIsReportedAndIgnored() {
        var h = SignalingHarness()
        h.input(.start)
        h.connectAndWelcome()
        h.input(.received("{\"v\":1,\"type\":\"teleport\"}"))
        h.input(.received("\u{0}\u{1}"))
        #expect(h.events.suffix(2) == [.invalidMessage(.unknownType("teleport"), inReplyTo: nil), .invalidMessage(.malformedJSON, inReplyTo: nil)])
        #expect(h.client.isReady)
    }

    @Test func relayedMessagesAreSurfacedWithTheirIds() {
        var h = SignalingHarness()
        h.input(.start)
        h.connectAndWelcome()
        h.receive(.offer(sdp: "v=0\r\n"), id: "x1")
        h.receive(.mediaState(SignalingMediaState(camera: .off, microphone: .unmuted)))
        #expect(h.events.suffix(2) == [
            .message(SignalingEnvelope(.offer(sdp: "v=0\r\n"), id: "x1")),
            .message(SignalingEnvelope(.mediaState(SignalingMediaState(camera: .off, microphone: .unmuted)))),
        ])
    }

    @Test func stopClosesAndStaysDown() {
        var h = SignalingHarness()
        h.input(.start)
        h.connectAndWelcome()
        h.input(.stop)
        #expect(h.closes == 1)
        #expect(h.client.nextDeadline == nil)
        #expect(h.client.poll() == nil)
        h.advance(by: .seconds(120))
        #expect(h.connects == 1)
    }

    @Test func outboxDropsTheOldestWhenFull() {
        var h = SignalingHarness { $0.outboxLimit = 3 }
        h.input(.start)
        for i in 0..<5 { h.input(.intent(.sendOffer(sdp: "sdp\(i)"))) }
        h.connectAndWelcome()
        #expect(h.sent.dropFirst().map(\.message) == [.offer(sdp: "sdp2"), .offer(sdp: "sdp3"), .offer(sdp: "sdp4")])
    }
}

/// A test that meets a state it did not expect fails with it (never passes by returning).
enum Unexpected: Error { case state(String) 
}

@Suite struct SignalingFloodTests {
    /// A flood from the endpoint: the burst and the steady rate are delivered; one message over
    /// the budget closes the connection, undecoded, and the client retries with backoff.
    @Test func aFloodBeyondTheInboundBudgetClosesAndRetries() {
        var h = SignalingHarness { $0.inboundBurst = 10; $0.inboundPerSecond = 5; $0.jitter = 0 }
        h.input(.start)
        h.connectAndWelcome()
        h.events.removeAll()
        // The welcome took one token: nine more at once are fine.
        for _ in 0..<9 { h.receive(.pong) }
        #expect(h.events.isEmpty && h.closes == 0)
        // Five a second is the steady rate: one every 200 ms for 10 s never floods.
        for _ in 0..<50 {
            h.advance(by: .milliseconds(200))
            h.receive(.pong)
        }
        #expect(h.closes == 0 && h.client.isReady)
        // Then, 200 ms later (one token), two at once: the second is the flood.
        h.advance(by: .milliseconds(200))
        h.receive(.pong)
        #expect(h.closes == 0)
        let at = h.now
        h.receive(.sessionEnded(appointmentId: "a", by: .clinician))
        #expect(h.closes == 1)
        #expect(h.events == [.flooded, .signalingLost], "the message over the budget is not delivered")
        #expect(h.client.state == .disconnected(retryAt: at + .milliseconds(500)))
        // The next connection starts with a full budget.
        h.advance(by: .milliseconds(500))
        h.connectAndWelcome(resumed: true)
        for _ in 0..<9 { h.receive(.pong) }
        #expect(h.closes == 1 && h.client.isReady)
    }
}
