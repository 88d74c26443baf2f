/// Why a DTLS endpoint stopped, or could not be set up. Strings are OpenSSL's own error text
/// (reason strings such as "sslv3 alert handshake failure"); they never carry addresses.
public enum DTLSError: Error, Equatable, Sendable {
    /// The peer's certificate does not match the fingerprint from its SDP (RFC 5763 §5).
    case fingerprintMismatch
    /// The peer completed a handshake without a certificate.
    case missingPeerCertificate
    /// The handshake finished without a use_srtp profile both sides support (RFC 5764 §4.1.1).
    case noSRTPProfileNegotiated
    /// OpenSSL aborted the handshake (bad message, alert from the peer, too many retransmissions).
    case handshakeFailed(String)
    /// A fatal error after the handshake (e.g. a fatal alert).
    case connectionFailed(String)
    /// Exporting the SRTP keying material failed (RFC 5705 exporter).
    case keyExportFailed(String)
    /// Creating or configuring OpenSSL objects failed.
    case configuration(String)
    /// Generating the key pair or self-signed certificate failed.
    case certificateGeneration(String)
    /// An `a=fingerprint` value that is not "<hash-func> XX:XX:..." with a supported hash.
    case invalidFingerprint(String)
}
