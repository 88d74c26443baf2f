import DevTools
import DTLS
import Foundation
import ICE
import SessionCore
import SessionDriver
import SessionPeer
import Testing

/// `PeerDriver` reaching Debian's coturn over TCP and TLS on loopback (RFC 8656 §3.1): the
/// relay candidate when everything is right, and a clear `relayFailed` reason for each thing
/// that can be wrong (credentials, CA, name, nothing listening). No media: gathering only.
@Suite(.serialized, .enabled(if: FileManager.default.isExecutableFile(atPath: CoturnProcess.executable), "coturn not installed"))
struct TURNOverStreamDriverTests {
    /// What the driver reported first: a relay candidate or a relay failure.
    enum Outcome: Equatable {
        case relay(String)
        case failed(TransportProtocol, String)
        case nothing
    }

    /// Starts a relay-only peer against `server` and waits (on a semaphore, up to 20 s) for
    /// the first relay candidate or relay failure.
    func gather(_ server: ICETURNServer, caFile: String? = nil) throws -> Outcome {
        var config = PeerConfiguration(localAddresses: [TransportAddress(host: "127.0.0.1", port: 0)!],
                                       seed: UInt64.random(in: 1...UInt64.max))
        config.ice.turnServers = [server]
        config.ice.transportPolicy = .relay
        let outcome = Locked<Outcome>(.nothing)
        let signal = DispatchSemaphore(value: 0)
        let driver = try PeerDriver(configuration: config, certificate: DTLSCertificate(), turnCAFile: caFile) { event in
            let o: Outcome? = switch event {
            case .localCandidate(let c, _, _) where c.contains("typ relay"): .relay(c)
            case .relayFailed(let t, let reason): .failed(t, reason)
            default: nil
            }
            guard let o else { return }
            let first = outcome.withLock { current -> Bool in
                guard current == .nothing else { return false }
                current = o
                return true
            }
            if first { signal.signal() }
        }
        defer { driver.stop(); driver.waitUntilStopped() }
        driver.submit(.createOffer { _ in })
        _ = signal.wait(timeout: .now() + 20)
        return outcome.withLock { $0 }
    }

    func server(_ coturn: CoturnProcess, password: String? = nil, name: String? = nil) -> ICETURNServer {
        let transport: TransportProtocol = coturn.transport == .tls ? .tls : .tcp
        return ICETURNServer(address: TransportAddress(host: "127.0.0.1", port: UInt16(coturn.port))!, username: coturn.username,
                             password: password ?? coturn.password, transport: transport,
                             serverName: transport == .tls ? (name ?? "127.0.0.1") : nil)
    }

    @Test func allocatesOverTCP() throws {
        let coturn = try CoturnProcess(transport: .tcp)
        defer { coturn.stop() }
        let outcome = try gather(server(coturn))
        guard case .relay(let candidate) = outcome else { Issue.record("got \(outcome)"); return }
        // The relayed address is UDP whatever the transport to the server; raddr is the mapped one.
        #expect(candidate.contains(" udp ") || candidate.contains(" UDP "))
        #expect(candidate.contains("raddr 127.0.0.1"))
        #expect(coturn.allocations == 1)
    }

    /// A pool's busy member answers 300 Try Alternate: the allocation is made at the alternate
    /// (same user), over the same transport, and the first server grants nothing.
    @Test(arguments: [CoturnProcess.Transport.udp, .tcp])
    func followsTryAlternateToAnotherServerOfThePool(_ transport: CoturnProcess.Transport) throws {
        let alternate = try CoturnProcess(transport: transport)
        defer { alternate.stop() }
        let busy = try CoturnProcess(transport: transport, alternateServer: "127.0.0.1:\(alternate.port)", password: alternate.password)
        defer { busy.stop() }
        var first = server(busy)
        if transport == .udp { first.transport = .udp }
        let outcome = try gather(first)
        guard case .relay(let candidate) = outcome else { Issue.record("got \(outcome); busy log \(busy.logFile)"); return }
        #expect(candidate.contains("typ relay"))
        #expect(alternate.allocations == 1, "allocated at the alternate")
        #expect(busy.allocations == 0, "nothing granted by the server that redirected")
        #expect(busy.log.contains("300") || busy.log.lowercased().contains("alternate"), "the redirect came from coturn")
    }

    @Test func allocatesOverTLSWithTheTrustedCA() throws {
        let coturn = try CoturnProcess(transport: .tls)
        defer { coturn.stop() }
        let outcome = try gather(server(coturn), caFile: coturn.certificateFile)
        guard case .relay = outcome else { Issue.record("got \(outcome)"); return }
        #expect(coturn.allocations == 1)
        #expect(coturn.tlsSessions == 1)
    }

    @Test func badCredentialsOverTCPAreAClearError() throws {
        let coturn = try CoturnProcess(transport: .tcp)
        defer { coturn.stop() }
        let outcome = try gather(server(coturn, password: "wrong"))
        #expect(outcome == .failed(.tcp, "\(TURNError.unauthorized)"))
        #expect(coturn.allocations == 0)
    }

    @Test func anUntrustedCertificateIsRefused() throws {
        let coturn = try CoturnProcess(transport: .tls)
        defer { coturn.stop() }
        #expect(try gather(server(coturn)) == .failed(.tls, "\(TLSError.unknownCA)"))
        #expect(coturn.allocations == 0)
    }

    @Test func aCertificateForAnotherNameIsRefused() throws {
        let coturn = try CoturnProcess(transport: .tls)
        defer { coturn.stop() }
        let outcome = try gather(server(coturn, name: "turn.kiosk.test"), caFile: coturn.certificateFile)
        #expect(outcome == .failed(.tls, "\(TLSError.nameMismatch)"))
        #expect(coturn.allocations == 0)
    }

    @Test func nothingListeningFailsTheRelayCleanly() throws {
        let port = UInt16(PracticeDevProcess.freePort())
        let s = ICETURNServer(address: TransportAddress(host: "127.0.0.1", port: port)!, username: "u", password: "p", transport: .tcp)
        let outcome = try gather(s)
        guard case .failed(.tcp, let reason) = outcome else { Issue.record("got \(outcome)"); return }
        #expect(reason.hasPrefix("cannot connect to the TURN server"), "\(reason)")
        #expect(!reason.contains("127.0.0.1"), "no address in the log")
    }
}
