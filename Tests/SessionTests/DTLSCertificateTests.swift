import COpenSSL
@testable import DTLS
import Foundation
import Testing

@Suite struct DTLSCertificateTests {
    @Test func generatesAFreshSelfSignedP256CertificatePerCall() throws {
        let a = try DTLSCertificate()
        let b = try DTLSCertificate()
        #expect(a.fingerprint != b.fingerprint)
        #expect(a.fingerprint.algorithm == .sha256)
        #expect(a.fingerprint.bytes.count == 32)

        let cert = try #require(d2i(a.derEncoded))
        defer { X509_free(cert) }
        // Self-signed: issuer is subject, and the signature verifies with its own key.
        #expect(X509_NAME_cmp(X509_get_subject_name(cert), X509_get_issuer_name(cert)) == 0)
        let key = try #require(X509_get0_pubkey(cert))
        #expect(X509_verify(cert, key) == 1)
        #expect(EVP_PKEY_get_base_id(key) == EVP_PKEY_EC)
        #expect(EVP_PKEY_get_bits(key) == 256)
        // CN=kioskd; valid now and for about 30 days.
        var cn = [CChar](repeating: 0, count: 64)
        #expect(X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, &cn, 64) == 6)
        #expect(String(decoding: cn.prefix(6).map { UInt8($0) }, as: UTF8.self) == "kioskd")
        #expect(X509_cmp_current_time(X509_get0_notBefore(cert)) < 0)
        var days: Int32 = 0, seconds: Int32 = 0
        #expect(ASN1_TIME_diff(&days, &seconds, X509_get0_notBefore(cert), X509_get0_notAfter(cert)) == 1)
        #expect(days == 30)  // 30 days from now, plus the hour of backdating
        #expect(seconds == 3600)
        // A random, positive serial.
        let serialA = X509_get0_serialNumber(cert)
        let certB = try #require(d2i(b.derEncoded))
        defer { X509_free(certB) }
        #expect(ASN1_INTEGER_cmp(serialA, X509_get0_serialNumber(certB)) != 0)
    }

    @Test func fingerprintIsTheSHA256OfTheDEREncoding() throws {
        let c = try DTLSCertificate()
        let der = c.derEncoded
        #expect(!der.isEmpty)
        var digest = [UInt8](repeating: 0, count: 32)
        _ = der.withUnsafeBufferPointer { SHA256($0.baseAddress, $0.count, &digest) }
        #expect(c.fingerprint.bytes == digest)
        // SDP form: lower-case hash name, upper-case colon-separated hex (RFC 8122 §5).
        let value = c.fingerprint.sdpValue
        #expect(value.hasPrefix("sha-256 "))
        #expect(value.count == 8 + 32 * 3 - 1)
        #expect(c.fingerprint.hexString == digest.map { b in
            let h = String(b, radix: 16, uppercase: true)
            return h.count == 1 ? "0" + h : h
        }.joined(separator: ":"))
    }

    @Test(arguments: DTLSHashFunction.allCases)
    func otherHashFunctions(function: DTLSHashFunction) throws {
        let c = try DTLSCertificate()
        let f = try c.fingerprint(using: function)
        #expect(f.algorithm == function)
        #expect(f.bytes.count == function.digestLength)
        #expect(try DTLSFingerprint(sdpValue: f.sdpValue) == f)
    }

    @Test func parsesTheFingerprintsOfRealBrowserSDPs() throws {
        let names = ["chromium-offer", "chromium-answer", "firefox-offer", "firefox-answer",
                     "chromium-answer-to-firefox-offer", "firefox-answer-to-chromium-offer", "safari-offer"]
        var seen = 0
        for name in names {
            let url = try #require(Bundle.module.url(forResource: name, withExtension: "sdp", subdirectory: "Fixtures/sdp"))
            let sdp = try String(contentsOf: url, encoding: .utf8)
            for line in sdp.split(whereSeparator: \.isNewline) where line.hasPrefix("a=fingerprint:") {
                let value = String(line.dropFirst("a=fingerprint:".count))
                let f = try DTLSFingerprint(sdpValue: value)
                #expect(f.algorithm == .sha256)
                #expect(f.bytes.count == 32)
                #expect(f.sdpValue == value)  // browsers use exactly our output form
                // Case-insensitive names and hex (RFC 8122 §5).
                #expect(try DTLSFingerprint(sdpValue: value.uppercased()) == f)
                #expect(try DTLSFingerprint(sdpValue: value.lowercased()) == f)
                seen += 1
            }
        }
        #expect(seen >= names.count)
    }

    @Test func bridgesFromParsedSDPValues() throws {
        let c = try DTLSCertificate()
        let f = try DTLSFingerprint(sdpAlgorithm: "SHA-256", bytes: c.fingerprint.bytes)
        #expect(f == c.fingerprint)
        #expect(throws: DTLSError.self) { try DTLSFingerprint(sdpAlgorithm: "md5", bytes: [UInt8](repeating: 0, count: 16)) }
        #expect(throws: DTLSError.self) { try DTLSFingerprint(sdpAlgorithm: "sha-1", bytes: c.fingerprint.bytes) }
        #expect(DTLSRole(rawValue: "client") == .client && DTLSRole(rawValue: "server") == .server)
    }

    @Test func rejectsMalformedFingerprints() {
        let bad = [
            "", "sha-256", "md5 AB:CD", "sha-256 AB:CD",  // too short
            "sha-256 " + String(repeating: "AB:", count: 32),  // trailing colon
            "sha-256 " + String(repeating: "AB:", count: 31) + "A",
            "sha-256 " + String(repeating: "AB:", count: 31) + "GG",
            "sha-256 " + String(repeating: "ABC:", count: 31) + "AB",
            "sha-256 " + String(repeating: "é:", count: 32),
            "sha-256 AB CD",
        ]
        for value in bad {
            #expect(throws: DTLSError.self) { try DTLSFingerprint(sdpValue: value) }
        }
    }

    private func d2i(_ der: [UInt8]) -> OpaquePointer? {
        der.withUnsafeBufferPointer { buf in
            var cursor = buf.baseAddress
            return d2i_X509(nil, &cursor, buf.count)
        }
    }
}
