import Foundation
import SessionCore
@testable import Signaling
import Testing

@Suite struct SignalingMessageTests {
    @Test func samplesCoverEveryMessageType() {
        let covered = Set(SignalingSamples.all.map(\.message.type))
        #expect(covered == Set(SignalingMessageType.allCases))
    }

    @Test(arguments: SignalingSamples.all)
    func roundTrips(_ envelope: SignalingEnvelope) throws {
        let text = envelope.text
        #expect(text.hasPrefix("{\"v\":1,\"type\":\"\(envelope.message.type.rawValue)\""))
        #expect(try SignalingEnvelope.decode(text) == envelope)
    }

    @Test(arguments: SignalingSamples.all)
    func codableMatchesTheTextCodec(_ envelope: SignalingEnvelope) throws {
        let data = try JSONEncoder().encode(envelope)
        #expect(try JSONDecoder().decode(SignalingEnvelope.self, from: data) == envelope)
        #expect(try JSONDecoder().decode(SignalingMessage.self, from: Data(envelope.text.utf8)) == envelope.message)
    }

    @Test func exactWireForm() {
        let join = SignalingEnvelope(.join(appointmentId: "appt-1", offerer: nil), id: "c1")
        #expect(join.text == #"{"v":1,"type":"join","id":"c1","appointmentId":"appt-1"}"#)
        #expect(SignalingEnvelope(.assignment(nil)).text == #"{"v":1,"type":"assignment","appointment":null}"#)
        #expect(SignalingEnvelope(.endOfCandidates).text == #"{"v":1,"type":"end-of-candidates"}"#)
    }

    @Test func stringsWithEscapesAndUnicodeSurvive() throws {
        let sdp = "v=0\r\na=x:\"quoted\" back\\slash \u{01}\u{1F} tab\t é 🩺\n"
        let text = SignalingEnvelope(.offer(sdp: sdp)).text
        #expect(!text.contains("\r") && !text.contains("\u{01}"))
        #expect(try SignalingEnvelope.decode(text).message == .offer(sdp: sdp))
    }

    @Test func unknownFieldsAreIgnored() throws {
        let e = try SignalingEnvelope.decode(#"{"v":1,"type":"leave","appointmentId":"a1","future":{"x":[1,2]}}"#)
        #expect(e.message == .leave(appointmentId: "a1"))
    }

    @Test func iceServerURLsMayBeOneString() throws {
        let e = try SignalingEnvelope.decode(
            #"{"v":1,"type":"welcome","sessionId":"s1","heartbeatIntervalMs":15000,"iceServers":[{"urls":"stun:a"}]}"#)
        #expect(e.message == .welcome(SignalingWelcome(sessionId: "s1", heartbeatIntervalMs: 15000,
                                                       iceServers: [SignalingICEServer(urls: ["stun:a"])])))
    }

    static let rejected: [(String, SignalingError)] = [
        ("", .malformedJSON),
        ("{", .malformedJSON),
        ("{\"v\":1,\"type\":\"ping\"", .malformedJSON),
        ("\u{FEFF}nonsense", .malformedJSON),
        ("[1,2]", .notAnObject),
        ("\"ping\"", .notAnObject),
        ("null", .notAnObject),
        (#"{"type":"ping"}"#, .missingField("v")),
        (#"{"v":"1","type":"ping"}"#, .invalidField("v", expected: "integer in 0...2147483647")),
        (#"{"v":1.5,"type":"ping"}"#, .invalidField("v", expected: "integer in 0...2147483647")),
        (#"{"v":2,"type":"ping"}"#, .unsupportedVersion(2)),
        (#"{"v":1}"#, .missingField("type")),
        (#"{"v":1,"type":7}"#, .invalidField("type", expected: "string")),
        (#"{"v":1,"type":"teleport"}"#, .unknownType("teleport")),
        (#"{"v":1,"type":"ping","id":5}"#, .invalidField("id", expected: "identifier of at most 64 characters")),
        (#"{"v":1,"type":"ping","id":"a b"}"#, .invalidField("id", expected: "identifier of at most 64 characters")),
        (#"{"v":1,"type":"join"}"#, .missingField("appointmentId")),
        (#"{"v":1,"type":"join","appointmentId":null}"#, .missingField("appointmentId")),
        (#"{"v":1,"type":"join","appointmentId":12}"#, .invalidField("appointmentId", expected: "string")),
        (#"{"v":1,"type":"join","appointmentId":"a\nb"}"#,
         .invalidField("appointmentId", expected: "identifier (1-128 of A-Z a-z 0-9 . _ : -)")),
        (#"{"v":1,"type":"join","appointmentId":"a1","offerer":"patient"}"#,
         .invalidField("offerer", expected: "one of kiosk, clinician")),
        (#"{"v":1,"type":"hello","role":"kiosk","token":"t","software":"k"}"#, .missingField("kioskId")),
        (#"{"v":1,"type":"hello","role":"kiosk","kioskId":"k1","software":"k"}"#, .missingField("token")),
        (#"{"v":1,"type":"offer","sdp":["v=0"]}"#, .invalidField("sdp", expected: "string")),
        (#"{"v":1,"type":"candidate","candidate":"candidate:1"}"#, .missingField("sdpMid")),
        (#"{"v":1,"type":"candidate","candidate":"c","sdpMLineIndex":-1}"#,
         .invalidField("sdpMLineIndex", expected: "integer in 0...65535")),
        (#"{"v":1,"type":"candidate","candidate":"c","sdpMLineIndex":1e300}"#,
         .invalidField("sdpMLineIndex", expected: "integer in 0...65535")),
        (#"{"v":1,"type":"media-state","camera":true,"microphone":"muted"}"#,
         .invalidField("camera", expected: "string")),
        (#"{"v":1,"type":"media-state","camera":"on"}"#, .missingField("microphone")),
        (#"{"v":1,"type":"assignment"}"#, .missingField("appointment")),
        (#"{"v":1,"type":"assignment","appointment":[]}"#, .invalidField("appointment", expected: "object")),
        (#"{"v":1,"type":"assignment","appointment":{"id":"a1","clinicianDisplayName":"D","scheduledAt":"x","timeZone":"UTC","telehealth":{"eligible":true,"reasons":[{"code":3,"message":"m"}],"opensAt":"x","closesAt":"y"}}}"#,
         .invalidField("appointment.telehealth.reasons[0].code", expected: "string")),
        (#"{"v":1,"type":"assignment","appointment":{"id":"a1","clinicianDisplayName":"D","scheduledAt":"x","timeZone":"UTC","telehealth":{"eligible":"yes","reasons":[],"opensAt":"x","closesAt":"y"}}}"#,
         .invalidField("appointment.telehealth.eligible", expected: "boolean")),
        (#"{"v":1,"type":"welcome","sessionId":"s","heartbeatIntervalMs":10,"iceServers":[]}"#,
         .invalidField("heartbeatIntervalMs", expected: "integer in 1000...600000")),
        (#"{"v":1,"type":"welcome","sessionId":"s","heartbeatIntervalMs":15000,"iceServers":[{"urls":[1]}]}"#,
         .invalidField("iceServers[0].urls[0]", expected: "string of at most 512 bytes")),
        (#"{"v":1,"type":"welcome","sessionId":"s","heartbeatIntervalMs":15000,"iceServers":[{"urls":[]}]}"#,
         .invalidField("iceServers[0].urls", expected: "at least one URL")),
        (#"{"v":1,"type":"error","code":"x","message":5}"#, .invalidField("message", expected: "string")),
        ("{\"v\":1,\"type\":\"hello\",\"role\":\"clinician\",\"software\":\"" + String(repeating: "k", count: 129) + "\"}",
         .invalidField("software", expected: "string of at most 128 bytes")),
    ]

    @Test func malformedInputGivesTypedErrorsNamingTheField() {
        for (text, expected) in Self.rejected {
            #expect(throws: expected, "\(text)") { try SignalingEnvelope.decode(text) }
        }
    }

    @Test func oversizedAndDeepInputIsRejectedBeforeParsing() {
        let big = #"{"v":1,"type":"offer","sdp":""# + String(repeating: "a", count: 70_000) + "\"}"
        #expect(throws: SignalingError.tooLarge(bytes: big.utf8.count, limit: SignalingEnvelope.maximumLength)) {
            try SignalingEnvelope.decode(big)
        }
        let deep = String(repeating: "[", count: 20_000) + String(repeating: "]", count: 20_000)
        #expect(throws: SignalingError.malformedJSON) { try SignalingEnvelope.decode(deep) }
        let brackets = #"{"v":1,"type":"offer","sdp":"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}"#
        #expect((try? SignalingEnvelope.decode(brackets)) != nil, "brackets inside strings do not count")
    }

    @Test func idHintRecoversTheIdOfABadMessage() {
        #expect(SignalingEnvelope.idHint(in: #"{"v":1,"type":"join","id":"c7"}"#) == "c7")
        #expect(SignalingEnvelope.idHint(in: #"{"v":1,"type":"join","id":"c 7"}"#) == nil)
        #expect(SignalingEnvelope.idHint(in: "garbage") == nil)
    }

    @Test func errorDescriptionsDoNotEchoHostileText() {
        let e = SignalingError.unknownType("x\nFAKE LOG LINE")
        #expect(!e.description.contains("FAKE"))
        #expect(e.code == .unknownType)
    }

    /// Seeded byte mutations of every sample (the fuzz target's properties, in miniature):
    /// nothing traps, and whatever still decodes re-encodes to the same message.
    @Test func mutationsNeverTrapAndWhatDecodesRoundTrips() {
        var rng = SplitMix64(seed: 2025)
        let interesting = Array(#"{}[]",:\0-1e999null"true"#.utf8) + [0x00, 0x7f, 0xc3, 0xff]
        var decoded = 0
        for sample in SignalingSamples.all {
            let original = Array(sample.text.utf8)
            for _ in 0..<300 {
                var bytes = original
                for _ in 0...(rng.next() % 3) where !bytes.isEmpty {
                    let i = Int(rng.next() % UInt64(bytes.count))
                    let b = interesting[Int(rng.next() % UInt64(interesting.count))]
                    switch rng.next() % 3 {
                    case 0: bytes[i] = b
                    case 1: bytes.remove(at: i)
                    default: bytes.insert(b, at: i)
                    }
                }
                guard let e = try? SignalingEnvelope.decode(bytes: bytes) else { continue }
                decoded += 1
                #expect((try? SignalingEnvelope.decode(e.text)) == e, "\(String(decoding: bytes, as: UTF8.self))")
            }
        }
        #expect(decoded > 100, "the mutations should not all be fatal")
    }

    /// Every byte prefix of every sample decodes or throws; nothing traps.
    @Test func truncationsNeverTrap() {
        for sample in SignalingSamples.all {
            let bytes = Array(sample.text.utf8)
            for n in 0..<bytes.count {
                _ = try? SignalingEnvelope.decode(bytes: Array(bytes[0..<n]))
            }
        }
    }
}

/// One example of every signaling message, shared by the codec, schema and client tests.
enum SignalingSamples {
    static let appointment = SignalingAppointment(
        id: "appt-1001", clinicianDisplayName: "Dr. Rivera",
        scheduledAt: "2025-03-04T17:00:00Z", timeZone: "America/Chicago",
        telehealth: SignalingTelehealth(
            eligible: false,
            reasons: [SignalingReason(code: "too-early", message: "Opens at 12:00")],
            opensAt: "2025-03-04T12:00:00Z", closesAt: "2025-03-04T22:00:00Z"))

    static let all: [SignalingEnvelope] = [
        .init(.hello(SignalingHello(role: .kiosk, kioskId: "kiosk-1", token: "s3cret", software: "kioskd/0.1.0")), id: "c1"),
        .init(.hello(SignalingHello(role: .clinician, clinicianId: "dr-demo", software: "practice-web/1",
                                    sessionId: "s-42")), id: "c2"),
        .init(.welcome(SignalingWelcome(
            sessionId: "s-42", heartbeatIntervalMs: 15_000,
            iceServers: [SignalingICEServer(urls: ["stun:stun.example.org:3478"]),
                         SignalingICEServer(urls: ["turn:turn.example.org:3478?transport=udp", "turns:turn.example.org:5349"],
                                            username: "u1", credential: "pw")],
            resumed: true))),
        .init(.assignment(appointment)),
        .init(.assignment(nil)),
        .init(.join(appointmentId: "appt-1001", offerer: nil), id: "c3"),
        .init(.join(appointmentId: "appt-1001", offerer: .kiosk), id: "c4"),
        .init(.joined(appointmentId: "appt-1001", peerPresent: false)),
        .init(.leave(appointmentId: "appt-1001")),
        .init(.end(appointmentId: "appt-1001")),
        .init(.rejoin(appointmentId: "appt-1001", offerer: .clinician)),
        .init(.peerJoined(appointmentId: "appt-1001", role: .clinician, offerer: .clinician)),
        .init(.peerLeft(appointmentId: "appt-1001", role: .kiosk, reason: .timeout)),
        .init(.sessionEnded(appointmentId: "appt-1001", by: .clinician)),
        .init(.requestOffer(iceRestart: true)),
        .init(.offer(sdp: "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n")),
        .init(.answer(sdp: "v=0\r\no=- 3 4 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n")),
        .init(.candidate(SignalingCandidate(
            candidate: "candidate:1 1 udp 2122260223 192.0.2.1 54400 typ host generation 0",
            sdpMid: "0", sdpMLineIndex: 0, usernameFragment: "abcd"))),
        .init(.candidate(SignalingCandidate(candidate: "candidate:2 1 udp 1 192.0.2.2 9 typ host", sdpMid: nil, sdpMLineIndex: 1))),
        .init(.endOfCandidates),
        .init(.mediaState(SignalingMediaState(camera: .off, microphone: .muted))),
        .init(.ping, id: "hb-7"),
        .init(.pong, id: "hb-7"),
        .init(.error(SignalingErrorPayload(code: .invalidField, message: "field sdp: expected string", inReplyTo: "c9"))),
        .init(.error(SignalingErrorPayload(code: SignalingErrorCode(rawValue: "some-future-code"), message: "x"))),
    ]
}
