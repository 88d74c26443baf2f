import Foundation
@testable import ICE
@testable import SessionCore
import Testing

@Suite struct ICECandidateTests {
    /// Every `a=candidate` line and trickled candidate in the real browser fixtures parses, and
    /// serialises back to an equivalent candidate.
    @Test func realBrowserCandidatesParseAndRoundTrip() throws {
        let dir = try #require(Bundle.module.url(forResource: "sdp", withExtension: nil, subdirectory: "Fixtures"))
        var lines: [String] = []
        for file in try FileManager.default.contentsOfDirectory(at: dir, includingPropertiesForKeys: nil) {
            let text = try String(contentsOf: file, encoding: .utf8)
            if file.pathExtension == "sdp" {
                lines += text.split(whereSeparator: \.isNewline).filter { $0.hasPrefix("a=candidate:") }
                    .map { String($0.dropFirst("a=candidate:".count)) }
            } else if file.pathExtension == "json" {
                let items = try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]])
                lines += items.compactMap { $0["candidate"] as? String }.filter { !$0.isEmpty }
            }
        }
        #expect(lines.count > 30)
        var tcp = 0
        var mdns = 0
        for line in lines {
            let c = try ICECandidate(sdpAttribute: line)
            #expect(try ICECandidate(sdpAttribute: c.sdpAttribute) == c)
            #expect(try ICECandidate(sdpAttribute: c.trickleString) == c)
            #expect((c.address != nil) != c.isMDNS)
            if c.isMDNS { mdns += 1 }
            if c.transport == .tcp { tcp += 1; #expect(c.tcpType == .active && c.port == 9) }
        }
        #expect(tcp > 0)
        #expect(mdns > 0)
    }

    @Test func chromiumTrickleFields() throws {
        let c = try ICECandidate(sdpAttribute:
            "candidate:2999903492 1 udp 2122260223 127.0.0.1 41407 typ host generation 0 ufrag yHwQ network-id 1 network-cost 50")
        #expect(c.foundation == "2999903492")
        #expect(c.component == 1)
        #expect(c.transport == .udp)
        #expect(c.priority == 2122260223)
        #expect(c.address == TransportAddress(host: "127.0.0.1", port: 41407))
        #expect(c.kind == .host)
        #expect(c.generation == 0)
        #expect(c.ufrag == "yHwQ")
        #expect(c.extensions == [.init(name: "network-id", value: "1"), .init(name: "network-cost", value: "50")])
    }

    @Test func reflexiveAndRelayWithRelatedAddress() throws {
        let c = try ICECandidate(sdpAttribute:
            "a=candidate:842163049 1 UDP 1677729535 203.0.113.5 61000 typ srflx raddr 10.0.0.2 rport 5000")
        #expect(c.kind == .srflx)
        #expect(c.relatedAddress == TransportAddress(host: "10.0.0.2", port: 5000))
        let r = try ICECandidate(sdpAttribute: "1 1 udp 41885439 2001:db8::7 3478 typ relay raddr 0.0.0.0 rport 0")
        #expect(r.kind == .relay)
        #expect(r.address == TransportAddress(host: "2001:db8::7", port: 3478))
    }

    @Test func mdnsHostnameParsesWithoutAnAddress() throws {
        let c = try ICECandidate(sdpAttribute:
            "candidate:1 1 udp 2113937151 4d6a2c3e-1b44-4b8e-9a0b-0a1b2c3d4e5f.local 54321 typ host generation 0")
        #expect(c.isMDNS)
        #expect(c.address == nil)
        #expect(c.sdpAttribute.contains(".local 54321"))
    }

    @Test func malformedCandidatesAreTypedErrors() {
        let bad: [(String, ICECandidateError)] = [
            ("", .missingField("foundation")),
            ("candidate:1 1 udp 100 1.2.3.4 5", .missingField("typ")),
            ("1 1 udp 100 1.2.3.4 5 type host", .missingField("typ")),
            ("1 0 udp 100 1.2.3.4 5 typ host", .invalid("component")),
            ("1 1 sctp 100 1.2.3.4 5 typ host", .invalid("transport")),
            ("1 1 udp 99999999999 1.2.3.4 5 typ host", .invalid("priority")),
            ("1 1 udp 100 1.2.3.4 70000 typ host", .invalid("port")),
            ("1 1 udp 100 1.2.3.4 5 typ bogus", .invalid("type")),
            ("1 1 udp 100 1.2.3.4 5 typ host raddr", .missingField("value of raddr")),
            ("1 1 udp 100 1.2.3.4 5 typ host rport x", .invalid("rport")),
            ("f@@ 1 udp 100 1.2.3.4 5 typ host", .invalid("foundation")),
        ]
        for (text, error) in bad {
            #expect(throws: error) { try ICECandidate(sdpAttribute: text) }
        }
    }

    @Test func descriptionsRedactAddresses() throws {
        let c = try ICECandidate(sdpAttribute: "1 1 udp 100 192.0.2.44 5000 typ srflx raddr 10.1.2.3 rport 9")
        let text = "\(c) \(ICETransmit(from: c.address!, to: c.address!, bytes: [1]))"
        #expect(!text.contains("192.0.2.44"))
        #expect(!text.contains("10.1.2.3"))
        #expect(!"\(ICECredentials(ufrag: "u", pwd: "secretpassword"))".contains("secretpassword"))
    }

    @Test func prioritiesFollowRFC8445() {
        // §5.1.2.1 with the recommended type preferences, component 1.
        #expect(ICEPriority.candidate(.host, localPreference: 65535) == 2130706431)
        #expect(ICEPriority.candidate(.relay, localPreference: 65535) == 16777215)
        #expect(ICEPriority.typePreference(.prflx) > ICEPriority.typePreference(.srflx))
        // §6.1.2.3: symmetric in MIN/MAX, the controlling side breaks ties.
        let a = ICEPriority.pair(controlling: 100, controlled: 200)
        let b = ICEPriority.pair(controlling: 200, controlled: 100)
        #expect(a == (100 << 32) + 400)
        #expect(b == a + 1)
    }
}
