import SessionCore
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// The machine's interface addresses, which become ICE host candidates.
public enum LocalAddresses {
    /// Up, non-link-local addresses. Loopback only when asked (tests and the demo run on
    /// loopback; a real kiosk never offers it).
    public static func list(includeLoopback: Bool, includeIPv6: Bool = false) -> [TransportAddress] {
        var head: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&head) == 0 else { return [] }
        defer { freeifaddrs(head) }
        var result: [TransportAddress] = []
        var cursor = head
        while let entry = cursor {
            defer { cursor = entry.pointee.ifa_next }
            let flags = Int32(entry.pointee.ifa_flags)
            guard flags & Int32(IFF_UP) != 0, let sa = entry.pointee.ifa_addr else { continue }
            var storage = sockaddr_storage()
            let family = Int32(sa.pointee.sa_family)
            guard family == AF_INET || (includeIPv6 && family == AF_INET6) else { continue }
            let size = family == AF_INET ? MemoryLayout<sockaddr_in>.size : MemoryLayout<sockaddr_in6>.size
            withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: UnsafeRawBufferPointer(start: sa, count: size)) }
            guard let address = TransportAddress(storage: storage) else { continue }
            if address.isLoopback && !includeLoopback { continue }
            if case .v6(let hi, _) = address.ip, hi >> 54 == 0x3fa { continue } // fe80::/10 link-local
            if !result.contains(address) { result.append(address) }
        }
        return result
    }
}
