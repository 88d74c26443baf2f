import MDNS
import SessionCore
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// The call's Multicast DNS socket: the responder for the kiosk's host-candidate names
/// (`ICEAgentConfig.hostCandidateNames`) and the resolver for the peer's
/// (`resolveRemoteHostNames`). UDP port 5353 shared with any other responder on the machine,
/// the group 224.0.0.251 joined on each interface used, messages sent out of the interface
/// they are for (`IP_MULTICAST_IF`) with TTL 255 (RFC 6762 §11). Opened on first use, polled
/// with the call's sockets, closed with a goodbye for every name when the call ends.
final class MDNSLink {
    let socket: UDPSocket
    private(set) var responder = MDNSResponder()
    private(set) var resolver = MDNSResolver()
    private var joined: Set<UInt32> = []
    /// The links' subnets (RFC 6762 §11: only on-link sources are answered or believed; a
    /// unicast question from the internet must not learn the LAN address behind a name).
    private var subnets: [(address: UInt32, mask: UInt32)] = []
    /// Each machine's last `.timeout`: said once per drain, it holds until the next.
    private var responderDeadline = Instant.never
    private var resolverDeadline = Instant.never

    init() throws(UDPSocket.Failure) {
        socket = try UDPSocket(bindTo: TransportAddress(ip: .v4(0), port: MDNSResponder.port), sharingPort: true)
        var ttl: Int32 = 255
        setsockopt(socket.fd, Int32(IPPROTO_IP), IP_MULTICAST_TTL, &ttl, socklen_t(MemoryLayout<Int32>.size))
    }

    /// Answers for `name` from now on, on the link of the interface that has `address`. An
    /// address on an interface without IPv4 cannot be answered for (answers go over IPv4).
    func register(name: String, address: TransportAddress.IP, at now: Instant) {
        let interfaces = LocalAddresses.interfaces()
        subnets = LocalAddresses.ipv4Subnets(in: interfaces)
        guard let interface = LocalAddresses.interfaceIPv4(for: address, in: interfaces) else { return }
        join(interface)
        responder.register(name: name, address: address, interface: interface, at: now)
    }

    /// Asks the links of `interfaces` (the call's IPv4 addresses) for `name`.
    func resolve(_ name: String, on interfaces: [TransportAddress.IP], at now: Instant) {
        subnets = LocalAddresses.ipv4Subnets(in: LocalAddresses.interfaces())
        let usable = interfaces.filter { join($0) }
        resolver.resolve(name, on: usable, at: now)
    }

    /// The group on one more interface; false if the kernel refused (no multicast there).
    @discardableResult
    private func join(_ interface: TransportAddress.IP) -> Bool {
        guard case .v4(let v) = interface else { return false }
        if joined.contains(v) { return true }
        var request = ip_mreq(imr_multiaddr: in_addr(s_addr: UInt32(0xE000_00FB).bigEndian), imr_interface: in_addr(s_addr: v.bigEndian))
        guard setsockopt(socket.fd, Int32(IPPROTO_IP), IP_ADD_MEMBERSHIP, &request, socklen_t(MemoryLayout<ip_mreq>.size)) == 0
                || errno == EADDRINUSE else { return false }
        joined.insert(v)
        return true
    }

    /// Everything waiting on the socket: questions for the responder, answers for the resolver.
    func receive(into buffer: inout [UInt8], at now: Instant) {
        while let (count, from, _) = buffer.withUnsafeMutableBytes({ socket.receive(into: $0) }) {
            guard isOnLink(from.ip) else { continue }
            let message = Array(buffer[0..<count])
            if !resolver.handle(message, from: from, at: now) { responder.handle(message, from: from, at: now) }
        }
    }

    func isOnLink(_ ip: TransportAddress.IP) -> Bool {
        guard case .v4(let a) = ip else { return false }
        return subnets.contains { a & $0.mask == $0.address & $0.mask }
    }

    func handleTimeout(at now: Instant) {
        responder.handleTimeout(at: now)
        resolver.handleTimeout(at: now)
    }

    /// Sends what both machines want sent, hands each resolved name on (nil: given up); the
    /// next deadline.
    func flush(resolved: (String, TransportAddress.IP?) -> Void) -> Instant {
        while let output = responder.poll() {
            switch output {
            case .transmit(let t): send(t)
            case .timeout(let t): responderDeadline = t
            }
        }
        while let output = resolver.poll() {
            switch output {
            case .transmit(let t): send(t)
            case .resolved(let name, let address): resolved(name, address)
            case .unresolved(let name): resolved(name, nil)
            case .timeout(let t): resolverDeadline = t
            }
        }
        return min(responderDeadline, resolverDeadline)
    }

    private func send(_ t: MDNSTransmit) {
        if case .v4(let v) = t.interface {
            var interface = in_addr(s_addr: v.bigEndian)
            setsockopt(socket.fd, Int32(IPPROTO_IP), IP_MULTICAST_IF, &interface, socklen_t(MemoryLayout<in_addr>.size))
        }
        t.bytes.withUnsafeBytes { _ = socket.send($0, to: t.to) }
    }

    /// Goodbyes for every name (the call is over).
    func close(at now: Instant) {
        responder.unregisterAll(at: now)
        _ = flush { _, _ in }
    }
}
