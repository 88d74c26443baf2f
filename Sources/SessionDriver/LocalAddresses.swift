import SessionCore
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// The machine's interface addresses, which become ICE host candidates.
public enum LocalAddresses {
    /// Up, non-link-local addresses. Loopback only when asked (tests and the demo run on
    /// loopback; a real kiosk never offers it).
    public static func list(includeLoopback: Bool, includeIPv6: Bool = false) -> [TransportAddress] {
        var result: [TransportAddress] = []
        for entry in interfaces() where entry.up {
            let address = entry.address
            guard address.isIPv4 || includeIPv6 else { continue }
            if address.isLoopback && !includeLoopback { continue }
            if case .v6(let hi, _) = address.ip, hi >> 54 == 0x3fa { continue } // fe80::/10 link-local
            if !result.contains(address) { result.append(address) }
        }
        return result
    }

    /// The IPv4 address of the interface `ip` is on (itself for IPv4): where an mDNS answer
    /// for it goes out.
    static func interfaceIPv4(for ip: TransportAddress.IP) -> TransportAddress.IP? {
        if case .v4 = ip { return ip }
        let all = interfaces()
        guard let owner = all.first(where: { $0.address.ip == ip })?.name else { return nil }
        return all.first { $0.name == owner && $0.address.isIPv4 }?.address.ip
    }

    /// The IPv4 subnets of the interfaces that are up (address and mask), for telling on-link
    /// sources from others.
    static func ipv4Subnets() -> [(address: UInt32, mask: UInt32)] {
        var head: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&head) == 0 else { return [] }
        defer { freeifaddrs(head) }
        var result: [(address: UInt32, mask: UInt32)] = []
        var cursor = head
        while let entry = cursor {
            defer { cursor = entry.pointee.ifa_next }
            guard Int32(entry.pointee.ifa_flags) & Int32(IFF_UP) != 0, let sa = entry.pointee.ifa_addr, let nm = entry.pointee.ifa_netmask,
                  Int32(sa.pointee.sa_family) == AF_INET else { continue }
            let a = UnsafeRawPointer(sa).load(as: sockaddr_in.self).sin_addr.s_addr
            let m = UnsafeRawPointer(nm).load(as: sockaddr_in.self).sin_addr.s_addr
            result.append((UInt32(bigEndian: a), UInt32(bigEndian: m)))
        }
        return result
    }

    /// Every IPv4 and IPv6 interface address (getifaddrs), with its interface's name.
    static func interfaces() -> [(name: String, address: TransportAddress, up: Bool)] {
        var head: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&head) == 0 else { return [] }
        defer { freeifaddrs(head) }
        var result: [(name: String, address: TransportAddress, up: Bool)] = []
        var cursor = head
        while let entry = cursor {
            defer { cursor = entry.pointee.ifa_next }
            guard let sa = entry.pointee.ifa_addr else { continue }
            var storage = sockaddr_storage()
            let family = Int32(sa.pointee.sa_family)
            guard family == AF_INET || family == AF_INET6 else { continue }
            let size = family == AF_INET ? MemoryLayout<sockaddr_in>.size : MemoryLayout<sockaddr_in6>.size
            withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: UnsafeRawBufferPointer(start: sa, count: size)) }
            guard let address = TransportAddress(storage: storage) else { continue }
            result.append((String(cString: entry.pointee.ifa_name), address, Int32(entry.pointee.ifa_flags) & Int32(IFF_UP) != 0))
        }
        return result
    }
}
