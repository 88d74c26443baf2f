import ICE
import SessionCore
import SessionDriver
import Testing

/// RFC 7064/7065 server URLs as the practice's welcome and the configuration give them, and
/// their resolution into the agent's server list.
@Suite struct ICEServerURLTests {
    @Test(arguments: [
        ("stun:stun.example.org", ICEServerURL.Scheme.stun, "stun.example.org", UInt16(3478), ICEServerURL.Transport.udp),
        ("stun:192.0.2.1:19302", .stun, "192.0.2.1", 19302, .udp),
        ("STUN:[2001:db8::1]:3479", .stun, "2001:db8::1", 3479, .udp),
        ("stuns:stun.example.org", .stuns, "stun.example.org", 5349, .tcp),
        ("turn:turn.example.org", .turn, "turn.example.org", 3478, .udp),
        ("turn:turn.example.org:80?transport=tcp", .turn, "turn.example.org", 80, .tcp),
        ("turn:10.0.0.1?transport=UDP", .turn, "10.0.0.1", 3478, .udp),
        ("turns:turn.example.org:443?transport=tcp", .turns, "turn.example.org", 443, .tcp),
    ])
    func parses(text: String, scheme: ICEServerURL.Scheme, host: String, port: UInt16, transport: ICEServerURL.Transport) throws {
        let url = try ICEServerURL(parsing: text)
        #expect(url.scheme == scheme && url.host == host && url.port == port && url.transport == transport)
        #expect(url.isUsableByAgent == ((scheme == .stun && transport == .udp) || scheme == .turn || scheme == .turns))
    }

    /// RFC 7065: the transport to a TURN server; `turns:` over UDP would be DTLS (not spoken).
    @Test func turnTransports() throws {
        #expect(try ICEServerURL(parsing: "turn:h").turnTransport == .udp)
        #expect(try ICEServerURL(parsing: "turn:h?transport=tcp").turnTransport == .tcp)
        #expect(try ICEServerURL(parsing: "turns:h").turnTransport == .tls)
        #expect(try ICEServerURL(parsing: "turns:h").port == 5349)
        #expect(try ICEServerURL(parsing: "turns:h?transport=udp").turnTransport == nil)
        #expect(try !ICEServerURL(parsing: "turns:h?transport=udp").isUsableByAgent)
        #expect(try !ICEServerURL(parsing: "stuns:h").isUsableByAgent)
        #expect(try ICEServerURL(parsing: "stun:h").turnTransport == nil)
    }

    @Test(arguments: [
        ("http://turn.example.org", ICEServerURLError.unknownScheme("http")),
        ("turn.example.org", .unknownScheme("turn.example.org")),
        ("turn:user:pass@turn.example.org", .notAServerAddress),
        ("stun:stun.example.org/path", .notAServerAddress),
        ("turn:", .invalidHost),
        ("turn:-bad-.example", .invalidHost),
        ("turn:a:b:c", .invalidHost),
        ("turn:[2001:db8::1", .invalidHost),
        ("turn:[hello]:3478", .invalidHost),
        ("turn:host:0", .invalidPort("0")),
        ("turn:host:70000", .invalidPort("70000")),
        ("stun:host?transport=udp", .invalidQuery),
        ("turn:host?transport=sctp", .invalidQuery),
        ("turn:host?foo=bar", .invalidQuery),
        ("turn:" + String(repeating: "a", count: 600), .tooLong),
    ])
    func refuses(text: String, error: ICEServerURLError) {
        #expect(throws: error) { try ICEServerURL(parsing: text) }
    }

    @Test func descriptionNamesNoServer() throws {
        #expect("\(try ICEServerURL(parsing: "turn:turn.clinic.example:3478"))" == "turn(udp)")
    }

    @Test func resolutionKeepsWhatTheAgentCanUseWithReasonsForTheRest() throws {
        let a1 = TransportAddress(host: "192.0.2.1", port: 3478)!, a2 = TransportAddress(host: "192.0.2.2", port: 3478)!
        let a3 = TransportAddress(host: "192.0.2.3", port: 3478)!
        let names: [String: [TransportAddress]] = ["turn.example": [a1, a2, a3], "stun.example": [a1], "dup.example": [a1]]
        let servers: [ICEServerResolver.Server] = [
            .init(url: try ICEServerURL(parsing: "turn:turn.example"), username: "1700000000:kiosk-1", credential: "c"),
            .init(url: try ICEServerURL(parsing: "turn:turn.example?transport=tcp"), username: "u", credential: "c"),
            .init(url: try ICEServerURL(parsing: "turns:turn.example:443"), username: "u", credential: "c"),
            .init(url: try ICEServerURL(parsing: "turn:nocreds.example")),
            .init(url: try ICEServerURL(parsing: "stun:stun.example")),
            .init(url: try ICEServerURL(parsing: "stun:dup.example")),
            .init(url: try ICEServerURL(parsing: "stun:nowhere.example")),
        ]
        let r = ICEServerResolver.resolve(servers) { host, port in
            (names[host] ?? []).map { TransportAddress(ip: $0.ip, port: port) }
        }
        // Two addresses per name at most, per transport; the same STUN address once. The name
        // of a turns: server travels with it, for its certificate to be checked against.
        let b1 = TransportAddress(ip: a1.ip, port: 443), b2 = TransportAddress(ip: a2.ip, port: 443)
        #expect(r.turn == [ICETURNServer(address: a1, username: "1700000000:kiosk-1", password: "c"),
                           ICETURNServer(address: a2, username: "1700000000:kiosk-1", password: "c"),
                           ICETURNServer(address: a1, username: "u", password: "c", transport: .tcp),
                           ICETURNServer(address: a2, username: "u", password: "c", transport: .tcp),
                           ICETURNServer(address: b1, username: "u", password: "c", transport: .tls, serverName: "turn.example"),
                           ICETURNServer(address: b2, username: "u", password: "c", transport: .tls, serverName: "turn.example")])
        #expect(r.stun == [a1])
        #expect(r.skipped == ["turn(udp): no credentials", "stun(udp): the name does not resolve"])
        let refused = ICEServerResolver.resolve([.init(url: try ICEServerURL(parsing: "turns:turn.example?transport=udp"),
                                                       username: "u", credential: "c")]) { _, _ in [a1] }
        #expect(refused.turn.isEmpty)
        #expect(refused.skipped == ["turns(udp): not supported (stun: over UDP, turn: over UDP or TCP, turns: over TCP)"])
    }

    @Test func atMostEightServersFromAnyWelcome() throws {
        let servers = try (0..<20).map { i in
            ICEServerResolver.Server(url: try ICEServerURL(parsing: "stun:192.0.2.\(i + 1)"))
        }
        let r = ICEServerResolver.resolve(servers) { host, port in [TransportAddress(host: host, port: port)!] }
        #expect(r.stun.count == ICEServerResolver.maxServers)
    }

    @Test func lookupResolvesLiteralsAndLocalhost() {
        #expect(ICEServerResolver.lookup("127.0.0.1", 3478) == [TransportAddress(host: "127.0.0.1", port: 3478)!])
        #expect(ICEServerResolver.lookup("localhost", 3478).contains(TransportAddress(host: "127.0.0.1", port: 3478)!))
        #expect(ICEServerResolver.lookup("no-such-host.invalid", 3478).isEmpty)
    }
}
