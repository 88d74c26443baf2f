/// One direction's SRTP master key and salt. `description` never shows the bytes.
public struct SRTPMasterKey: Sendable, Equatable, CustomStringConvertible {
    public var key: [UInt8]
    public var salt: [UInt8]

    public init(key: [UInt8], salt: [UInt8]) {
        self.key = key
        self.salt = salt
    }

    public var description: String { "SRTPMasterKey(\(key.count)+\(salt.count) bytes, redacted)" }
}

/// The keys exported from a DTLS-SRTP handshake, split per RFC 5764 §4.2:
/// client_write_key | server_write_key | client_write_salt | server_write_salt.
public struct SRTPKeyingMaterial: Sendable, Equatable, CustomStringConvertible {
    public let profile: SRTPProfile
    /// Protects what the DTLS client sends (and what the server receives).
    public let client: SRTPMasterKey
    /// Protects what the DTLS server sends (and what the client receives).
    public let server: SRTPMasterKey

    /// Bytes to export with the "EXTRACTOR-dtls_srtp" label for `profile`.
    public static func exportLength(for profile: SRTPProfile) -> Int {
        2 * (profile.masterKeyLength + profile.masterSaltLength)
    }

    public init(profile: SRTPProfile, exported: [UInt8]) throws(SRTPError) {
        let k = profile.masterKeyLength
        let s = profile.masterSaltLength
        guard exported.count == 2 * (k + s) else {
            throw .invalidKeyLength(expected: 2 * (k + s), actual: exported.count)
        }
        self.profile = profile
        client = SRTPMasterKey(key: Array(exported[0..<k]), salt: Array(exported[(2 * k)..<(2 * k + s)]))
        server = SRTPMasterKey(key: Array(exported[k..<(2 * k)]), salt: Array(exported[(2 * k + s)..<(2 * k + 2 * s)]))
    }

    public var description: String { "SRTPKeyingMaterial(\(profile), redacted)" }
}
