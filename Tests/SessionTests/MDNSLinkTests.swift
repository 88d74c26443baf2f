import Foundation
import MDNS
import SessionCore
@testable import SessionDriver
import Testing
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

enum MulticastInterface {
    static var first: TransportAddress.IP? { LocalAddresses.list(includeLoopback: false).first { $0.isIPv4 }?.ip }
}

/// The driver's Multicast DNS socket through the kernel: one link answers for a name on this
/// machine's first multicast interface, another resolves it there (the group's messages loop
/// back to the sockets joined on that interface), as two hosts on one LAN would.
@Suite(.enabled(if: MulticastInterface.first != nil, "needs an IPv4 interface other than loopback"))
struct MDNSLinkTests {
    static var interface: TransportAddress.IP? { MulticastInterface.first }

    @Test func aNameRegisteredByOneLinkIsResolvedByAnother() throws {
        let ip = try #require(Self.interface)
        let name = "0a1b2c3d-4e5f-4a6b-8c7d-\(String(UInt64.random(in: 0..<(1 << 48)), radix: 16, uppercase: false).padding(toLength: 12, withPad: "0", startingAt: 0)).local"
        let responder = try MDNSLink(), resolver = try MDNSLink()
        var now = MonotonicClock.now()
        var resolved: [(String, TransportAddress.IP?)] = []
        var buffer = [UInt8](repeating: 0, count: 9000)
        // The announcement goes by before anyone asks (the resolver, joined, hears it and
        // takes nothing): the answer must come from the question.
        responder.register(name: name, address: ip, at: now)
        var deadlines = [responder.flush { _, _ in }, Instant.never]
        resolver.resolve("ffffffff-ffff-4fff-bfff-ffffffffffff.local", on: [ip], at: now)
        _ = resolver.flush { _, _ in }
        usleep(100_000)
        resolver.receive(into: &buffer, at: MonotonicClock.now())
        _ = resolver.flush { resolved.append(($0, $1)) }
        #expect(resolved.isEmpty)
        now = MonotonicClock.now()
        resolver.resolve(name, on: [ip], at: now)
        deadlines[1] = resolver.flush { resolved.append(($0, $1)) }
        let giveUp = now + .seconds(3)
        while resolved.isEmpty, now < giveUp {
            var fds = [pollfd(fd: responder.socket.fd, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: resolver.socket.fd, events: Int16(POLLIN), revents: 0)]
            _ = poll(&fds, 2, 50)
            now = MonotonicClock.now()
            for (k, link) in [responder, resolver].enumerated() {
                if fds[k].revents & Int16(POLLIN) != 0 { link.receive(into: &buffer, at: now) }
                if now >= deadlines[k] { link.handleTimeout(at: now) }
                deadlines[k] = link.flush { resolved.append(($0, $1)) }
            }
        }
        #expect(resolved.count == 1)
        #expect(resolved.first?.0 == name && resolved.first?.1 == ip, "resolved \(resolved.map { "\($0.0)" })")
        #expect(responder.responder.answersSent >= 2, "the announcement, then the answer")
        responder.close(at: now)
    }

    /// RFC 6762 §11: a source on none of this machine's subnets is neither answered nor believed.
    @Test func onlyOnLinkSourcesCount() throws {
        let ip = try #require(Self.interface)
        let link = try MDNSLink()
        link.register(name: "0a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d.local", address: ip, at: MonotonicClock.now())
        #expect(link.isOnLink(ip))
        #expect(!link.isOnLink(.v4(0x0808_0808)), "8.8.8.8")
        #expect(!link.isOnLink(.v6(0, 1)))
        link.close(at: MonotonicClock.now())
    }
}
