/// Why a TLS client stream (TURN over TLS, `turns:`) failed. The verification cases say which
/// check on the server's certificate failed (RFC 5280 path validation, RFC 6125 name); the
/// strings are OpenSSL's own reason text and never carry an address or a name.
public enum TLSError: Error, Equatable, Sendable {
    /// The server's certificate (or one in its chain) is past its notAfter.
    case certificateExpired
    /// The server's certificate is not valid yet (notBefore in the future: a wrong clock?).
    case certificateNotYetValid
    /// No trusted CA (system store or the configured file) issued the chain.
    case unknownCA
    /// The certificate does not name the host or IP address of the `turns:` URL.
    case nameMismatch
    /// Any other failed check on the certificate (revoked, bad signature, wrong purpose…).
    case certificateInvalid(String)
    /// The handshake failed for a reason other than the certificate (protocol, alert).
    case handshakeFailed(String)
    /// A fatal error after the handshake.
    case connectionFailed(String)
    /// The server closed the TLS session (close_notify).
    case closed
    /// Creating or configuring OpenSSL objects failed (e.g. an unreadable CA file).
    case configuration(String)
}

extension TLSError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .certificateExpired: "server certificate expired"
        case .certificateNotYetValid: "server certificate not yet valid"
        case .unknownCA: "server certificate from an unknown CA"
        case .nameMismatch: "server certificate does not name the server"
        case .certificateInvalid(let why): "server certificate rejected: \(why)"
        case .handshakeFailed(let why): "TLS handshake failed: \(why)"
        case .connectionFailed(let why): "TLS connection failed: \(why)"
        case .closed: "TLS session closed by the server"
        case .configuration(let why): "TLS setup failed: \(why)"
        }
    }
}
