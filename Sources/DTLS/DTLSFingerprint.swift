import COpenSSL

/// Hash functions allowed in `a=fingerprint` (RFC 8122 §5) that kioskd checks. MD5/MD2 are not.
public enum DTLSHashFunction: String, Sendable, CaseIterable {
    case sha1 = "sha-1"
    case sha256 = "sha-256"
    case sha384 = "sha-384"
    case sha512 = "sha-512"

    /// RFC 8122 §5: hash function names are case-insensitive.
    public init?(sdpName: String) {
        guard let f = Self.allCases.first(where: { $0.rawValue == sdpName.lowercased() }) else { return nil }
        self = f
    }

    public var digestLength: Int {
        switch self {
        case .sha1: 20
        case .sha256: 32
        case .sha384: 48
        case .sha512: 64
        }
    }

    var evpMD: OpaquePointer? {
        switch self {
        case .sha1: EVP_sha1()
        case .sha256: EVP_sha256()
        case .sha384: EVP_sha384()
        case .sha512: EVP_sha512()
        }
    }
}

/// A certificate fingerprint as SDP carries it: `a=fingerprint:sha-256 AB:CD:...` (RFC 8122 §5).
public struct DTLSFingerprint: Sendable, Equatable, CustomStringConvertible {
    public var algorithm: DTLSHashFunction
    public var bytes: [UInt8]

    public init(algorithm: DTLSHashFunction, bytes: [UInt8]) {
        self.algorithm = algorithm
        self.bytes = bytes
    }

    /// From an already-parsed SDP fingerprint (e.g. `NegotiatedSession.remoteFingerprint`'s
    /// algorithm name and bytes); rejects unsupported hashes and wrong digest lengths.
    public init(sdpAlgorithm: String, bytes: [UInt8]) throws(DTLSError) {
        guard let algorithm = DTLSHashFunction(sdpName: sdpAlgorithm) else {
            throw .invalidFingerprint("unsupported hash function")
        }
        guard bytes.count == algorithm.digestLength else { throw .invalidFingerprint("wrong digest length") }
        self.init(algorithm: algorithm, bytes: bytes)
    }

    /// Parses the attribute value "sha-256 AB:CD:..."; hex digits in either case.
    public init(sdpValue: String) throws(DTLSError) {
        let parts = sdpValue.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 2 else { throw .invalidFingerprint("expected '<hash-func> <hex>'") }
        guard let algorithm = DTLSHashFunction(sdpName: String(parts[0])) else {
            throw .invalidFingerprint("unsupported hash function")
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(algorithm.digestLength)
        for pair in parts[1].split(separator: ":", omittingEmptySubsequences: false) {
            let utf8 = Array(pair.utf8)
            guard utf8.count == 2, let hi = Self.hexValue(utf8[0]), let lo = Self.hexValue(utf8[1]) else {
                throw .invalidFingerprint("malformed hex")
            }
            bytes.append(hi << 4 | lo)
        }
        guard bytes.count == algorithm.digestLength else { throw .invalidFingerprint("wrong digest length") }
        self.init(algorithm: algorithm, bytes: bytes)
    }

    /// Digest of a certificate's DER encoding, as the peer's fingerprint is computed.
    init(certificate: OpaquePointer, algorithm: DTLSHashFunction) throws(DTLSError) {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let ok = digest.withUnsafeMutableBufferPointer { X509_digest(certificate, algorithm.evpMD, $0.baseAddress, &length) }
        guard ok == 1, Int(length) == algorithm.digestLength else {
            throw .configuration("X509_digest: \(OpenSSLErrors.drain())")
        }
        self.init(algorithm: algorithm, bytes: Array(digest[0..<Int(length)]))
    }

    /// Uppercase colon-separated hex, "AB:CD:...".
    public var hexString: String {
        let digits = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 3)
        for (i, b) in bytes.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ":")) }
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The `a=fingerprint` attribute value, "sha-256 AB:CD:...".
    public var sdpValue: String { "\(algorithm.rawValue) \(hexString)" }

    public var description: String { sdpValue }

    /// Same algorithm and digest, compared in constant time over the digest bytes.
    func matches(_ other: DTLSFingerprint) -> Bool {
        guard algorithm == other.algorithm, bytes.count == other.bytes.count, !bytes.isEmpty else { return false }
        return bytes.withUnsafeBytes { a in
            other.bytes.withUnsafeBytes { b in CRYPTO_memcmp(a.baseAddress, b.baseAddress, a.count) == 0 }
        }
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
