import COpenSSL

/// The keys and MACs STUN needs, through OpenSSL's one-shot functions.
public enum STUNCrypto {
    /// HMAC-SHA1 of `data[range]` (RFC 8489 §14.5). Always 20 bytes.
    public static func hmacSHA1(key: [UInt8], _ data: [UInt8], _ range: Range<Int>) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 20)
        var outLength: UInt32 = 20
        // An empty array may have no base address; OpenSSL wants a pointer even for length 0.
        let keyBytes = key.isEmpty ? [0] : key
        keyBytes.withUnsafeBytes { k in
            data.withUnsafeBytes { d in
                out.withUnsafeMutableBytes { o in
                    let dataPointer = d.baseAddress.map { $0 + range.lowerBound }
                    _ = HMAC(EVP_sha1(), k.baseAddress, Int32(key.count),
                             dataPointer?.assumingMemoryBound(to: UInt8.self), range.count,
                             o.baseAddress?.assumingMemoryBound(to: UInt8.self), &outLength)
                }
            }
        }
        return out
    }

    /// MD5, for the TURN long-term key (RFC 8489 §9.2.2).
    public static func md5(_ data: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 16)
        var outLength: UInt32 = 16
        let input = data.isEmpty ? [0] : data
        input.withUnsafeBytes { d in
            out.withUnsafeMutableBytes { o in
                _ = EVP_Digest(d.baseAddress, data.count, o.baseAddress?.assumingMemoryBound(to: UInt8.self),
                               &outLength, EVP_md5(), nil)
            }
        }
        return out
    }

    /// Equal length and bytes, in time independent of where they differ.
    public static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count, !a.isEmpty else { return a.count == b.count && a.isEmpty }
        return a.withUnsafeBytes { x in
            b.withUnsafeBytes { y in CRYPTO_memcmp(x.baseAddress, y.baseAddress, a.count) == 0 }
        }
    }
}

/// The key MESSAGE-INTEGRITY is computed with.
public enum STUNKey {
    /// Short-term credentials (ICE): the password itself (RFC 8489 §9.1.1). ICE passwords are
    /// ASCII, so OpaqueString preparation changes nothing.
    public static func shortTerm(password: String) -> [UInt8] { Array(password.utf8) }

    /// Long-term credentials (TURN): MD5(username ":" realm ":" password) (RFC 8489 §9.2.2).
    /// The caller passes the password already prepared (SASLprep is not applied here).
    public static func longTerm(username: String, realm: String, password: String) -> [UInt8] {
        STUNCrypto.md5(Array("\(username):\(realm):\(password)".utf8))
    }
}
