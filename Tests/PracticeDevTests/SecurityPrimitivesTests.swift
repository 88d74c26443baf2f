import Foundation
@testable import PracticeKit
import Signaling
import Synchronization
import Testing

/// The security model's parts on their own: the password KDF, TURN REST credentials, the
/// credentials files, kiosk tokens, the dev-mode host check, sessions and the sign-in throttle.
@Suite struct SecurityPrimitivesTests {
    // MARK: - Passwords

    @Test func passwordHashRoundTripsAndRefusesTheWrongPassword() throws {
        let hash = try PasswordHash.make("correct horse battery")
        #expect(hash.iterations == 210_000)
        #expect(hash.verify("correct horse battery"))
        #expect(!hash.verify("correct horse batterY"))
        #expect(!hash.verify(""))
        let text = hash.description
        #expect(text.hasPrefix("$pbkdf2-sha256$210000$"))
        #expect(try PasswordHash(parsing: text) == hash)
        // A fresh salt each time: the same password never gives the same string.
        #expect(try PasswordHash.make("correct horse battery").description != text)
    }

    /// PBKDF2-HMAC-SHA256 agrees with an independent implementation: the key below came from
    /// both `openssl kdf -keylen 32 -kdfopt digest:SHA256 -kdfopt pass:'correct horse battery'
    /// -kdfopt salt:kioskd-test-salt -kdfopt iter:210000 PBKDF2` and Python's hashlib.pbkdf2_hmac.
    @Test func passwordHashMatchesAKnownVector() throws {
        let stored = "$pbkdf2-sha256$210000$a2lvc2tkLXRlc3Qtc2FsdA$su_tMe7YadDllmHf1v3y6GfqFhOCgFbcOG3N7rAemTs"
        let hash = try PasswordHash(parsing: stored)
        #expect(hash.verify("correct horse battery"))
        #expect(!hash.verify("correct horse battery "))
        #expect(hash.description == stored)
    }

    @Test func passwordHashStringsAreParsedStrictly() {
        let key = "su_tMe7YadDllmHf1v3y6GfqFhOCgFbcOG3N7rAemTs"
        let cases: [(String, PasswordHash.ParseError)] = [
            ("", .notPBKDF2),
            ("plaintext", .notPBKDF2),
            ("$pbkdf2-sha1$210000$a2lvc2tkLXRlc3Qtc2FsdA$\(key)", .notPBKDF2),
            ("$pbkdf2-sha256$1000$a2lvc2tkLXRlc3Qtc2FsdA$\(key)", .badIterations),
            ("$pbkdf2-sha256$+210000$a2lvc2tkLXRlc3Qtc2FsdA$\(key)", .badIterations),
            ("$pbkdf2-sha256$210000$c2hvcnQ$\(key)", .badSalt),
            ("$pbkdf2-sha256$210000$a2lvc2tkLXRlc3Qtc2FsdA$c2hvcnQ", .badKey),
            ("$pbkdf2-sha256$210000$a2lvc2tk LXRlc3Qtc2FsdA$\(key)", .badSalt),
            ("$pbkdf2-sha256$210000$a2lvc2tkLXRlc3Qtc2FsdA$\(key)$", .notPBKDF2),
        ]
        for (text, expected) in cases {
            #expect(throws: expected, "\(text)") { try PasswordHash(parsing: text) }
        }
    }

    @Test func constantTimeEqualityIsEquality() {
        #expect(constantTimeEqual([1, 2, 3], [1, 2, 3]))
        #expect(!constantTimeEqual([1, 2, 3], [1, 2, 4]))
        #expect(!constantTimeEqual([1, 2, 3], [1, 2]))
        #expect(constantTimeEqual("", ""))
    }

    // MARK: - TURN REST credentials

    /// The coturn formula, checked against openssl: `printf %s '1741131600:kiosk-1' |
    /// openssl dgst -sha1 -hmac north-secret -binary | base64` → S0tKCfV2fhendjDSFu9YWJohCLE=
    @Test func turnCredentialIsTheCoturnFormulaAndExpiresAtNowPlusTTL() {
        let turn = TURNCredentials(urls: ["turn:turn.test:3478?transport=udp", "turn:turn.test:3478?transport=tcp"],
                                   secret: "north-secret", ttl: 3600)
        let now = Date(timeIntervalSince1970: 1_741_128_000)
        let server = turn.iceServer(for: "kiosk-1", at: now)
        #expect(server.urls == ["turn:turn.test:3478?transport=udp", "turn:turn.test:3478?transport=tcp"])
        #expect(server.username == "1741131600:kiosk-1")
        #expect(server.credential == "S0tKCfV2fhendjDSFu9YWJohCLE=")
        let expiry = Int(server.username?.split(separator: ":").first ?? "") ?? 0
        #expect(expiry == Int(now.timeIntervalSince1970) + 3600)
    }

    @Test func theWelcomeCarriesAFreshTURNCredentialForItsHolder() {
        let turn = TURNCredentials(urls: ["turn:turn.test:3478?transport=udp"], secret: "north-secret", ttl: 600)
        var h = RelayHarness(settings: Relay.Settings(dev: true, iceServers: [SignalingICEServer(urls: ["stun:stun.test:3478"])],
                                                      turn: turn))
        let k = h.open(1)
        h.send(k, RelayHarness.kioskHello)
        let c = h.open(2, clinician: "dr-demo")
        h.send(c, RelayHarness.clinicianHello)
        for (conn, who) in [(k, "kiosk-1"), (c, "dr-demo")] {
            guard case .welcome(let w) = h.take(conn).first else { Issue.record("no welcome"); continue }
            #expect(w.iceServers.count == 2 && w.iceServers[0].urls == ["stun:stun.test:3478"])
            #expect(w.iceServers.last == turn.iceServer(for: who, at: h.now))
            #expect(w.iceServers.last?.username == "\(Int(h.now.timeIntervalSince1970) + 600):\(who)")
        }
        #expect(!h.logs.contains { $0.contains("north-secret") || $0.contains(turn.iceServer(for: "kiosk-1", at: h.now).credential ?? "-") })
    }

    // MARK: - Credentials files

    @Test func usersAndKiosksFilesParse() throws {
        let hash = try PasswordHash.make("a long password")
        let users = try CredentialsFile.users("""
            # users
            dr-a\tclinician  \(hash)

            desk frontdesk \(hash)\r
            root admin \(hash)
            """, file: "users.txt")
        #expect(users.map(\.id) == ["dr-a", "desk", "root"])
        #expect(users.map(\.role) == [.clinician, .frontdesk, .admin])
        #expect(users[0].password.verify("a long password"))

        let token = KioskCredentials.newToken()
        let kiosks = try CredentialsFile.kiosks("kiosk-1 \(KioskCredentials.fileEntry(forToken: token))\n# kiosk-2 retired\n",
                                                file: "kiosks.txt")
        #expect(kiosks.kioskIds == ["kiosk-1"])
        #expect(kiosks.verify(kioskId: "kiosk-1", token: token))
    }

    @Test func credentialsFileErrorsNameTheFileLineAndKey() throws {
        let hash = try PasswordHash.make("a long password").description
        let digest = KioskCredentials.fileEntry(forToken: "t")
        let users: [(String, Int, String)] = [
            ("dr-a clinician", 1, "hash"),
            ("# c\ndr-a nurse \(hash)", 2, "role"),
            ("dr a! clinician \(hash)", 1, "line"),
            ("dr/a clinician \(hash)", 1, "id"),
            ("dr-a clinician \(hash)\ndr-a admin \(hash)", 2, "id"),
            ("dr-a clinician plaintext-password", 1, "hash"),
            ("\n\ndr-a clinician \(hash) extra", 3, "line"),
        ]
        for (text, line, key) in users {
            do {
                _ = try CredentialsFile.users(text, file: "users.txt")
                Issue.record("accepted \(text)")
            } catch {
                #expect(error.file == "users.txt" && error.line == line && error.key == key, "\(error)")
                #expect(error.description.hasPrefix("users.txt:\(line): \(key): "))
            }
        }
        let kiosks: [(String, Int, String)] = [
            ("kiosk-1", 1, "hash"),
            ("kiosk-1 plain-token", 1, "hash"),
            ("kiosk-1 sha256:abc", 1, "hash"),
            ("kiosk-1 \(digest)\nkiosk-1 \(digest)", 2, "id"),
            ("kiosk 1 \(digest)", 1, "line"),
        ]
        for (text, line, key) in kiosks {
            do {
                _ = try CredentialsFile.kiosks(text, file: "kiosks.txt")
                Issue.record("accepted \(text)")
            } catch {
                #expect(error.file == "kiosks.txt" && error.line == line && error.key == key, "\(error)")
            }
        }
        #expect(throws: CredentialsFileError.self) { try CredentialsFile.read("/nonexistent/users.txt") }
    }

    // MARK: - Kiosk tokens

    @Test func eachKioskOpensOnlyWithItsOwnToken() {
        let one = KioskCredentials.newToken(), two = KioskCredentials.newToken()
        #expect(one != two && one.count >= 43)
        let kiosks = KioskCredentials(digests: [
            "kiosk-1": KioskCredentials.digest(one), "kiosk-2": KioskCredentials.digest(two),
        ])
        #expect(kiosks.verify(kioskId: "kiosk-1", token: one))
        #expect(kiosks.verify(kioskId: "kiosk-2", token: two))
        #expect(!kiosks.verify(kioskId: "kiosk-1", token: two), "another kiosk's token")
        #expect(!kiosks.verify(kioskId: "kiosk-1", token: nil))
        #expect(!kiosks.verify(kioskId: "kiosk-1", token: ""))
        #expect(!kiosks.verify(kioskId: "kiosk-3", token: one), "an unknown kiosk")
    }

    @Test func theRelayRefusesAKioskWithAnotherKiosksTokenAndNeverLogsTokens() {
        let kiosks: KioskCredentials = ["kiosk-1": "token-one-secret", "kiosk-2": "token-two-secret"]
        var h = RelayHarness(settings: Relay.Settings(dev: false, kioskTokens: kiosks))
        var n: UInt64 = 0
        for (kiosk, token, accepted) in [("kiosk-1", "token-two-secret", false), ("kiosk-1", nil, false),
                                         ("kiosk-9", "token-one-secret", false), ("kiosk-1", "token-one-secret", true),
                                         ("kiosk-2", "token-two-secret", true)] as [(String, String?, Bool)] {
            n += 1
            let k = h.open(n)
            h.send(k, .hello(SignalingHello(role: .kiosk, kioskId: kiosk, token: token, software: "t")), id: "h\(n)")
            let first = h.take(k).first
            if accepted {
                guard case .welcome = first else { Issue.record("\(kiosk) refused its own token"); continue }
            } else if token == nil {
                // The protocol itself requires a kiosk's token (docs/signaling.md).
                #expect(first == .error(.init(code: .invalidField, message: "missing field token", inReplyTo: "h\(n)")))
            } else {
                #expect(first == .error(.init(code: .unauthorized, message: "unknown kiosk or wrong token", inReplyTo: "h\(n)")),
                        "\(kiosk) \(token ?? "none")")
            }
        }
        #expect(!h.logs.contains { $0.contains("token-one-secret") || $0.contains("token-two-secret") })
    }

    // MARK: - Dev mode is loopback only

    @Test func devModeRefusesAnyHostButLoopback() {
        for host in ["0.0.0.0", "::", "[::]", "192.168.1.20", "10.0.0.1", "example.org", "", "127.0.0.1.nip.io", "::ffff:127.0.0.1"] {
            #expect(throws: PracticeServerError.devNeedsLoopback(host), "\(host)") {
                try LaunchChecks.check(dev: true, host: host, tls: false, users: false)
            }
        }
        for host in ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost", "LOCALHOST"] {
            #expect(throws: Never.self, "\(host)") { try LaunchChecks.check(dev: true, host: host, tls: false, users: false) }
        }
        #expect(PracticeServerError.devNeedsLoopback("0.0.0.0").description.contains("loopback only"))
        #expect(throws: PracticeServerError.tlsRequired) { try LaunchChecks.check(dev: false, host: "0.0.0.0", tls: false, users: true) }
        #expect(throws: PracticeServerError.usersRequired) { try LaunchChecks.check(dev: false, host: "0.0.0.0", tls: true, users: false) }
        #expect(throws: Never.self) { try LaunchChecks.check(dev: false, host: "0.0.0.0", tls: true, users: true) }
    }

    // MARK: - Sessions

    /// A clock the test moves.
    final class TestClock: Sendable {
        let now = Mutex(Date(timeIntervalSince1970: 1_741_128_000))
        func advance(_ s: TimeInterval) { now.withLock { $0 = $0.addingTimeInterval(s) } }
        var read: @Sendable () -> Date { { self.now.withLock { $0 } } }
    }

    static let user = PracticeUser(id: "dr-a", role: .clinician, password: try! PasswordHash(
        parsing: "$pbkdf2-sha256$210000$a2lvc2tkLXRlc3Qtc2FsdA$su_tMe7YadDllmHf1v3y6GfqFhOCgFbcOG3N7rAemTs"))

    @Test func sessionsExpireWhenIdleAndAfterTheirLifetime() throws {
        let clock = TestClock()
        let auth = PracticeAuth(users: [Self.user], clock: clock.read)
        guard case .signedIn(let cookie, let csrf, let p) = auth.signIn(id: "dr-a", password: "correct horse battery") else {
            Issue.record("sign-in failed"); return
        }
        #expect(p == Principal(userId: "dr-a", role: .clinician))
        #expect(cookie != csrf && cookie.count >= 43 && csrf.count >= 43)
        #expect(auth.session(cookie: cookie)?.csrfToken == csrf)
        #expect(auth.session(cookie: cookie + "x") == nil)
        clock.advance(29 * 60)
        #expect(auth.session(cookie: cookie) != nil, "used within the idle timeout: still alive")
        clock.advance(30 * 60)
        #expect(auth.session(cookie: cookie) == nil, "idle for 30 min: gone")

        guard case .signedIn(let second, _, _) = auth.signIn(id: "dr-a", password: "correct horse battery") else {
            Issue.record("sign-in failed"); return
        }
        for _ in 0..<25 {
            clock.advance(29 * 60)
            _ = auth.session(cookie: second)
        }
        #expect(auth.session(cookie: second) == nil, "12 h after sign-in, however active")
        guard case .signedIn(let third, _, _) = auth.signIn(id: "dr-a", password: "correct horse battery") else { return }
        auth.signOut(cookie: third)
        #expect(auth.session(cookie: third) == nil)
    }

    @Test func repeatedFailedSignInsLockTheIdWithBackoff() {
        let clock = TestClock()
        let auth = PracticeAuth(users: [Self.user], clock: clock.read)
        for _ in 0..<4 { #expect(auth.signIn(id: "dr-a", password: "guess") == .refused) }
        #expect(auth.signIn(id: "dr-a", password: "guess") == .refused, "the fifth failure locks")
        #expect(auth.signIn(id: "dr-a", password: "correct horse battery") == .throttled(retryAfter: 30), "even the right password")
        clock.advance(31)
        #expect(auth.signIn(id: "dr-a", password: "guess") == .refused)
        #expect(auth.signIn(id: "dr-a", password: "correct horse battery") == .throttled(retryAfter: 60), "the lock doubles")
        clock.advance(61)
        guard case .signedIn = auth.signIn(id: "dr-a", password: "correct horse battery") else {
            Issue.record("the right password after the lock"); return
        }
        #expect(auth.signIn(id: "dr-a", password: "guess") == .refused, "a success resets the count")
        // Unknown ids are throttled the same way (and cost the same KDF work).
        for _ in 0..<5 { #expect(auth.signIn(id: "nobody", password: "x") == .refused) }
        #expect(auth.signIn(id: "nobody", password: "x") == .throttled(retryAfter: 30))
    }
}
