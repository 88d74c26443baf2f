import DevTools
import Foundation
@testable import PracticeKit
import Testing

/// The bundled page against production mode: TLS (a throwaway self-signed certificate made with
/// openssl), sign-in, only the clinician's own appointments, the call with a browser kiosk that
/// presents its own token, fresh TURN credentials handed to RTCPeerConnection, sign-out.
extension ClinicianPageTests {
    static let otherPatient = "Grace Hopper"

    @Test(.timeLimit(.minutes(2))) func productionModeSignInOwnAppointmentsAndTheCall() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("practice-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let (cert, key) = try Self.selfSignedCertificate(in: dir)

        let now = Date()
        var book = AppointmentBook()
        for (id, clinician, patient) in [("page-ok", Self.clinician, Self.patient), ("other-ok", "dr-other", Self.otherPatient)] {
            _ = book.upsert(Appointment(id: id, type: "Individual", scheduledAt: now.addingTimeInterval(30 * 60), timeZone: "America/Chicago",
                                        status: .scheduled, patient: .init(name: patient, portalAccount: true),
                                        clinician: .init(id: clinician, name: "Dr. \(clinician)", role: .clinician)))
        }
        book.assign(kioskId: "kiosk-page", appointmentId: "page-ok")
        let kioskToken = KioskCredentials.newToken()

        var options = PracticeServer.Options()
        options.port = 0
        options.tlsCertificate = cert
        options.tlsKey = key
        options.users = [
            PracticeUser(id: Self.clinician, role: .clinician, password: try PasswordHash.make("page password 1")),
            PracticeUser(id: "dr-other", role: .clinician, password: try PasswordHash.make("other password 1")),
        ]
        // A TURN URL on a closed loopback port: the call connects over host candidates; what is
        // checked is that the page hands the issued credential to its RTCPeerConnection.
        options.relay = Relay.Settings(dev: false, turn: TURNCredentials(urls: ["turn:127.0.0.1:9?transport=udp"], secret: "page-secret", ttl: 600),
                                       kioskTokens: KioskCredentials(digests: ["kiosk-page": KioskCredentials.digest(kioskToken)]))
        let logs = LogCapture()
        let server = PracticeServer(options: options, book: book, logger: logs.logger(level: .info))
        let (ports, portSignal) = AsyncStream<Int>.makeStream()
        let task = Task { try await server.run(handleSignals: false) { portSignal.yield($0) } }
        defer { task.cancel() }
        var it = ports.makeAsyncIterator()
        let port = try #require(await it.next())
        let base = "https://127.0.0.1:\(port)"

        var browserOptions = ChromiumBrowser.Options()
        browserOptions.extraArguments = ["--ignore-certificate-errors"]
        try await ChromiumBrowser.with(options: browserOptions) { browser in
            let page = try await browser.firstPage()
            // 1. Not signed in: the sign-in form, nothing else.
            try await page.navigate("\(base)/")
            try await page.waitFor("!document.getElementById('sign-in').hidden")
            #expect(try await page.evaluate("document.getElementById('list-view').hidden") == true)
            try await Self.shot(page, 21, "production-sign-in")

            // 2. A wrong password is refused on the page.
            try await Self.signIn(page, Self.clinician, "wrong password")
            try await page.waitFor("document.getElementById('sign-in-status').textContent === 'Unknown user id or wrong password.'")

            // 3. Signed in: only the clinician's own appointment; the cookie is out of scripts' reach.
            try await Self.signIn(page, Self.clinician, "page password 1")
            try await page.waitFor("telehealth.state() === 'list' && document.querySelectorAll('#appointments [data-appointment-id]').length === 1")
            #expect(try await page.evaluate("[...document.querySelectorAll('#appointments [data-appointment-id]')].map(e => e.dataset.appointmentId)")
                    == ["page-ok"])
            #expect(try await page.evaluate("document.body.textContent.includes('\(Self.otherPatient)')") == false)
            #expect(try await page.evaluate("document.cookie.includes('practice_session')") == false, "HttpOnly")
            #expect(try await page.evaluate("document.getElementById('signed-in').textContent") == .string("Signed in as \(Self.clinician)"))
            try await Self.shot(page, 22, "production-own-list")

            // 4. Another clinician's appointment, opened directly, does not open.
            let other = try await page.evaluate("fetch('/api/appointments/other-ok').then(r => r.status)")
            #expect(other == 404)

            // 5. Start the call; the kiosk tab joins with its own token; media both ways.
            try await page.click("[data-appointment-id='page-ok']")
            try await page.waitFor("document.getElementById('start-telehealth')")
            try await page.click("#start-telehealth")
            try await page.waitFor("telehealth.state() === 'device-check' && !document.getElementById('join-session').disabled",
                                   timeout: .seconds(20))
            try await page.click("#join-session")
            try await page.waitFor("telehealth.state() === 'waiting' && 'joined' in telehealth.timings")
            let kiosk = try await browser.newPage()
            try await kiosk.navigate("\(base)/?role=kiosk&kiosk=kiosk-page&token=\(kioskToken)&autojoin=1")
            try await Self.waitForMedia(page, kiosk)
            try await Self.shot(page, 23, "production-in-call")
            let turn = try await page.evaluate("telehealth.pc.getConfiguration().iceServers.map(s => s.username)")
            let username = turn.array?.first?.string ?? ""
            #expect(username.hasSuffix(":\(Self.clinician)"), "the page's TURN credential: \(turn)")
            let expiry = Int(username.split(separator: ":").first ?? "") ?? 0
            #expect(abs(expiry - (Int(Date().timeIntervalSince1970) + 600)) < 120)
            let kioskTurn = try await kiosk.evaluate("telehealth.pc.getConfiguration().iceServers.map(s => s.username)")
            #expect(kioskTurn.array?.first?.string?.hasSuffix(":kiosk-page") == true, "\(kioskTurn)")

            // 6. End, sign out: the sign-in form again, and the session is gone for the API too.
            try await page.click("#end-session")
            try await page.waitFor("telehealth.state() === 'ended'")
            try await page.evaluate("document.getElementById('ended-dialog').close()")
            try await page.click("#sign-out")
            try await page.waitFor("document.readyState === 'complete' && !document.getElementById('sign-in').hidden")
            #expect(try await page.evaluate("fetch('/api/appointments').then(r => r.status)") == 401)

            for p in [page, kiosk] {
                #expect(!p.consoleMessages.contains { $0.contains(Self.patient) || $0.contains(Self.otherPatient) })
            }
            let kioskErrors = try await kiosk.evaluate("telehealth.errors")
            #expect(kioskErrors == [] || kioskErrors.array?.allSatisfy { $0.string?.hasPrefix("addIceCandidate") == true } == true,
                    "\(kioskErrors)")
        }
        task.cancel()
        _ = await task.result
        #expect(!logs.all.contains { $0.contains(Self.patient) || $0.contains(Self.otherPatient) || $0.contains(kioskToken) })
    }

    static func signIn(_ page: ChromiumPage, _ id: String, _ password: String) async throws {
        try await page.evaluate("""
            document.getElementById('sign-in-id').value = \(JSONValue.string(id));
            document.getElementById('sign-in-password').value = \(JSONValue.string(password));
            document.getElementById('sign-in-status').textContent = '';
            """)
        try await page.click("#sign-in-submit")
    }

    /// An ECDSA P-256 certificate for 127.0.0.1, valid one day, made by the openssl command line.
    static func selfSignedCertificate(in dir: URL) throws -> (cert: String, key: String) {
        let cert = dir.appendingPathComponent("cert.pem").path, key = dir.appendingPathComponent("key.pem").path
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        p.arguments = ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
                       "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw WSPeer.Timeout(description: "openssl req failed: \(p.terminationStatus)") }
        return (cert, key)
    }
}
