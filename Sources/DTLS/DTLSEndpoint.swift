import CDTLSClock
import COpenSSL
import SessionCore
import SRTP

/// One DTLS 1.2 association for DTLS-SRTP (RFC 5763, RFC 5764), sans-IO, over OpenSSL 3.
///
/// Feed it datagrams (`handleDatagram`) and timer expiries (`handleTimeout`) with the current
/// time, then drain `poll()`: datagrams to send, `.connected` with the SRTP keys, `.failed`,
/// `.closed`, and the next `.timeout`. It never touches a socket or spawns anything.
///
/// Time is ours. OpenSSL's DTLS retransmission timer reads `gettimeofday` and takes no clock
/// from its caller (`DTLS_set_timer_cb` sets only the durations: 1 s doubling to 60 s, RFC
/// 6347 §4.2.4.1), so every call into OpenSSL runs inside `withClock(now)`, which makes the
/// process's `gettimeofday` (CDTLSClock) return `now` on this thread. OpenSSL's deadlines are
/// then instants of the endpoint's own time: a simulated-time test loses a flight and sees it
/// retransmitted at the simulated instant, with no real sleep.
///
/// A class, not a struct: it owns an `SSL*` whose callbacks need a stable address. Not
/// `Sendable`; one owner drives it.
public final class DTLSEndpoint: SansIOMachine {
    public struct Configuration: Sendable {
        /// Largest datagram OpenSSL may write (UDP payload). 1200 leaves room under IPv6's
        /// 1280-byte minimum MTU for IP, UDP and TURN framing.
        public var mtu: Int
        /// First retransmission timeout; doubled per retransmission, capped at 60 s
        /// (RFC 6347 §4.2.4.1). OpenSSL gives up after 12 timeouts in one flight.
        public var initialRetransmitTimeout: Duration

        public init(mtu: Int = 1200, initialRetransmitTimeout: Duration = .seconds(1)) {
            self.mtu = mtu
            self.initialRetransmitTimeout = initialRetransmitTimeout
        }
    }

    public enum State: Sendable, Equatable {
        case idle, handshaking, connected, failed, closed
    }

    /// Offered cipher suites: ECDSA first (our certificate), RSA for peers with RSA keys.
    static let cipherList = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
        + "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
        + "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
        + "ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA"
    static let groups = "X25519:P-256"
    static let maximumRetransmitMicroseconds: UInt32 = 60_000_000

    public let role: DTLSRole
    public let srtpProfiles: [SRTPProfile]
    public private(set) var state: State = .idle
    /// Set once `.connected` has been emitted.
    public private(set) var connectionInfo: DTLSConnectionInfo?
    /// When `handleTimeout` should next be called, if a retransmission timer is running.
    public private(set) var nextTimeout: Instant?

    private let context: DTLSEndpointContext
    private let sslContext: OpaquePointer
    private let ssl: OpaquePointer
    /// Events and the closing `.timeout`; datagrams wait in `context.outbound`, where the BIO
    /// writes them from inside OpenSSL, and leave first.
    private var outputs = OutputQueue<DTLSOutput>(capacity: 4)
    private var readBuffer = [UInt8](repeating: 0, count: 2048)

    /// - Parameters:
    ///   - expectedRemoteFingerprint: from the peer's SDP `a=fingerprint`; the handshake fails
    ///     unless the peer's certificate has this digest.
    ///   - srtpProfiles: offered (client) or accepted (server) in preference order.
    public init(role: DTLSRole, certificate: DTLSCertificate, expectedRemoteFingerprint: DTLSFingerprint,
                srtpProfiles: [SRTPProfile] = SRTPProfile.defaultPreference,
                configuration: Configuration = Configuration()) throws(DTLSError) {
        guard !srtpProfiles.isEmpty else { throw .configuration("no SRTP profile to offer") }
        guard expectedRemoteFingerprint.bytes.count == expectedRemoteFingerprint.algorithm.digestLength else {
            throw .invalidFingerprint("wrong digest length")
        }
        guard (256...16_384).contains(configuration.mtu) else { throw .configuration("MTU out of range") }
        let rto = configuration.initialRetransmitTimeout.nanosecondsClamped / 1000
        let rtoMicroseconds = UInt32(clamping: max(1000, min(rto, Int64(Self.maximumRetransmitMicroseconds))))

        ERR_clear_error()
        guard let sslContext = SSL_CTX_new(DTLS_method()) else {
            throw .configuration("SSL_CTX_new: \(OpenSSLErrors.drain())")
        }
        do throws(DTLSError) {
            try Self.configure(sslContext, certificate: certificate, profiles: srtpProfiles)
        } catch {
            SSL_CTX_free(sslContext)
            throw error
        }
        guard let ssl = SSL_new(sslContext) else {
            SSL_CTX_free(sslContext)
            throw .configuration("SSL_new: \(OpenSSLErrors.drain())")
        }
        let context = DTLSEndpointContext(expectedFingerprint: expectedRemoteFingerprint,
                                          initialRetransmitMicroseconds: rtoMicroseconds)
        guard let bio = DTLSDatagramBIO.make(context: context) else {
            SSL_free(ssl)
            SSL_CTX_free(sslContext)
            throw .configuration("BIO_new: \(OpenSSLErrors.drain())")
        }
        SSL_set_bio(ssl, bio, bio)  // the SSL takes the BIO's one reference
        DTLS_set_timer_cb(ssl, { ssl, previous in
            let initial = DTLSEndpointContext.from(ssl: ssl)?.initialRetransmitMicroseconds ?? 1_000_000
            guard previous > 0 else { return initial }
            // RFC 6347 §4.2.4.1: double the timer on each retransmission, up to 60 s.
            return previous >= DTLSEndpoint.maximumRetransmitMicroseconds / 2
                ? DTLSEndpoint.maximumRetransmitMicroseconds : previous * 2
        })
        // Without QUERY_MTU (set in configure) OpenSSL uses this, minus the BIO's overhead (0).
        guard kiosk_DTLS_set_link_mtu(ssl, configuration.mtu) == 1 else {
            SSL_free(ssl)
            SSL_CTX_free(sslContext)
            throw .configuration("DTLS_set_link_mtu: \(OpenSSLErrors.drain())")
        }
        switch role {
        case .client: SSL_set_connect_state(ssl)
        case .server: SSL_set_accept_state(ssl)
        }
        self.role = role
        self.srtpProfiles = srtpProfiles
        self.context = context
        self.sslContext = sslContext
        self.ssl = ssl
    }

    deinit {
        SSL_free(ssl)  // frees the BIO too, before `context` is released
        SSL_CTX_free(sslContext)
    }

    /// Begins the handshake: a client sends its ClientHello; a server just waits (it also
    /// starts by itself on the first datagram).
    public func start(now: Instant) {
        outputs.inputHandled()
        guard state == .idle else { return }
        state = .handshaking
        process(now: now)
    }

    /// One received UDP datagram that demultiplexed as DTLS.
    public func handleDatagram(_ datagram: [UInt8], now: Instant) {
        outputs.inputHandled()
        // RFC 7983 §7: DTLS datagrams start with a byte in 20...63; ignore anything else.
        guard let first = datagram.first, (20...63).contains(first) else { return }
        switch state {
        case .idle:
            guard role == .server else { return }  // a client speaks first
            state = .handshaking
        case .handshaking, .connected:
            break
        case .failed, .closed:
            return
        }
        guard context.inbound.count < 8 else { return }  // never grows: each input is processed now
        context.inbound.append(datagram)
        process(now: now)
    }

    /// Call at (or after) the last `.timeout` instant: retransmits the current flight (the
    /// timer is OpenSSL's, on the endpoint's clock). An early call changes nothing.
    public func handleTimeout(now: Instant) {
        outputs.inputHandled()
        guard state == .handshaking || state == .connected else { return }
        // Early: the deadline stands (OpenSSL would round the last 15 ms down to now).
        guard let deadline = nextTimeout, now >= deadline else { return }
        ERR_clear_error()
        if withClock(now, { kiosk_DTLSv1_handle_timeout(ssl) }) < 0 {
            let reason = OpenSSLErrors.drain()
            fail(state == .handshaking ? .handshakeFailed(reason) : .connectionFailed(reason))
            return
        }
        withClock(now) { refreshTimeout(now: now) }
    }

    /// Sends close_notify if connected, and stops.
    public func close(now: Instant) {
        outputs.inputHandled()
        switch state {
        case .connected:
            ERR_clear_error()
            _ = withClock(now) { SSL_shutdown(ssl) }
            ERR_clear_error()
        case .idle, .handshaking:
            break
        case .failed, .closed:
            return
        }
        state = .closed
        nextTimeout = nil
    }

    /// The drain contract (`SansIOMachine`): datagrams first (in order), then events, then one
    /// `.timeout` (`Instant.never` when no flight awaits an answer), then nil.
    public func poll() -> DTLSOutput? {
        if !context.outbound.isEmpty {
            return .transmit(context.outbound.removeFirst())
        }
        if let event = outputs.next() { return event }
        return outputs.owesTimeout() ? .timeout(nextTimeout ?? .never) : nil
    }

    /// Runs `body` (a call into OpenSSL) with `gettimeofday` reading `now` on this thread.
    private func withClock<R>(_ now: Instant, _ body: () -> R) -> R {
        kiosk_dtls_clock_begin(now.nanoseconds)
        defer { kiosk_dtls_clock_end() }
        return body()
    }

    /// Whether OpenSSL's DTLS timer reads the endpoint's clock (the process's gettimeofday is
    /// CDTLSClock's); false would mean retransmissions follow the wall clock.
    public static var ownsOpenSSLClock: Bool { kiosk_dtls_clock_installed() == 1 }

    // MARK: - Driving OpenSSL

    private func process(now: Instant) {
        withClock(now) {
            if state == .handshaking { continueHandshake() }
            if state == .connected { readRecords() }
            refreshTimeout(now: now)
        }
    }

    private func continueHandshake() {
        ERR_clear_error()
        let result = SSL_do_handshake(ssl)
        if result == 1 {
            completeHandshake()
            return
        }
        switch SSL_get_error(ssl, result) {
        case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
            return
        default:
            let reason = OpenSSLErrors.drain()
            fail(context.fingerprintMismatch ? .fingerprintMismatch : .handshakeFailed(reason))
        }
    }

    private func completeHandshake() {
        // The verify callback already pinned the certificate; checking the final peer
        // certificate again here means no key leaves without a match even if OpenSSL skipped
        // the callback (e.g. a future session-resumption path).
        guard let peer = SSL_get1_peer_certificate(ssl) else {
            fail(.missingPeerCertificate, notifyPeer: true)
            return
        }
        defer { X509_free(peer) }
        let expected = context.expectedFingerprint
        guard let actual = try? DTLSFingerprint(certificate: peer, algorithm: expected.algorithm),
              actual.matches(expected)
        else {
            fail(.fingerprintMismatch, notifyPeer: true)
            return
        }
        guard let selected = SSL_get_selected_srtp_profile(ssl),
              let profile = SRTPProfile(protectionProfileID: UInt16(truncatingIfNeeded: selected.pointee.id)),
              srtpProfiles.contains(profile)
        else {
            fail(.noSRTPProfileNegotiated, notifyPeer: true)
            return
        }
        // RFC 5764 §4.2: 2 * (key + salt) bytes from the RFC 5705 exporter, no context.
        var exported = [UInt8](repeating: 0, count: SRTPKeyingMaterial.exportLength(for: profile))
        let label = "EXTRACTOR-dtls_srtp"
        let ok = label.withCString { l in
            exported.withUnsafeMutableBufferPointer { out in
                SSL_export_keying_material(ssl, out.baseAddress, out.count, l, label.utf8.count, nil, 0, 0)
            }
        }
        guard ok == 1, let material = try? SRTPKeyingMaterial(profile: profile, exported: exported) else {
            fail(.keyExportFailed(OpenSSLErrors.drain()), notifyPeer: true)
            return
        }
        let version = SSL_get_version(ssl).map { String(cString: $0) } ?? "unknown"
        let cipher = SSL_CIPHER_get_name(SSL_get_current_cipher(ssl)).map { String(cString: $0) } ?? "unknown"
        let info = DTLSConnectionInfo(role: role, profile: profile, version: version, cipher: cipher,
                                      remoteFingerprint: actual, keyingMaterial: material)
        connectionInfo = info
        state = .connected
        outputs.push(.connected(info))
    }

    /// After the handshake: lets OpenSSL see alerts, close_notify and a retransmitted final
    /// flight from the peer (to which it re-sends ours). Application data is discarded:
    /// kioskd has no data channels.
    private func readRecords() {
        for _ in 0..<64 {
            ERR_clear_error()
            let n = readBuffer.withUnsafeMutableBytes { SSL_read(ssl, $0.baseAddress, Int32($0.count)) }
            if n > 0 { continue }
            switch SSL_get_error(ssl, n) {
            case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
                return
            case SSL_ERROR_ZERO_RETURN:
                // The peer's close_notify; answer with ours (RFC 5246 §7.2.1).
                _ = SSL_shutdown(ssl)
                ERR_clear_error()
                state = .closed
                nextTimeout = nil
                outputs.push(.closed)
                return
            default:
                fail(.connectionFailed(OpenSSLErrors.drain()))
                return
            }
        }
    }

    private func refreshTimeout(now: Instant) {
        guard state == .handshaking || state == .connected else {
            nextTimeout = nil
            return
        }
        var remaining = timeval()
        // Inside `withClock(now)` (every caller is): the remaining time is on our clock.
        if kiosk_DTLSv1_get_timeout(ssl, &remaining) == 1 {
            nextTimeout = now + .seconds(Int64(remaining.tv_sec)) + .microseconds(Int64(remaining.tv_usec))
        } else {
            nextTimeout = nil
        }
    }

    private func fail(_ error: DTLSError, notifyPeer: Bool = false) {
        guard state != .failed, state != .closed else { return }
        if notifyPeer {
            // The handshake completed in OpenSSL's eyes; tell the peer we are not going on.
            ERR_clear_error()
            _ = SSL_shutdown(ssl)
        }
        ERR_clear_error()
        state = .failed
        nextTimeout = nil
        outputs.push(.failed(error))
    }

    private static func configure(_ ctx: OpaquePointer, certificate: DTLSCertificate,
                                  profiles: [SRTPProfile]) throws(DTLSError) {
        func check(_ ok: Bool, _ what: String) throws(DTLSError) {
            if !ok { throw .configuration("\(what): \(OpenSSLErrors.drain())") }
        }
        // DTLS 1.2 only: the DTLS-SRTP exporter path every browser supports (they fall back
        // from 1.3).
        try check(kiosk_SSL_CTX_set_min_proto_version(ctx, kiosk_DTLS1_2_VERSION()) == 1, "min version")
        try check(kiosk_SSL_CTX_set_max_proto_version(ctx, kiosk_DTLS1_2_VERSION()) == 1, "max version")
        // The SSL_CTX takes its own references to the certificate and key.
        try check(SSL_CTX_use_certificate(ctx, certificate.x509) == 1, "use certificate")
        try check(SSL_CTX_use_PrivateKey(ctx, certificate.privateKey) == 1, "use private key")
        try check(SSL_CTX_check_private_key(ctx) == 1, "check private key")
        try check(SSL_CTX_set_cipher_list(ctx, cipherList) == 1, "cipher list")
        try check(kiosk_SSL_CTX_set1_groups_list(ctx, groups) == 1, "groups")
        // Returns 0 on success, unlike its neighbours.
        let names = profiles.map(\.openSSLName).joined(separator: ":")
        try check(SSL_CTX_set_tlsext_use_srtp(ctx, names) == 0, "use_srtp")
        _ = SSL_CTX_set_options(ctx, kiosk_SSL_OP_NO_QUERY_MTU() | kiosk_SSL_OP_NO_TICKET())
        _ = kiosk_SSL_CTX_set_read_ahead(ctx, 1)
        // Both sides present certificates (RFC 5763 §5); the callback pins the peer's by fingerprint.
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, { _, store in
            guard let store,
                  let sslPointer = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()),
                  let context = DTLSEndpointContext.from(ssl: OpaquePointer(sslPointer)),
                  let leaf = X509_STORE_CTX_get0_cert(store)
            else { return 0 }
            // Chain errors (self-signed, unknown issuer, dates) do not matter: WebRTC
            // authenticates the end-entity certificate by its SDP fingerprint alone
            // (RFC 5763 §6.2, RFC 8827 §6.5). Every call checks the leaf, whatever the depth.
            let expected = context.expectedFingerprint
            guard let actual = try? DTLSFingerprint(certificate: leaf, algorithm: expected.algorithm),
                  actual.matches(expected)
            else {
                context.fingerprintMismatch = true
                // Reported to the peer as bad_certificate (not the chain error's unknown_ca).
                X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_REJECTED)
                return 0
            }
            X509_STORE_CTX_set_error(store, X509_V_OK)
            return 1
        })
    }
}
