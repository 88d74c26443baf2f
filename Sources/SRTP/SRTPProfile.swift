/// The DTLS-SRTP protection profiles kioskd negotiates. Browsers offer
/// AES128_CM_HMAC_SHA1_80 (Chromium), AEAD_AES_128_GCM (Firefox) and AEAD_AES_256_GCM.
public enum SRTPProfile: Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// SRTP_AES128_CM_HMAC_SHA1_80 (RFC 5764 §4.1.2), 0x0001.
    case aesCM128HmacSha1_80
    /// SRTP_AEAD_AES_128_GCM (RFC 7714 §14.2), 0x0007.
    case aeadAes128Gcm
    /// SRTP_AEAD_AES_256_GCM (RFC 7714 §14.2), 0x0008.
    case aeadAes256Gcm

    /// Our offer, most preferred first: the AEAD profiles cost one pass over the payload.
    public static let defaultPreference: [SRTPProfile] = [.aeadAes128Gcm, .aeadAes256Gcm, .aesCM128HmacSha1_80]

    /// The two-byte SRTPProtectionProfile value carried in the use_srtp extension.
    public var protectionProfileID: UInt16 {
        switch self {
        case .aesCM128HmacSha1_80: 0x0001
        case .aeadAes128Gcm: 0x0007
        case .aeadAes256Gcm: 0x0008
        }
    }

    public init?(protectionProfileID: UInt16) {
        guard let p = Self.allCases.first(where: { $0.protectionProfileID == protectionProfileID }) else { return nil }
        self = p
    }

    /// OpenSSL's name, as `SSL_CTX_set_tlsext_use_srtp` expects it.
    public var openSSLName: String {
        switch self {
        case .aesCM128HmacSha1_80: "SRTP_AES128_CM_SHA1_80"
        case .aeadAes128Gcm: "SRTP_AEAD_AES_128_GCM"
        case .aeadAes256Gcm: "SRTP_AEAD_AES_256_GCM"
        }
    }

    /// Master key length in bytes (RFC 5764 §4.1.2; RFC 7714 §14.2).
    public var masterKeyLength: Int {
        switch self {
        case .aesCM128HmacSha1_80, .aeadAes128Gcm: 16
        case .aeadAes256Gcm: 32
        }
    }

    /// Master salt length in bytes: 112 bits for AES-CM (RFC 3711 §8.2), 96 for GCM (RFC 7714 §14.2).
    public var masterSaltLength: Int {
        switch self {
        case .aesCM128HmacSha1_80: 14
        case .aeadAes128Gcm, .aeadAes256Gcm: 12
        }
    }

    /// Bytes of authentication tag appended to each SRTP packet.
    public var rtpAuthTagLength: Int {
        switch self {
        case .aesCM128HmacSha1_80: 10
        case .aeadAes128Gcm, .aeadAes256Gcm: 16
        }
    }

    public var description: String { openSSLName }
}
