import COpenSSL
import SessionCore

/// A TLS client over a byte stream, sans-IO (TURN over TLS, RFC 8656 §3.1; `turns:` URLs,
/// RFC 7065): ciphertext in through `receive`, ciphertext out through `takeCiphertext`,
/// plaintext through `read` and `write`. It never touches a socket; the driver moves bytes
/// between it and a non-blocking TCP socket.
///
/// Trust: the server's chain must lead to a CA in the system store (/etc/ssl/certs) or in
/// `Configuration.caFile`, and its certificate must name `serverName` (a DNS name, matched
/// with OpenSSL's RFC 6125 rules, or an IP literal matched against iPAddress SANs). SNI
/// carries DNS names (RFC 6066 §3 forbids IP literals there).
///
/// Two memory BIOs, not a custom BIO as DTLS has: a stream needs no datagram boundaries and
/// no MTU, and OpenSSL's own mem BIO buffers exactly what one call writes. Not `Sendable`;
/// the driver's engine thread owns it.
public final class TLSClientStream {
    public struct Configuration: Sendable, Equatable {
        public var serverName: String
        /// A PEM file of CAs trusted besides the system's (a private or test CA).
        public var caFile: String?
        /// Where the system CAs are (Debian's ca-certificates).
        public var systemCADirectory: String

        public init(serverName: String, caFile: String? = nil, systemCADirectory: String = "/etc/ssl/certs") {
            self.serverName = serverName
            self.caFile = caFile
            self.systemCADirectory = systemCADirectory
        }
    }

    public enum State: Equatable, Sendable {
        case handshaking, connected, failed(TLSError), closed
    }

    public private(set) var state: State = .handshaking
    private let sslContext: OpaquePointer
    private let ssl: OpaquePointer
    /// Ciphertext from the network, read by OpenSSL; ciphertext OpenSSL wrote for the network.
    private let networkIn: OpaquePointer
    private let networkOut: OpaquePointer

    public init(configuration: Configuration) throws(TLSError) {
        ERR_clear_error()
        guard let ctx = SSL_CTX_new(TLS_client_method()) else { throw .configuration(OpenSSLErrors.drain()) }
        _ = kiosk_SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION)
        // The system store, then the configured CA file; an unreadable file is an error, not
        // a silent fall-back to the system store alone.
        _ = SSL_CTX_load_verify_locations(ctx, nil, configuration.systemCADirectory)
        ERR_clear_error()
        if let caFile = configuration.caFile, SSL_CTX_load_verify_locations(ctx, caFile, nil) != 1 {
            SSL_CTX_free(ctx)
            throw .configuration("cannot load the CA file: \(OpenSSLErrors.drain())")
        }
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nil)
        guard let ssl = SSL_new(ctx) else {
            SSL_CTX_free(ctx)
            throw .configuration(OpenSSLErrors.drain())
        }
        guard let rbio = BIO_new(BIO_s_mem()), let wbio = BIO_new(BIO_s_mem()) else {
            SSL_free(ssl)
            SSL_CTX_free(ctx)
            throw .configuration(OpenSSLErrors.drain())
        }
        SSL_set_bio(ssl, rbio, wbio)  // the SSL owns both BIOs from here
        let name = configuration.serverName
        let isIP = TransportAddress(host: name, port: 0) != nil
        let param = SSL_get0_param(ssl)
        let named = isIP ? X509_VERIFY_PARAM_set1_ip_asc(param, name) : SSL_set1_host(ssl, name)
        if named != 1 || (!isIP && kiosk_SSL_set_tlsext_host_name(ssl, name) != 1) {
            SSL_free(ssl)
            SSL_CTX_free(ctx)
            throw .configuration("invalid server name: \(OpenSSLErrors.drain())")
        }
        SSL_set_connect_state(ssl)
        sslContext = ctx
        self.ssl = ssl
        networkIn = rbio
        networkOut = wbio
    }

    deinit {
        SSL_free(ssl)
        SSL_CTX_free(sslContext)
    }

    public var isConnected: Bool { state == .connected }

    /// Writes the ClientHello (take it with `takeCiphertext`).
    public func start() {
        advanceHandshake()
    }

    /// Ciphertext the server sent. Continues the handshake; afterwards the plaintext waits for
    /// `read`.
    public func receive(_ ciphertext: UnsafeRawBufferPointer) {
        guard !ciphertext.isEmpty, state == .handshaking || state == .connected else { return }
        _ = BIO_write(networkIn, ciphertext.baseAddress, Int32(ciphertext.count))
        if state == .handshaking { advanceHandshake() }
    }

    /// Decrypted bytes into `buffer`; 0 when none are ready (or the stream ended: see `state`).
    public func read(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        guard state == .connected, let base = buffer.baseAddress, !buffer.isEmpty else { return 0 }
        ERR_clear_error()
        let n = SSL_read(ssl, base, Int32(clamping: buffer.count))
        if n > 0 { return Int(n) }
        switch SSL_get_error(ssl, n) {
        case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
            break
        case SSL_ERROR_ZERO_RETURN:
            state = .closed
        default:
            state = .failed(.connectionFailed(OpenSSLErrors.drain()))
        }
        return 0
    }

    /// Encrypts `plaintext` (connected only; false otherwise). The records wait for
    /// `takeCiphertext`. A memory BIO takes any amount, so a write is never partial.
    @discardableResult
    public func write(_ plaintext: UnsafeRawBufferPointer) -> Bool {
        guard state == .connected else { return false }
        guard let base = plaintext.baseAddress, !plaintext.isEmpty else { return true }
        ERR_clear_error()
        let n = SSL_write(ssl, base, Int32(clamping: plaintext.count))
        guard n == plaintext.count else {
            state = .failed(.connectionFailed(OpenSSLErrors.drain()))
            return false
        }
        return true
    }

    /// Appends the ciphertext waiting for the network to `out`.
    /// Read straight into `out`'s storage: once the caller's buffer has grown, no allocation.
    public func takeCiphertext(into out: inout [UInt8]) {
        let pending = Int(BIO_ctrl_pending(networkOut))
        guard pending > 0 else { return }
        let old = out.count
        out.append(contentsOf: repeatElement(0, count: pending))
        let n = out.withUnsafeMutableBytes { raw in
            BIO_read(networkOut, raw.baseAddress.map { $0 + old }, Int32(clamping: pending))
        }
        out.removeLast(pending - max(0, Int(n)))
    }

    /// Whether ciphertext waits for `takeCiphertext`.
    public var hasCiphertext: Bool { BIO_ctrl_pending(networkOut) > 0 }

    private func advanceHandshake() {
        ERR_clear_error()
        let result = SSL_do_handshake(ssl)
        if result == 1 {
            state = .connected
            return
        }
        switch SSL_get_error(ssl, result) {
        case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
            return
        default:
            let verify = SSL_get_verify_result(ssl)
            state = .failed(verify == X509_V_OK ? .handshakeFailed(OpenSSLErrors.drain()) : Self.verifyError(verify))
            ERR_clear_error()
        }
    }

    /// X509_V_ERR_* as the few reasons an operator acts on, the rest with OpenSSL's text.
    static func verifyError(_ code: Int) -> TLSError {
        switch Int32(code) {
        case X509_V_ERR_CERT_HAS_EXPIRED: return .certificateExpired
        case X509_V_ERR_CERT_NOT_YET_VALID: return .certificateNotYetValid
        case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT,
             X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT, X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN,
             X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
            return .unknownCA
        case X509_V_ERR_HOSTNAME_MISMATCH, X509_V_ERR_IP_ADDRESS_MISMATCH:
            return .nameMismatch
        default:
            return .certificateInvalid(String(cString: X509_verify_cert_error_string(code)))
        }
    }
}
