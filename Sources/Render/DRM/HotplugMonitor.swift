import Glibc

/// Kernel uevents for DRM hotplug, read from a NETLINK_KOBJECT_UEVENT socket (kernel
/// multicast group 1, so it works without udevd, e.g. in the lab VM's busybox init).
public final class HotplugMonitor {
    public struct Event: Sendable, Equatable {
        public var action: String
        public var devicePath: String
        /// The card's sysname, e.g. "card0".
        public var card: String
        /// The connector ID the kernel named, when it did (CONNECTOR=).
        public var connector: UInt32?
    }

    public let fd: Int32

    public init() throws(DRMError) {
        let s = socket(AF_NETLINK, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 15) // NETLINK_KOBJECT_UEVENT
        guard s >= 0 else { throw .open(path: "netlink uevent", errno: Glibc.errno) }
        // struct sockaddr_nl (linux/netlink.h, not in Glibc's module): u16 family, u16 pad,
        // u32 pid (0: kernel assigns), u32 groups.
        var addr = [UInt8](repeating: 0, count: 12)
        addr[0] = UInt8(AF_NETLINK & 0xFF)
        addr[1] = UInt8(AF_NETLINK >> 8)
        addr[8] = 1 // group 1: the kernel's own uevents
        let rc = addr.withUnsafeBytes { bind(s, $0.baseAddress!.assumingMemoryBound(to: sockaddr.self), 12) } // invariant: 12-byte array
        guard rc == 0 else {
            let e = Glibc.errno
            close(s)
            throw .open(path: "netlink uevent", errno: e)
        }
        fd = s
    }

    deinit { close(fd) }

    /// Drains pending uevents and returns the DRM hotplug ones (non-blocking).
    public func read() -> [Event] {
        var out: [Event] = []
        var buf = [UInt8](repeating: 0, count: 8192)
        while true {
            let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            if let e = Self.parse(Array(buf[0..<n])) { out.append(e) }
        }
        return out
    }

    /// Parses one kernel uevent ("action@devpath\0KEY=VALUE\0…"); nil unless it is a DRM
    /// hotplug (SUBSYSTEM=drm with HOTPLUG=1, or a synthetic "change" of a card, as
    /// `udevadm trigger` or a write to the card's `uevent` file sends: a re-probe is cheap and
    /// a no-op when nothing changed). Never traps on any input.
    public static func parse(_ bytes: [UInt8]) -> Event? {
        let fields = bytes.split(separator: 0, omittingEmptySubsequences: true).map { String(decoding: $0, as: UTF8.self) }
        guard let header = fields.first, header.contains("@") else { return nil }
        var kv: [String: String] = [:]
        for f in fields.dropFirst() {
            if let eq = f.firstIndex(of: "=") { kv[String(f[..<eq])] = String(f[f.index(after: eq)...]) }
        }
        guard kv["SUBSYSTEM"] == "drm" else { return nil }
        let devpath = kv["DEVPATH"] ?? String(header[header.index(after: header.firstIndex(of: "@")!)...]) // invariant: contains "@"
        let card = devpath.split(separator: "/").last.map(String.init) ?? ""
        let isCard = card.hasPrefix("card") && card.dropFirst(4).allSatisfy(\.isNumber) && card.count > 4
        guard kv["HOTPLUG"] == "1" || (kv["ACTION"] == "change" && isCard) else { return nil }
        return Event(action: kv["ACTION"] ?? "change", devicePath: devpath, card: card,
                     connector: kv["CONNECTOR"].flatMap { UInt32($0) })
    }
}
