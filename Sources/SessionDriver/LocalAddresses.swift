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

    /// One interface address as getifaddrs lists it.
    struct Interface {
        var name: String
        var address: TransportAddress
        var up: Bool
        /// The IPv4 netmask (host order), nil for IPv6.
        var mask: UInt32?
    }

    /// The IPv4 address of the interface `ip` is on (itself for IPv4): where an mDNS answer
    /// for it goes out.
    static func interfaceIPv4(for ip: TransportAddress.IP, in all: [Interface]) -> TransportAddress.IP? {
        if case .v4 = ip { return ip }
        guard let owner = all.first(where: { $0.address.ip == ip })?.name else { return nil }
        return all.first { $0.name == owner && $0.address.isIPv4 }?.address.ip
    }

    /// The IPv4 subnets (address and mask) of the interfaces that are up, for telling on-link
    /// sources from others.
    static func ipv4Subnets(in all: [Interface]) -> [(address: UInt32, mask: UInt32)] {
        all.compactMap { i in
            guard i.up, case .v4(let a) = i.address.ip, let m = i.mask else { return nil }
            return (a, m)
        }
    }

    /// Every IPv4 and IPv6 interface address (getifaddrs).
    static func interfaces() -> [Interface] {
        var head: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&head) == 0 else { return [] }
        defer { freeifaddrs(head) }
        var result: [Interface] = []
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
            let mask = family == AF_INET ? entry.pointee.ifa_netmask.map {
                UInt32(bigEndian: UnsafeRawPointer($0).load(as: sockaddr_in.self).sin_addr.s_addr)
            } : nil
            result.append(Interface(name: String(cString: entry.pointee.ifa_name), address: address,
                                    up: Int32(entry.pointee.ifa_flags) & Int32(IFF_UP) != 0, mask: mask))
        }
        return result
    }
}
