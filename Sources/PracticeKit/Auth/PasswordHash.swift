import Crypto
import CryptoExtras
import Foundation

/// A clinician's (or any user's) password, stored as PBKDF2-HMAC-SHA256 with its parameters:
/// `$pbkdf2-sha256$<iterations>$<salt, base64url>$<derived key, base64url>` (the layout of
/// passlib's and Django's strings, so the parameters can be raised later without a migration:
/// each hash verifies with the iterations it was made with).
public struct PasswordHash: Sendable, Equatable, CustomStringConvertible {
    /// OWASP's 2023 figure for PBKDF2-HMAC-SHA256, also swift-crypto's floor.
    public static let defaultIterations = 210_000
    static let saltBytes = 16
    static let keyBytes = 32
    static let scheme = "pbkdf2-sha256"

    public let iterations: Int
    let salt: [UInt8]
    let key: [UInt8]

    public enum ParseError: Error, Equatable, CustomStringConvertible {
        case notPBKDF2
        case badIterations
        case badSalt
        case badKey

        public var description: String {
            switch self {
            case .notPBKDF2: "expected $pbkdf2-sha256$ITERATIONS$SALT$HASH (practice-dev hash-password makes one)"
            case .badIterations: "the iteration count must be a whole number of at least \(PasswordHash.defaultIterations)"
            case .badSalt: "the salt must be base64url of at least 16 bytes"
            case .badKey: "the hash must be base64url of 32 bytes"
            }
        }
    }

    /// Hashes `password` with a fresh random salt.
    public static func make(_ password: String, iterations: Int = defaultIterations) throws -> PasswordHash {
        let salt = RandomSecret.bytes(saltBytes)
        return PasswordHash(iterations: iterations, salt: salt, key: try derive(password, salt: salt, iterations: iterations))
    }

    public init(parsing text: String) throws(ParseError) {
        let parts = text.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 5, parts[0].isEmpty, parts[1] == Self.scheme else { throw .notPBKDF2 }
        // Canonical forms only (no leading zeros, no stray base64 bits), so a hash string has
        // exactly one spelling and prints back as itself.
        guard let n = Int(parts[2]), String(n) == parts[2], n >= Self.defaultIterations, n <= 100_000_000 else {
            throw .badIterations
        }
        guard let salt = Base64URL.decode(String(parts[3])), salt.count >= 16, salt.count <= 64,
              Base64URL.encode(salt) == parts[3] else { throw .badSalt }
        guard let key = Base64URL.decode(String(parts[4])), key.count == Self.keyBytes,
              Base64URL.encode(key) == parts[4] else { throw .badKey }
        self.init(iterations: n, salt: salt, key: key)
    }

    init(iterations: Int, salt: [UInt8], key: [UInt8]) {
        self.iterations = iterations
        self.salt = salt
        self.key = key
    }

    /// True when `password` derives the stored key; the comparison is constant-time.
    public func verify(_ password: String) -> Bool {
        guard let derived = try? Self.derive(password, salt: salt, iterations: iterations) else { return false }
        return constantTimeEqual(derived, key)
    }

    public var description: String {
        "$\(Self.scheme)$\(iterations)$\(Base64URL.encode(salt))$\(Base64URL.encode(key))"
    }

    static func derive(_ password: String, salt: [UInt8], iterations: Int) throws -> [UInt8] {
        let key = try KDF.Insecure.PBKDF2.deriveKey(from: Array(password.utf8), salt: salt, using: .sha256,
                                                    outputByteCount: keyBytes, rounds: iterations)
        return key.withUnsafeBytes { Array($0) }
    }

    /// Verified against when the user id is unknown, so an unknown id costs the same time as a
    /// wrong password and response times do not tell which ids exist.
    static let decoy: PasswordHash = (try? make(RandomSecret.token())) ?? PasswordHash(
        iterations: defaultIterations, salt: Array(repeating: 0, count: saltBytes), key: Array(repeating: 0, count: keyBytes))
}
