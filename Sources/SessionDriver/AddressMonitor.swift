import SessionCore
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Local address changes, event-driven (rtnetlink(7)): a NETLINK_ROUTE socket subscribed to
/// RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR. The kernel sends RTM_NEWADDR / RTM_DELADDR when an
/// address comes or goes; the engine thread has this socket in its poll(2) set beside the UDP
/// sockets, so there is no polling loop, no sleep and no extra thread. The messages only say
/// *that* something changed: the caller lists the addresses again (getifaddrs) to see what.
final class AddressMonitor {
    // <linux/netlink.h>, <linux/rtnetlink.h>: not all of them are in Swift's Glibc module.
    static let netlinkRoute: Int32 = 0            // NETLINK_ROUTE
    static let groupIPv4Addresses: UInt32 = 0x10  // RTMGRP_IPV4_IFADDR
    static let groupIPv6Addresses: UInt32 = 0x100 // RTMGRP_IPV6_IFADDR
    static let newAddress: UInt16 = 20            // RTM_NEWADDR
    static let deleteAddress: UInt16 = 21         // RTM_DELADDR

    /// `struct sockaddr_nl`, field for field.
    private struct NetlinkAddress {
        var family: UInt16 = UInt16(AF_NETLINK)
        var pad: UInt16 = 0
        var pid: UInt32 = 0
        var groups: UInt32
    }

    let fd: Int32
    /// Reused for every read: no allocation per notification.
    private var buffer = [UInt8](repeating: 0, count: 8192)

    /// Nil when the kernel refuses (no netlink in a sandbox): then changes go unnoticed and the
    /// call relies on the stall signal (`ICEAgentConfig.stallAfter`).
    init?() {
        let fd = socket(AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue),
                        Self.netlinkRoute)
        guard fd >= 0 else { return nil }
        var address = NetlinkAddress(groups: Self.groupIPv4Addresses | Self.groupIPv6Addresses)
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<NetlinkAddress>.size))
            }
        }
        guard rc == 0 else {
            close(fd)
            return nil
        }
        self.fd = fd
    }

    deinit { close(fd) }

    /// Reads every pending notification; true when one of them added or removed an address.
    func drain() -> Bool {
        var changed = false
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            guard n > 0 else { break }
            // struct nlmsghdr: len u32, type u16, flags u16, seq u32, pid u32; messages 4-aligned.
            var offset = 0
            while offset + 16 <= n {
                let length = buffer.withUnsafeBytes { Int($0.loadUnaligned(fromByteOffset: offset, as: UInt32.self)) }
                let type = buffer.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset + 4, as: UInt16.self) }
                if type == Self.newAddress || type == Self.deleteAddress { changed = true }
                guard length >= 16 else { break }
                offset += (length + 3) & ~3
            }
        }
        return changed
    }
}
