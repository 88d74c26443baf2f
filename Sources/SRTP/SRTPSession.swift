import CSRTP

/// SRTP and SRTCP (RFC 3711, RFC 7714) for one DTLS-SRTP association, through libsrtp2.
///
/// Two libsrtp contexts: one protects what we send (`ssrc_any_outbound`, keyed with our
/// DTLS side's master key) and one unprotects what we receive (`ssrc_any_inbound`, keyed
/// with the peer's). libsrtp allows one wildcard template per context, hence two.
/// Replay protection is libsrtp's, with a 1024-packet window (RFC 3711 §3.3.2).
///
/// Not `Sendable`: libsrtp contexts are not thread-safe; one owner (the media engine) calls
/// it. Packets are transformed in place in the caller's reusable buffer; nothing is
/// allocated per packet once that buffer has `maximumOverhead` spare capacity.
public final class SRTPSession {
    public let profile: SRTPProfile
    private let sender: OpaquePointer
    private let receiver: OpaquePointer

    /// libsrtp may write SRTP_MAX_TRAILER_LEN (SRTP_MAX_TAG_LEN 16 + SRTP_MAX_MKI_LEN 128) bytes
    /// past an RTP packet, and 4 more (the SRTCP index) past an RTCP one (srtp.h).
    static let rtpTrailerReserve = 16 + 128
    static let rtcpTrailerReserve = 16 + 128 + 4
    /// Spare capacity a buffer needs beyond its plaintext so protecting never reallocates.
    public static let maximumOverhead = rtcpTrailerReserve
    /// Larger than any UDP payload; keeps lengths well inside libsrtp's `int`.
    public static let maximumPacketLength = 65_536

    /// - Parameters:
    ///   - sendKey: our DTLS side's key (the client key if we were the DTLS client).
    ///   - receiveKey: the peer's key.
    ///   - replayWindow: packets remembered for replay checks (libsrtp accepts 64...32767).
    public init(profile: SRTPProfile, sendKey: SRTPMasterKey, receiveKey: SRTPMasterKey,
                replayWindow: Int = 1024) throws(SRTPError) {
        let initStatus = SRTPLibrary.initStatus
        guard initStatus == srtp_err_status_ok.rawValue else { throw .libraryInitFailed(initStatus) }
        for k in [sendKey, receiveKey] {
            guard k.key.count == profile.masterKeyLength else {
                throw .invalidKeyLength(expected: profile.masterKeyLength, actual: k.key.count)
            }
            guard k.salt.count == profile.masterSaltLength else {
                throw .invalidKeyLength(expected: profile.masterSaltLength, actual: k.salt.count)
            }
        }
        guard (64...0x7FFF).contains(replayWindow) else { throw .badParameter }
        self.profile = profile
        sender = try Self.makeContext(profile: profile, key: sendKey, ssrcType: ssrc_any_outbound,
                                      replayWindow: replayWindow)
        do {
            receiver = try Self.makeContext(profile: profile, key: receiveKey, ssrcType: ssrc_any_inbound,
                                            replayWindow: replayWindow)
        } catch {
            srtp_dealloc(sender)
            throw error
        }
    }

    deinit {
        srtp_dealloc(sender)
        srtp_dealloc(receiver)
    }

    /// Encrypts and authenticates an RTP packet in place; `packet` grows by the tag.
    public func protectRTP(_ packet: inout [UInt8]) throws(SRTPError) {
        guard packet.count >= 12 else { throw .packetTooShort }
        try Self.protect(sender, &packet, reserve: Self.rtpTrailerReserve, srtp_protect)
    }

    /// Verifies and decrypts an SRTP packet in place; `packet` shrinks to the RTP packet.
    /// On error the packet's contents are unspecified and it must be dropped.
    public func unprotectRTP(_ packet: inout [UInt8]) throws(SRTPError) {
        guard packet.count >= 12 + profile.rtpAuthTagLength else { throw .packetTooShort }
        try Self.unprotect(receiver, &packet, srtp_unprotect)
    }

    /// Encrypts and authenticates a compound RTCP packet in place (RFC 3711 §3.4); `packet`
    /// grows by the E-flag/SRTCP index word and the tag.
    public func protectRTCP(_ packet: inout [UInt8]) throws(SRTPError) {
        guard packet.count >= 8 else { throw .packetTooShort }
        try Self.protect(sender, &packet, reserve: Self.rtcpTrailerReserve, srtp_protect_rtcp)
    }

    /// Verifies and decrypts an SRTCP packet in place; `packet` shrinks to the RTCP packet.
    public func unprotectRTCP(_ packet: inout [UInt8]) throws(SRTPError) {
        guard packet.count >= 8 + 4 + profile.rtpAuthTagLength else { throw .packetTooShort }
        try Self.unprotect(receiver, &packet, srtp_unprotect_rtcp)
    }

    private typealias Transform = (srtp_t?, UnsafeMutableRawPointer?, UnsafeMutablePointer<Int32>?) -> srtp_err_status_t

    @inline(__always)
    private static func protect(_ ctx: OpaquePointer, _ packet: inout [UInt8], reserve: Int,
                                _ transform: Transform) throws(SRTPError) {
        let length = packet.count
        guard length <= maximumPacketLength else { throw .packetTooLong }
        // Room for what libsrtp writes past the end; appending within capacity does not allocate.
        packet.append(contentsOf: repeatElement(0, count: reserve))
        var newLength = Int32(length)
        let status = packet.withUnsafeMutableBytes { raw in transform(ctx, raw.baseAddress, &newLength) }
        guard status == srtp_err_status_ok else {
            packet.removeLast(reserve)
            throw SRTPError(status: status)
        }
        let grown = Int(newLength)
        guard grown >= length, grown <= length + reserve else {
            packet.removeLast(reserve)
            throw .parseError
        }
        packet.removeLast(length + reserve - grown)
    }

    @inline(__always)
    private static func unprotect(_ ctx: OpaquePointer, _ packet: inout [UInt8],
                                  _ transform: Transform) throws(SRTPError) {
        let length = packet.count
        guard length <= maximumPacketLength else { throw .packetTooLong }
        var newLength = Int32(length)
        let status = packet.withUnsafeMutableBytes { raw in transform(ctx, raw.baseAddress, &newLength) }
        guard status == srtp_err_status_ok else { throw SRTPError(status: status) }
        let shrunk = Int(newLength)
        guard shrunk >= 0, shrunk <= length else { throw .parseError }
        packet.removeLast(length - shrunk)
    }

    private static func makeContext(profile: SRTPProfile, key: SRTPMasterKey, ssrcType: srtp_ssrc_type_t,
                                    replayWindow: Int) throws(SRTPError) -> OpaquePointer {
        var policy = srtp_policy_t()
        switch profile {
        case .aesCM128HmacSha1_80:
            srtp_crypto_policy_set_rtp_default(&policy.rtp)
            srtp_crypto_policy_set_rtcp_default(&policy.rtcp)
        case .aeadAes128Gcm:
            // RFC 7714 §14.2: 16-byte tag for both SRTP and SRTCP.
            srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtp)
            srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtcp)
        case .aeadAes256Gcm:
            srtp_crypto_policy_set_aes_gcm_256_16_auth(&policy.rtp)
            srtp_crypto_policy_set_aes_gcm_256_16_auth(&policy.rtcp)
        }
        policy.ssrc.type = ssrcType
        policy.window_size = UInt(replayWindow)
        // libsrtp 2.5 lets srtp_protect reuse an index it has already used (a NACK resend of
        // the identical packet) instead of failing with replay_fail. Only the sender uses it.
        policy.allow_repeat_tx = ssrcType == ssrc_any_outbound ? 1 : 0
        policy.next = nil
        // libsrtp wants key||salt contiguous; it derives session keys and keeps no pointer.
        var master = key.key + key.salt
        var session: srtp_t? = nil
        let status = master.withUnsafeMutableBufferPointer { buf in
            policy.key = buf.baseAddress
            defer { policy.key = nil }
            return srtp_create(&session, &policy)
        }
        for i in master.indices { master[i] = 0 }
        guard status == srtp_err_status_ok else { throw SRTPError(status: status) }
        guard let session else { throw .noContext }
        return session
    }
}

/// libsrtp's global crypto kernel: `srtp_init` runs once, thread-safely (a static `let` is
/// initialised under `swift_once`), and is never shut down (other sessions may be live).
enum SRTPLibrary {
    static let initStatus: UInt32 = srtp_init().rawValue
}
