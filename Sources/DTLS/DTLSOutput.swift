import SessionCore
import SRTP

/// Which side of the DTLS handshake we play; from SDP `a=setup` (RFC 5763 §5:
/// "active" is the client, "passive" the server).
public enum DTLSRole: String, Sendable, Equatable {
    case client
    case server
}

/// What a `DTLSEndpoint` asks its driver to do, drained with `poll()`.
public enum DTLSOutput: TimedOutput, Equatable {
    /// Send this as one UDP datagram (through ICE's selected pair).
    case transmit([UInt8])
    /// The handshake finished, the peer's certificate matched its SDP fingerprint, and SRTP
    /// keys were exported. Emitted once.
    case connected(DTLSConnectionInfo)
    /// The association is over; nothing more will be sent except alerts already queued.
    case failed(DTLSError)
    /// The next instant at which to call `handleTimeout(now:)` (retransmission).
    case timeout(Instant)
    /// The peer sent close_notify (RFC 5246 §7.2.1); our close_notify is queued in reply.
    case closed

    public var timeoutInstant: Instant? { if case .timeout(let t) = self { t } else { nil } }
}

/// The outcome of a DTLS-SRTP handshake.
public struct DTLSConnectionInfo: Sendable, Equatable, CustomStringConvertible {
    public let role: DTLSRole
    /// The SRTP protection profile the server chose (RFC 5764 §4.1.1).
    public let profile: SRTPProfile
    /// OpenSSL's protocol name, "DTLSv1.2".
    public let version: String
    /// OpenSSL's cipher suite name, e.g. "ECDHE-ECDSA-AES128-GCM-SHA256".
    public let cipher: String
    /// The peer's certificate fingerprint, as verified.
    public let remoteFingerprint: DTLSFingerprint
    /// Exported with "EXTRACTOR-dtls_srtp" (RFC 5764 §4.2), split into client and server keys.
    public let keyingMaterial: SRTPKeyingMaterial

    /// The key that protects what we send.
    public var localMasterKey: SRTPMasterKey {
        role == .client ? keyingMaterial.client : keyingMaterial.server
    }

    /// The key that protects what the peer sends.
    public var remoteMasterKey: SRTPMasterKey {
        role == .client ? keyingMaterial.server : keyingMaterial.client
    }

    public var description: String { "DTLSConnectionInfo(\(role), \(version), \(cipher), \(profile))" }
}

extension SRTPSession {
    /// Keys our sending side with our DTLS key and the receiving side with the peer's.
    public convenience init(connection: DTLSConnectionInfo, replayWindow: Int = 1024) throws(SRTPError) {
        try self.init(profile: connection.profile, sendKey: connection.localMasterKey,
                      receiveKey: connection.remoteMasterKey, replayWindow: replayWindow)
    }
}
