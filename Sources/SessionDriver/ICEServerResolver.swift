import ICE
import SessionCore
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Turns STUN/TURN server URLs and their credentials into the agent's server list: DNS names
/// resolved (getaddrinfo, so it blocks: call it before the call starts, not on a media
/// thread), duplicates dropped, what the agent cannot use yet set aside with the reason.
public enum ICEServerResolver {
    public struct Server: Sendable, Equatable {
        public var url: ICEServerURL
        public var username: String?
        public var credential: String?

        public init(url: ICEServerURL, username: String? = nil, credential: String? = nil) {
            self.url = url
            self.username = username
            self.credential = credential
        }
    }

    public struct Resolved: Sendable, Equatable {
        public var stun: [TransportAddress] = []
        public var turn: [ICETURNServer] = []
        /// One line per server left out (no PHI: the scheme and the reason).
        public var skipped: [String] = []

        public init() {}
    }

    /// At most this many addresses per name, and servers in all: a welcome cannot make the
    /// kiosk spray allocations.
    public static let maxAddressesPerName = 2
    public static let maxServers = 8

    public static func resolve(_ servers: [Server], resolveName: (String, UInt16) -> [TransportAddress] = lookup)
        -> Resolved {
        var out = Resolved()
        for server in servers {
            let url = server.url
            guard url.isUsableByAgent else {
                out.skipped.append("\(url): not supported (stun: over UDP, turn: over UDP or TCP, turns: over TCP)")
                continue
            }
            var credentials: (username: String, password: String)?
            if url.isTURN {
                guard let username = server.username, let password = server.credential else {
                    out.skipped.append("\(url): no credentials")
                    continue
                }
                credentials = (username, password)
            }
            let addresses = resolveName(url.host, url.port).prefix(maxAddressesPerName)
            if addresses.isEmpty { out.skipped.append("\(url): the name does not resolve") }
            for address in addresses where out.stun.count + out.turn.count < maxServers {
                if let credentials, let transport = url.turnTransport {
                    // The name from the URL, for a `turns:` certificate to be checked against.
                    let turn = ICETURNServer(address: address, username: credentials.username, password: credentials.password,
                                             transport: transport, serverName: transport == .tls ? url.host : nil)
                    if !out.turn.contains(turn) { out.turn.append(turn) }
                } else if !out.stun.contains(address) {
                    out.stun.append(address)
                }
            }
        }
        return out
    }

    /// getaddrinfo for UDP: IPv4 and IPv6 answers in the resolver's order.
    public static func lookup(_ host: String, _ port: UInt16) -> [TransportAddress] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_DGRAM.rawValue)
        hints.ai_flags = AI_NUMERICSERV | AI_ADDRCONFIG
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &list) == 0, let first = list else { return [] }
        defer { freeaddrinfo(first) }
        var result: [TransportAddress] = []
        var node: UnsafeMutablePointer<addrinfo>? = first
        while let n = node {
            if let sa = n.pointee.ai_addr {
                var storage = sockaddr_storage()
                withUnsafeMutableBytes(of: &storage) { dst in
                    dst.copyMemory(from: UnsafeRawBufferPointer(start: sa, count: min(Int(n.pointee.ai_addrlen), dst.count)))
                }
                if let a = TransportAddress(storage: storage), !result.contains(a) { result.append(a) }
            }
            node = n.pointee.ai_next
        }
        return result
    }
}
