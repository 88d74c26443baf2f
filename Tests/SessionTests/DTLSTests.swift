@testable import DTLS
@testable import SessionCore
@testable import SRTP
import Testing

/// Two endpoints back to back in one process, in simulated time, with a lossy wire.
final class DTLSTestLink {
    let clientCertificate: DTLSCertificate
    let serverCertificate: DTLSCertificate
    let client: DTLSEndpoint
    let server: DTLSEndpoint
    var now = Instant.zero
    /// Return false to drop the datagram.
    var deliverToServer: ([UInt8]) -> Bool = { _ in true }
    var deliverToClient: ([UInt8]) -> Bool = { _ in true }
    private(set) var sentByClient: [[UInt8]] = []
    private(set) var sentByServer: [[UInt8]] = []
    private(set) var clientEvents: [DTLSOutput] = []
    private(set) var serverEvents: [DTLSOutput] = []
    private(set) var clientDeadline: Instant?
    private(set) var serverDeadline: Instant?

    init(clientExpects: ((DTLSCertificate) throws -> DTLSFingerprint)? = nil,
         serverExpects: ((DTLSCertificate) throws -> DTLSFingerprint)? = nil,
         clientProfiles: [SRTPProfile] = SRTPProfile.defaultPreference,
         serverProfiles: [SRTPProfile] = SRTPProfile.defaultPreference,
         configuration: DTLSEndpoint.Configuration = .init()) throws {
        clientCertificate = try DTLSCertificate()
        serverCertificate = try DTLSCertificate()
        client = try DTLSEndpoint(role: .client, certificate: clientCertificate,
                                  expectedRemoteFingerprint: try clientExpects?(serverCertificate) ?? serverCertificate.fingerprint,
                                  srtpProfiles: clientProfiles, configuration: configuration)
        server = try DTLSEndpoint(role: .server, certificate: serverCertificate,
                                  expectedRemoteFingerprint: try serverExpects?(clientCertificate) ?? clientCertificate.fingerprint,
                                  srtpProfiles: serverProfiles, configuration: configuration)
    }

    /// Moves datagrams both ways until neither side has anything more to say.
    func pump() {
        for _ in 0..<200 {
            var moved = false
            while let output = client.poll() { moved = true; route(output, fromClient: true) }
            while let output = server.poll() { moved = true; route(output, fromClient: false) }
            if !moved { return }
        }
    }

    private func route(_ output: DTLSOutput, fromClient: Bool) {
        switch output {
        case .transmit(let datagram):
            if fromClient {
                sentByClient.append(datagram)
                if deliverToServer(datagram) { server.handleDatagram(datagram, now: now) }
            } else {
                sentByServer.append(datagram)
                if deliverToClient(datagram) { client.handleDatagram(datagram, now: now) }
            }
        case .timeout(let t):
            if fromClient { clientDeadline = t } else { serverDeadline = t }
        case .connected, .failed, .closed:
            if fromClient { clientEvents.append(output) } else { serverEvents.append(output) }
        }
    }

    var clientInfo: DTLSConnectionInfo? { Self.info(clientEvents) }
    var serverInfo: DTLSConnectionInfo? { Self.info(serverEvents) }

    static func info(_ events: [DTLSOutput]) -> DTLSConnectionInfo? {
        for case .connected(let info) in events { return info }
        return nil
    }

    static func failure(_ events: [DTLSOutput]) -> DTLSError? {
        for case .failed(let error) in events { return error }
        return nil
    }
}

/// DTLS record header: content type, version, epoch, sequence number, length (RFC 6347 §4.1);
/// a handshake record's body starts with the handshake message type (RFC 6347 §4.2.2).
private func handshakeType(_ datagram: [UInt8]) -> UInt8? {
    guard datagram.count > 13, datagram[0] == 22 else { return nil }
    return datagram[13]
}

/// The records in one datagram: (content type, 48-bit sequence number, body).
private func dtlsRecords(_ datagram: [UInt8]) -> [(type: UInt8, sequence: UInt64, body: [UInt8])] {
    var records: [(UInt8, UInt64, [UInt8])] = []
    var i = 0
    while i + 13 <= datagram.count {
        let sequence = datagram[(i + 5)..<(i + 11)].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        let length = Int(datagram[i + 11]) << 8 | Int(datagram[i + 12])
        guard i + 13 + length <= datagram.count else { break }
        records.append((datagram[i], sequence, Array(datagram[(i + 13)..<(i + 13 + length)])))
        i += 13 + length
    }
    return records
}

@Suite struct DTLSTests {
    @Test func handshakeConnectsBothSidesWithIdenticalKeys() throws {
        let link = try DTLSTestLink()
        link.client.start(now: link.now)
        link.pump()

        let c = try #require(link.clientInfo)
        let s = try #require(link.serverInfo)
        #expect(link.client.state == .connected && link.server.state == .connected)
        #expect(c.keyingMaterial == s.keyingMaterial)
        #expect(c.profile == .aeadAes128Gcm && s.profile == .aeadAes128Gcm)
        #expect(c.version == "DTLSv1.2" && s.version == "DTLSv1.2")
        #expect(c.cipher == "ECDHE-ECDSA-AES128-GCM-SHA256" && s.cipher == c.cipher)
        #expect(c.remoteFingerprint == link.serverCertificate.fingerprint)
        #expect(s.remoteFingerprint == link.clientCertificate.fingerprint)
        #expect(c.role == .client && s.role == .server)
        // Our sending key is the peer's receiving key, and the two directions differ.
        #expect(c.localMasterKey == s.remoteMasterKey && c.remoteMasterKey == s.localMasterKey)
        #expect(c.keyingMaterial.client != c.keyingMaterial.server)
        #expect(c.keyingMaterial.client.key.count == 16 && c.keyingMaterial.client.salt.count == 12)
        #expect(c.keyingMaterial.client.key.contains { $0 != 0 })
        #expect(link.client.connectionInfo == c)
        // One .connected each, every datagram within the MTU, no timer left on the client.
        #expect(link.clientEvents.count == 1 && link.serverEvents.count == 1)
        #expect((link.sentByClient + link.sentByServer).allSatisfy { $0.count <= 1200 })
        #expect(link.client.nextTimeout == nil)

        // The exported keys work end to end through SRTP, both ways.
        let clientSRTP = try SRTPSession(connection: c)
        let serverSRTP = try SRTPSession(connection: s)
        var packet = SRTPTests.rtp(seq: 1)
        try clientSRTP.protectRTP(&packet)
        try serverSRTP.unprotectRTP(&packet)
        #expect(packet == SRTPTests.rtp(seq: 1))
        var reply = SRTPTests.rtcpReceiverReport()
        try serverSRTP.protectRTCP(&reply)
        try clientSRTP.unprotectRTCP(&reply)
        #expect(reply == SRTPTests.rtcpReceiverReport())
    }

    @Test func theServersProfilePreferenceWins() throws {
        let link = try DTLSTestLink(serverProfiles: [.aeadAes256Gcm, .aeadAes128Gcm])
        link.client.start(now: link.now)
        link.pump()
        let c = try #require(link.clientInfo)
        #expect(c.profile == .aeadAes256Gcm && link.serverInfo?.profile == .aeadAes256Gcm)
        #expect(c.keyingMaterial.client.key.count == 32)
        #expect(c.keyingMaterial == link.serverInfo?.keyingMaterial)
    }

    @Test func aChromiumStyleOfferGetsAESCM() throws {
        let link = try DTLSTestLink(clientProfiles: [.aesCM128HmacSha1_80])
        link.client.start(now: link.now)
        link.pump()
        let c = try #require(link.clientInfo)
        #expect(c.profile == .aesCM128HmacSha1_80)
        #expect(c.keyingMaterial.server.salt.count == 14)
        #expect(c.keyingMaterial == link.serverInfo?.keyingMaterial)
    }

    @Test func noCommonSRTPProfileFailsBothSides() throws {
        let link = try DTLSTestLink(clientProfiles: [.aeadAes256Gcm], serverProfiles: [.aesCM128HmacSha1_80])
        link.client.start(now: link.now)
        link.pump()
        #expect(link.clientInfo == nil && link.serverInfo == nil)
        #expect(DTLSTestLink.failure(link.clientEvents) == .noSRTPProfileNegotiated)
        #expect(DTLSTestLink.failure(link.serverEvents) == .noSRTPProfileNegotiated)
    }

    /// The peer's certificate is hashed with the algorithm its SDP named.
    @Test func fingerprintsWithOtherHashFunctionsAreChecked() throws {
        let link = try DTLSTestLink(clientExpects: { try $0.fingerprint(using: .sha1) },
                                    serverExpects: { try $0.fingerprint(using: .sha512) })
        link.client.start(now: link.now)
        link.pump()
        #expect(link.clientInfo?.remoteFingerprint.algorithm == .sha1)
        #expect(link.serverInfo?.remoteFingerprint.algorithm == .sha512)
    }

    @Test func serverRejectsAClientWhoseCertificateDoesNotMatchItsFingerprint() throws {
        let link = try DTLSTestLink(serverExpects: { cert in
            var f = cert.fingerprint
            f.bytes[31] ^= 0x01
            return f
        })
        link.client.start(now: link.now)
        link.pump()
        #expect(DTLSTestLink.failure(link.serverEvents) == .fingerprintMismatch)
        #expect(link.serverInfo == nil && link.server.connectionInfo == nil)
        #expect(link.server.state == .failed)
        // The server aborted with an alert before its Finished: the client never connects.
        #expect(link.clientInfo == nil)
        #expect(link.client.state == .failed)
        #expect(link.sentByServer.last?.first == 21)  // an alert record
        guard case .handshakeFailed(let reason)? = DTLSTestLink.failure(link.clientEvents) else {
            Issue.record("client should fail on the server's alert")
            return
        }
        #expect(reason.contains("alert bad certificate"), "\(reason)")
    }

    @Test func clientRejectsAServerWhoseCertificateDoesNotMatchItsFingerprint() throws {
        let other = try DTLSCertificate()
        let link = try DTLSTestLink(clientExpects: { _ in other.fingerprint })  // an impostor's cert
        link.client.start(now: link.now)
        link.pump()
        #expect(DTLSTestLink.failure(link.clientEvents) == .fingerprintMismatch)
        #expect(link.clientInfo == nil && link.client.state == .failed)
        #expect(link.serverInfo == nil)
        // The client stopped at the server's Certificate: it never sent its own Finished flight.
        #expect(!link.sentByClient.contains { handshakeType($0) == 16 })  // ClientKeyExchange
        if case .handshakeFailed(let reason)? = DTLSTestLink.failure(link.serverEvents) {
            #expect(reason.contains("alert bad certificate"), "\(reason)")
        } else {
            Issue.record("server should fail on the client's alert")
        }
    }

    /// Simulated time only: OpenSSL's timer reads the endpoint's clock (CDTLSClock), so the
    /// deadlines are exact and nothing waits in real time.
    @Test func aLostServerFlightIsRetransmittedOnTimeout() throws {
        #expect(DTLSEndpoint.ownsOpenSSLClock, "the process's gettimeofday is CDTLSClock's")
        let link = try DTLSTestLink()
        var dropping = true
        var dropped: [[UInt8]] = []
        link.deliverToClient = { d in
            if dropping { dropped.append(d) }
            return !dropping
        }
        link.client.start(now: link.now)
        link.pump()
        #expect(handshakeType(try #require(dropped.first)) == 2)  // ServerHello
        #expect(link.client.state == .handshaking && link.server.state == .handshaking)
        let deadline = try #require(link.serverDeadline)
        #expect(deadline == link.now + .seconds(1), "RFC 6347 §4.2.4.1: 1 s first")

        // Before the deadline nothing is resent, and the same deadline is reported again.
        link.now = deadline - .milliseconds(1)
        link.server.handleTimeout(now: link.now)
        #expect(link.server.poll() == .timeout(deadline))
        #expect(link.server.poll() == nil)

        dropping = false
        link.now = deadline
        link.server.handleTimeout(now: link.now)
        var resent: [[UInt8]] = []
        var next: Instant?
        while let output = link.server.poll() {
            switch output {
            case .transmit(let d): resent.append(d)
            case .timeout(let t): next = t
            default: Issue.record("unexpected \(output)")
            }
        }
        // The same flight (the same handshake messages), in records with new sequence numbers
        // (RFC 6347 §4.2.4). OpenSSL packed the first send and sends one message per datagram now.
        let original = dropped.flatMap(dtlsRecords)
        let again = resent.flatMap(dtlsRecords)
        #expect(again.map(\.body) == original.map(\.body))
        #expect(again.map(\.type) == original.map(\.type))
        #expect(Set(again.map(\.sequence)).isDisjoint(with: original.map(\.sequence)))
        // The timer doubled (RFC 6347 §4.2.4.1), at the simulated instant.
        #expect(next == link.now + .seconds(2))

        for d in resent { link.client.handleDatagram(d, now: link.now) }
        link.pump()
        #expect(link.clientInfo != nil && link.serverInfo != nil)
        #expect(link.clientInfo?.keyingMaterial == link.serverInfo?.keyingMaterial)
    }

    @Test func aLostClientHelloIsRetransmittedOnTimeout() throws {
        let link = try DTLSTestLink()
        link.deliverToServer = { _ in false }
        link.client.start(now: link.now)
        link.pump()
        #expect(link.sentByClient.count == 1 && handshakeType(link.sentByClient[0]) == 1)
        let deadline = try #require(link.clientDeadline)
        #expect(deadline == link.now + .seconds(1))
        link.deliverToServer = { _ in true }
        link.now = deadline
        link.client.handleTimeout(now: link.now)
        link.pump()
        #expect(handshakeType(link.sentByClient[1]) == 1)  // the ClientHello again
        #expect(link.clientInfo != nil && link.serverInfo != nil)
    }

    /// The server's last flight (ChangeCipherSpec, Finished) is lost after the server has
    /// connected: the client's retransmitted flight makes the connected server resend it.
    @Test func aLostFinalServerFlightIsResentWhenTheClientRetransmits() throws {
        let link = try DTLSTestLink()
        var dropping = true
        link.deliverToClient = { d in !(dropping && dtlsRecords(d).contains { $0.type == 20 }) }
        link.client.start(now: link.now)
        link.pump()
        #expect(link.server.state == .connected && link.client.state == .handshaking)
        let deadline = try #require(link.clientDeadline)
        dropping = false
        link.now = deadline
        link.client.handleTimeout(now: link.now)
        link.pump()
        #expect(link.client.state == .connected)
        #expect(link.clientInfo?.keyingMaterial == link.serverInfo?.keyingMaterial)
        #expect(link.serverEvents.count == 1)  // still one .connected
    }

    @Test func handshakeMessagesAreFragmentedToASmallMTU() throws {
        let link = try DTLSTestLink(configuration: .init(mtu: 300))
        link.client.start(now: link.now)
        link.pump()
        #expect(link.clientInfo != nil && link.clientInfo?.keyingMaterial == link.serverInfo?.keyingMaterial)
        let all = link.sentByClient + link.sentByServer
        #expect(all.allSatisfy { $0.count <= 300 })
        // The certificate does not fit: some handshake message went out in fragments, which the
        // peer reassembled (fragment_offset > 0, RFC 6347 §4.2.3).
        let fragments = all.flatMap(dtlsRecords).filter { $0.type == 22 && $0.body.count >= 12 }
        #expect(fragments.contains { Int($0.body[6]) << 16 | Int($0.body[7]) << 8 | Int($0.body[8]) > 0 })
    }

    @Test func garbageDatagramsAreSurvived() throws {
        var random = SRTPTestRandom(seed: 42)
        func junk(_ first: UInt8?, _ count: Int) -> [UInt8] {
            var d = (0..<count).map { _ in random.nextByte() }
            if let first, !d.isEmpty { d[0] = first }
            return d
        }
        let link = try DTLSTestLink()
        let shapes: [(UInt8?, Int)] = [(nil, 0), (nil, 1), (0x00, 20), (0x80, 100), (22, 5), (22, 13),
                                       (22, 14), (22, 200), (20, 30), (21, 7), (23, 100), (63, 40), (25, 3000)]
        let oversized = junk(22, 70_000)  // larger than any read buffer
        link.server.handleDatagram(oversized, now: link.now)
        // Before the handshake, to an idle server, and between every flight.
        for (first, count) in shapes { link.server.handleDatagram(junk(first, count), now: link.now) }
        link.client.handleDatagram(junk(22, 100), now: link.now)  // a client that has not started
        #expect(link.client.poll() == .timeout(.never))
        #expect(link.client.poll() == nil)
        link.client.start(now: link.now)
        for _ in 0..<10 {
            for (first, count) in shapes {
                link.server.handleDatagram(junk(first, count), now: link.now)
                link.client.handleDatagram(junk(first, count), now: link.now)
            }
            link.pump()
        }
        #expect(link.clientInfo != nil && link.serverInfo != nil)
        // Also after the handshake: forged records fail their MAC and are dropped silently.
        for _ in 0..<50 {
            for (first, count) in shapes { link.client.handleDatagram(junk(first, count), now: link.now) }
        }
        link.client.handleDatagram(oversized, now: link.now)
        link.pump()
        #expect(link.client.state == .connected && link.server.state == .connected)
    }

    @Test func closeNotifyReachesThePeer() throws {
        let link = try DTLSTestLink()
        link.client.start(now: link.now)
        link.pump()
        link.client.close(now: link.now)
        link.pump()
        #expect(link.client.state == .closed)
        #expect(link.serverEvents.last == .closed)
        #expect(link.server.state == .closed)
        // Closed endpoints ignore input.
        link.server.handleDatagram(link.sentByClient.last ?? [], now: link.now)
        #expect(link.server.poll() == .timeout(.never))
        #expect(link.server.poll() == nil)
    }

    @Test func rejectsBadConfiguration() throws {
        let cert = try DTLSCertificate()
        #expect(throws: DTLSError.self) {
            try DTLSEndpoint(role: .client, certificate: cert, expectedRemoteFingerprint: cert.fingerprint, srtpProfiles: [])
        }
        #expect(throws: DTLSError.self) {
            try DTLSEndpoint(role: .client, certificate: cert,
                             expectedRemoteFingerprint: DTLSFingerprint(algorithm: .sha256, bytes: [1, 2, 3]))
        }
        #expect(throws: DTLSError.self) {
            try DTLSEndpoint(role: .client, certificate: cert, expectedRemoteFingerprint: cert.fingerprint,
                             configuration: .init(mtu: 100))
        }
    }
}
