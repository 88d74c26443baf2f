import RTP
import SessionCore
import SRTP

/// Datagrams in, timers, and the DTLS half of the engine.
extension Peer {
    /// One datagram from the socket bound to `localBase`. Taken as `consuming` so SRTP can
    /// decrypt it in place: the caller hands its buffer over and no copy is made.
    /// `transport` `.tcp`/`.tls`: one whole message off the driver's stream to a TURN server.
    public func handleDatagram(_ bytes: consuming [UInt8], from: TransportAddress, to localBase: TransportAddress,
                               transport: TransportProtocol = .udp, at now: Instant) {
        defer { drain(now) }
        switch ice.handleDatagram(bytes, from: from, to: localBase, transport: transport, at: now) {
        case .handled, .dropped:
            return
        case .application(let range, _):
            guard let first = range.isEmpty ? nil : bytes[range.lowerBound] else { return }
            // RFC 7983 §7: 20–63 DTLS, 128–191 RTP/RTCP.
            if first >= 20 && first <= 63 {
                let record = range == 0..<bytes.count ? bytes : Array(bytes[range])
                if let dtls {
                    dtls.handleDatagram(record, now: now)
                } else if earlyDTLS.count < 8 {
                    earlyDTLS.append(record)
                }
            } else if first >= 128 && first <= 191 {
                if range == 0..<bytes.count {
                    receiveSRTP(&bytes, now)
                } else {
                    var packet = Array(bytes[range])
                    receiveSRTP(&packet, now)
                }
            }
        }
    }

    /// The driver's TCP/TLS connection to a TURN server failed or closed: that relay is gone.
    public func relayTransportClosed(server: TransportAddress, transport: TransportProtocol, at now: Instant) {
        defer { drain(now) }
        ice.relayTransportClosed(server: server, transport: transport, at: now)
    }

    public func handleTimeout(at now: Instant) {
        if let t = connectDeadline, now >= t, security == nil {
            connectDeadline = nil
            fail(.connectTimeout)
        }
        if let t = iceDeadline, t <= now { ice.handleTimeout(at: now) }
        if let dtls, let t = dtls.nextTimeout, t <= now { dtls.handleTimeout(now: now) }
        media?.handleTimeout(now)
        drain(now)
    }

    func drainDTLS(_ now: Instant) {
        guard let dtls else { return }
        while let output = dtls.poll() {
            switch output {
            case .transmit(let record):
                if let t = ice.sendData(record, at: now) { emit(.transmit(t)) }
            case .connected(let info):
                do {
                    srtp = try SRTPSession(connection: info)
                } catch {
                    fail(.srtp(error))
                    return
                }
                let security = PeerSecurityInfo(dtlsVersion: info.version, cipher: info.cipher, srtpProfile: info.profile, dtlsRole: info.role)
                self.security = security
                connectDeadline = nil
                transportStats.dtlsVersion = info.version
                transportStats.srtpProfile = info.profile.description
                emit(.connected(security))
                media?.start(now)
            case .failed(let error):
                fail(error == .fingerprintMismatch ? .fingerprintMismatch : .dtls(error))
            case .timeout:
                break
            case .closed:
                emit(.remoteBye)
            }
        }
    }

    func receiveSRTP(_ packet: inout [UInt8], _ now: Instant) {
        guard let srtp, !failed else { return }
        let isRTCP = RTPDemux.isRTCP(packet)
        do {
            if isRTCP {
                try srtp.unprotectRTCP(&packet)
            } else {
                try srtp.unprotectRTP(&packet)
            }
        } catch {
            transportStats.srtpErrors += 1
            return
        }
        if isRTCP {
            media?.receiveRTCP(packet, now)
        } else {
            media?.receiveRTP(packet, now)
        }
    }

    /// Protects and sends one RTP or RTCP packet over the selected path.
    func sendProtected(_ packet: inout [UInt8], rtcp: Bool, _ now: Instant) {
        guard let srtp, !failed else { return }
        do {
            if rtcp { try srtp.protectRTCP(&packet) } else { try srtp.protectRTP(&packet) }
        } catch {
            transportStats.srtpErrors += 1
            return
        }
        if let t = ice.sendData(packet, at: now) { emit(.transmit(t)) }
    }
}
