import SessionCore

/// Media in: encoded frames from the application's encoders.
extension Peer {
    /// One Opus packet (20 ms at 48 kHz: advance `rtpTimestamp` by 960 each time).
    public func sendAudio(_ payload: UnsafeRawBufferPointer, rtpTimestamp: UInt32, at now: Instant) {
        media?.sendAudio(payload, rtpTimestamp: rtpTimestamp, now)
        drain(now)
    }

    /// One encoded VP8 frame with its 90 kHz timestamp.
    public func sendVideo(_ frame: UnsafeRawBufferPointer, rtpTimestamp: UInt32, at now: Instant) {
        media?.sendVideo(frame, rtpTimestamp: rtpTimestamp, now)
        drain(now)
    }

    /// The decoder lost its reference: ask the remote sender for a keyframe (rate-limited).
    public func requestKeyframe(at now: Instant) {
        media?.requestKeyframe(now)
        drain(now)
    }

    public var isConnected: Bool { security != nil && !failed }
    public var securityInfo: PeerSecurityInfo? { security }
}
