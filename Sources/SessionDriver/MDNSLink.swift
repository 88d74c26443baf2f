import MDNS
import SessionCore
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// The mDNS responder's socket for host-candidate names (`ICEAgentConfig.hostCandidateNames`):
/// UDP port 5353 shared with any other responder on the machine, the group 224.0.0.251
/// joined on each interface a name is answered on, answers sent out of that interface
/// (`IP_MULTICAST_IF`) with TTL 255 (RFC 6762 §11). Opened on the first name, polled with the
/// call's sockets, closed with a goodbye for every name when the call ends.
final class MDNSLink {
    let socket: UDPSocket
    private(set) var responder = MDNSResponder()
    private var joined: Set<UInt32> = []
    /// The responder's last `.timeout`: it says it once per drain, and holds until the next.
    private var deadline = Instant.never

    init() throws(UDPSocket.Failure) {
        socket = try UDPSocket(bindTo: TransportAddress(ip: .v4(0), port: MDNSResponder.port), sharingPort: true)
        var ttl: Int32 = 255
        setsockopt(socket.fd, Int32(IPPROTO_IP), IP_MULTICAST_TTL, &ttl, socklen_t(MemoryLayout<Int32>.size))
    }

    /// Answers for `name` from now on, on the link of the interface that has `address`. An
    /// address on an interface without IPv4 cannot be answered for (answers go over IPv4).
    func register(name: String, address: TransportAddress.IP, at now: Instant) {
        guard let interface = LocalAddresses.interfaceIPv4(for: address) else { return }
        if case .v4(let v) = interface, !joined.contains(v) {
            var request = ip_mreq(imr_multiaddr: in_addr(s_addr: UInt32(0xE000_00FB).bigEndian), imr_interface: in_addr(s_addr: v.bigEndian))
            if setsockopt(socket.fd, Int32(IPPROTO_IP), IP_ADD_MEMBERSHIP, &request, socklen_t(MemoryLayout<ip_mreq>.size)) == 0
                || errno == EADDRINUSE {
                joined.insert(v)
            }
        }
        responder.register(name: name, address: address, interface: interface, at: now)
    }

    /// Everything waiting on the socket.
    func receive(into buffer: inout [UInt8], at now: Instant) {
        while let (count, from) = buffer.withUnsafeMutableBytes({ socket.receive(into: $0) }) {
            responder.handle(Array(buffer[0..<count]), from: from, at: now)
        }
    }

    func handleTimeout(at now: Instant) { responder.handleTimeout(at: now) }

    /// Sends the responder's answers; its next deadline.
    func flush() -> Instant {
        while let output = responder.poll() {
            switch output {
            case .transmit(let t):
                if case .v4(let v) = t.interface {
                    var interface = in_addr(s_addr: v.bigEndian)
                    setsockopt(socket.fd, Int32(IPPROTO_IP), IP_MULTICAST_IF, &interface, socklen_t(MemoryLayout<in_addr>.size))
                }
                t.bytes.withUnsafeBytes { _ = socket.send($0, to: t.to) }
            case .timeout(let t):
                deadline = t
            }
        }
        return deadline
    }

    /// Goodbyes for every name (the call is over).
    func close(at now: Instant) {
        responder.unregisterAll(at: now)
        _ = flush()
    }
}
