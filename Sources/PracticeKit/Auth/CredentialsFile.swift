import Crypto
import Foundation

/// A line of the users or kiosks file that does not parse: the file, the 1-based line and the
/// key (field) at fault, so the operator can go straight to it.
public struct CredentialsFileError: Error, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var key: String
    public var message: String

    public var description: String { "\(file):\(line): \(key): \(message)" }
}

/// The two credentials files, one entry a line, fields separated by spaces or tabs; blank lines
/// and lines starting with `#` are ignored (docs/practice-api.md#files):
///
///     # users: ID ROLE PASSWORD-HASH
///     dr-rivera  clinician  $pbkdf2-sha256$210000$…$…
///     # kiosks: ID TOKEN-HASH
///     kiosk-1    sha256:…
///
/// No secret is in either file, only hashes; still the files name the people and kiosks, so
/// practice-dev does not log their contents.
public enum CredentialsFile {
    /// Refuses larger files before reading them line by line.
    static let maximumBytes = 1 << 20

    public static func users(_ text: String, file: String) throws(CredentialsFileError) -> [PracticeUser] {
        var users: [PracticeUser] = []
        var seen: Set<String> = []
        for (n, fields) in try entries(text, file: file) {
            func fail(_ key: String, _ message: String) -> CredentialsFileError {
                CredentialsFileError(file: file, line: n, key: key, message: message)
            }
            guard fields.count == 3 else { throw fail(fields.count < 3 ? "hash" : "line", "expected ID ROLE PASSWORD-HASH") }
            let id = fields[0]
            guard AppointmentInput.isIdentifier(id) else { throw fail("id", "1-128 characters of A-Z a-z 0-9 . _ : -") }
            guard seen.insert(id).inserted else { throw fail("id", "\(id) is listed twice") }
            guard let role = PracticeRole(rawValue: fields[1]) else { throw fail("role", "expected clinician, frontdesk or admin") }
            let hash: PasswordHash
            do { hash = try PasswordHash(parsing: fields[2]) } catch { throw fail("hash", error.description) }
            users.append(PracticeUser(id: id, role: role, password: hash))
        }
        return users
    }

    public static func kiosks(_ text: String, file: String) throws(CredentialsFileError) -> KioskCredentials {
        var digests: [String: [UInt8]] = [:]
        for (n, fields) in try entries(text, file: file) {
            func fail(_ key: String, _ message: String) -> CredentialsFileError {
                CredentialsFileError(file: file, line: n, key: key, message: message)
            }
            guard fields.count == 2 else { throw fail(fields.count < 2 ? "hash" : "line", "expected ID TOKEN-HASH") }
            let id = fields[0]
            guard AppointmentInput.isIdentifier(id) else { throw fail("id", "1-128 characters of A-Z a-z 0-9 . _ : -") }
            guard digests[id] == nil else { throw fail("id", "\(id) is listed twice") }
            guard let digest = KioskCredentials.parseDigest(fields[1]) else {
                throw fail("hash", "expected sha256:HEX (64 hex digits; practice-dev new-kiosk-token makes one)")
            }
            digests[id] = digest
        }
        return KioskCredentials(digests: digests)
    }

    /// Reads a file for `users` or `kiosks`, turning I/O problems into the same error type.
    public static func read(_ path: String) throws(CredentialsFileError) -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CredentialsFileError(file: path, line: 0, key: "file", message: "cannot be read")
        }
        guard data.count <= maximumBytes else {
            throw CredentialsFileError(file: path, line: 0, key: "file", message: "larger than \(maximumBytes) bytes")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw CredentialsFileError(file: path, line: 0, key: "file", message: "not UTF-8")
        }
        return text
    }

    /// The meaningful lines, numbered from 1, split into fields.
    private static func entries(_ text: String, file: String) throws(CredentialsFileError) -> [(Int, [String])] {
        guard text.utf8.count <= maximumBytes else {
            throw CredentialsFileError(file: file, line: 0, key: "file", message: "larger than \(maximumBytes) bytes")
        }
        var out: [(Int, [String])] = []
        // "\r\n" is one Character in Swift, so both line ends are named; a lone "\r" is blank.
        for (i, line) in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).enumerated() {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" }).map(String.init)
            guard let first = fields.first, !first.hasPrefix("#") else { continue }
            out.append((i + 1, fields))
        }
        return out
    }
}

/// Each kiosk's own token, kept as its SHA-256 digest. A plain hash (not a password KDF) is
/// enough because the tokens are 256-bit random values made by `practice-dev new-kiosk-token`,
/// not something a person chose; a later issue replaces tokens with client certificates.
public struct KioskCredentials: Sendable, Equatable, ExpressibleByDictionaryLiteral {
    private var digests: [String: [UInt8]]

    init(digests: [String: [UInt8]]) { self.digests = digests }

    /// kioskId → plain token (tests, and `Relay.Settings` built in code).
    public init(dictionaryLiteral elements: (String, String)...) {
        digests = Dictionary(elements.map { ($0.0, Self.digest($0.1)) }, uniquingKeysWith: { $1 })
    }

    public var isEmpty: Bool { digests.isEmpty }
    public var kioskIds: [String] { digests.keys.sorted() }

    /// True only for the token of this very kiosk (another kiosk's token does not open it).
    /// The digest comparison is constant-time; an unknown kiosk still costs one hash.
    public func verify(kioskId: String, token: String?) -> Bool {
        let presented = Self.digest(token ?? "")
        guard let expected = digests[kioskId] else {
            _ = constantTimeEqual(presented, presented)
            return false
        }
        return token != nil && constantTimeEqual(presented, expected)
    }

    /// Whether `id` can name a kiosk (the protocol's identifier: 1-128 of A-Z a-z 0-9 . _ : -).
    public static func isValidKioskId(_ id: String) -> Bool { AppointmentInput.isIdentifier(id) }

    /// 256 random bits, base64url.
    public static func newToken() -> String { RandomSecret.token() }

    static func digest(_ token: String) -> [UInt8] { Array(SHA256.hash(data: Array(token.utf8))) }

    /// The file's form of a token: `sha256:` and 64 lowercase or uppercase hex digits.
    public static func fileEntry(forToken token: String) -> String {
        "sha256:" + digest(token).map { String(format: "%02x", $0) }.joined()
    }

    static func parseDigest(_ text: String) -> [UInt8]? {
        guard text.hasPrefix("sha256:") else { return nil }
        let hex = Array(text.utf8.dropFirst(7))
        guard hex.count == 64 else { return nil }
        var out: [UInt8] = []
        for i in stride(from: 0, to: 64, by: 2) {
            guard let hi = hexValue(hex[i]), let lo = hexValue(hex[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
        }
        return out
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
