import COpenSSL

/// The kiosk's DTLS identity for one run: an ECDSA P-256 key and a self-signed X.509
/// certificate, and its fingerprint for `a=fingerprint` (RFC 5763 §5, RFC 8122).
/// WebRTC peers authenticate by that fingerprint, not by a CA, so a fresh pair per run is
/// what browsers do too.
///
/// `@unchecked Sendable`: the key and certificate are created in `init` and never mutated
/// afterwards; OpenSSL allows concurrent read-only use (and reference counting) of an
/// `EVP_PKEY` and an `X509`, which is all `SSL_CTX_use_certificate`/`_PrivateKey` do.
public final class DTLSCertificate: @unchecked Sendable {
    let privateKey: OpaquePointer
    let x509: OpaquePointer
    /// SHA-256 fingerprint, the one kioskd puts in its SDP.
    public let fingerprint: DTLSFingerprint

    /// Generates a key pair and certificate. Validity starts an hour in the past (clock skew)
    /// and lasts `validityDays`; the serial is random. Reads the wall clock (certificate
    /// dates) and the OS random source; the protocol state machines do neither.
    public init(commonName: String = "kioskd", validityDays: Int = 30) throws(DTLSError) {
        ERR_clear_error()
        guard let key = kiosk_EVP_EC_gen_P256() else {
            throw .certificateGeneration("EVP_EC_gen: \(OpenSSLErrors.drain())")
        }
        guard let cert = X509_new() else {
            EVP_PKEY_free(key)
            throw .certificateGeneration("X509_new: \(OpenSSLErrors.drain())")
        }
        do throws(DTLSError) {
            try Self.fill(cert, key: key, commonName: commonName, validityDays: validityDays)
            fingerprint = try DTLSFingerprint(certificate: cert, algorithm: .sha256)
        } catch {
            X509_free(cert)
            EVP_PKEY_free(key)
            throw error
        }
        privateKey = key
        x509 = cert
    }

    deinit {
        X509_free(x509)
        EVP_PKEY_free(privateKey)
    }

    /// The fingerprint with another hash function (the peer may ask for sha-1/384/512).
    public func fingerprint(using algorithm: DTLSHashFunction) throws(DTLSError) -> DTLSFingerprint {
        try DTLSFingerprint(certificate: x509, algorithm: algorithm)
    }

    /// The certificate's DER encoding (what the fingerprint is a digest of).
    public var derEncoded: [UInt8] {
        let length = i2d_X509(x509, nil)
        guard length > 0 else { return [] }
        var der = [UInt8](repeating: 0, count: Int(length))
        let written = der.withUnsafeMutableBufferPointer { buf -> Int32 in
            var cursor = buf.baseAddress
            return i2d_X509(x509, &cursor)
        }
        return written == length ? der : []
    }

    private static func fill(_ cert: OpaquePointer, key: OpaquePointer, commonName: String,
                             validityDays: Int) throws(DTLSError) {
        func check(_ ok: Bool, _ what: String) throws(DTLSError) {
            if !ok { throw .certificateGeneration("\(what): \(OpenSSLErrors.drain())") }
        }
        try check(X509_set_version(cert, 2) == 1, "X509_set_version")  // 2 means v3
        // A random positive 63-bit serial (RFC 5280 §4.1.2.2 wants it unique per issuer).
        var serial: UInt64 = 0
        try check(withUnsafeMutableBytes(of: &serial) { RAND_bytes($0.baseAddress, Int32($0.count)) } == 1, "RAND_bytes")
        serial = (serial & 0x7FFF_FFFF_FFFF_FFFF) | 1
        try check(ASN1_INTEGER_set_uint64(X509_get_serialNumber(cert), serial) == 1, "serial")
        try check(X509_gmtime_adj(X509_getm_notBefore(cert), -3600) != nil, "notBefore")
        try check(X509_gmtime_adj(X509_getm_notAfter(cert), validityDays * 86_400) != nil, "notAfter")
        try check(X509_set_pubkey(cert, key) == 1, "X509_set_pubkey")
        guard let name = X509_get_subject_name(cert) else { throw .certificateGeneration("subject name") }
        let added = commonName.withCString { cn in
            cn.withMemoryRebound(to: UInt8.self, capacity: commonName.utf8.count + 1) {
                X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, $0, -1, -1, 0)
            }
        }
        try check(added == 1, "common name")
        try check(X509_set_issuer_name(cert, name) == 1, "issuer name")  // self-signed
        try check(X509_sign(cert, key, EVP_sha256()) > 0, "X509_sign")
    }
}
