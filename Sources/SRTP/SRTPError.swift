import CSRTP

/// Why an SRTP/SRTCP packet could not be protected or unprotected (libsrtp's
/// `srtp_err_status_t`, plus the checks made before libsrtp sees the packet).
public enum SRTPError: Error, Equatable, Sendable {
    /// The authentication tag did not verify: tampered, wrong key, or not ours.
    case authFail
    /// The packet index was already seen (a replay, RFC 3711 §3.3.2).
    case replayFail
    /// The packet index is older than the replay window.
    case replayOld
    case badParameter
    case cipherFail
    case noContext
    case keyExpired
    case packetIndexOld
    case packetIndexAdvanced
    case parseError
    /// Shorter than a header (plus tag when unprotecting).
    case packetTooShort
    /// Longer than libsrtp's `int` length can describe.
    case packetTooLong
    case invalidKeyLength(expected: Int, actual: Int)
    case libraryInitFailed(UInt32)
    /// Any other libsrtp status, by number.
    case other(UInt32)

    init(status: srtp_err_status_t) {
        switch status {
        case srtp_err_status_auth_fail: self = .authFail
        case srtp_err_status_replay_fail: self = .replayFail
        case srtp_err_status_replay_old: self = .replayOld
        case srtp_err_status_bad_param: self = .badParameter
        case srtp_err_status_cipher_fail: self = .cipherFail
        case srtp_err_status_no_ctx: self = .noContext
        case srtp_err_status_key_expired: self = .keyExpired
        case srtp_err_status_pkt_idx_old: self = .packetIndexOld
        case srtp_err_status_pkt_idx_adv: self = .packetIndexAdvanced
        case srtp_err_status_parse_err: self = .parseError
        default: self = .other(status.rawValue)
        }
    }
}
