import Uevents

/// Kernel uevents for DRM hotplug, read from the kernel's uevent broadcast (`UeventSocket`:
/// multicast group 1, so it works without udevd, e.g. in the lab VM's busybox init).
public final class DRMHotplugMonitor {
    public struct Event: Sendable, Equatable {
        public var action: String
        public var devicePath: String
        /// The card's sysname, e.g. "card0".
        public var card: String
        /// The connector ID the kernel named, when it did (CONNECTOR=).
        public var connector: UInt32?
    }

    private let socket: UeventSocket
    public var fd: Int32 { socket.fd }
    private var buffer = [UInt8](repeating: 0, count: 8192)

    public init() throws(DRMError) {
        do {
            socket = try UeventSocket()
        } catch {
            throw .open(path: "netlink uevent", errno: error.errno)
        }
    }

    /// Drains pending uevents and returns the DRM hotplug ones (non-blocking).
    public func read() -> [Event] {
        var out: [Event] = []
        // A receive error ends the drain, as an empty queue does: the next flip polls again.
        while let n = try? socket.receive(into: &buffer) {
            if let e = Self.parse(Array(buffer[0..<n])) { out.append(e) }
        }
        return out
    }

    /// Drains pending uevents and counts those of the DRM subsystem of any kind (a card
    /// added as its driver loads, a connector plugged): while there is no display at all,
    /// any of them is worth a new attempt to open one.
    public func drainAnyDRM() -> Int {
        var count = 0
        while let n = try? socket.receive(into: &buffer) {
            if let fields = UeventFields.parse(Array(buffer[0..<n])), fields.properties["SUBSYSTEM"] == "drm" { count += 1 }
        }
        return count
    }

    /// Parses one kernel uevent ("action@devpath\0KEY=VALUE\0…"); nil unless it is a DRM
    /// hotplug (SUBSYSTEM=drm with HOTPLUG=1, or a synthetic "change" of a card, as
    /// `udevadm trigger` or a write to the card's `uevent` file sends: a re-probe is cheap and
    /// a no-op when nothing changed). Never traps on any input.
    public static func parse(_ bytes: [UInt8]) -> Event? {
        guard let fields = UeventFields.parse(bytes) else { return nil }
        let kv = fields.properties
        guard kv["SUBSYSTEM"] == "drm" else { return nil }
        let devpath = kv["DEVPATH"] ?? fields.headerPath
        let card = devpath.split(separator: "/").last.map(String.init) ?? ""
        let isCard = card.hasPrefix("card") && card.dropFirst(4).allSatisfy(\.isNumber) && card.count > 4
        guard kv["HOTPLUG"] == "1" || (kv["ACTION"] == "change" && isCard) else { return nil }
        return Event(action: kv["ACTION"] ?? "change", devicePath: devpath, card: card,
                     connector: kv["CONNECTOR"].flatMap { UInt32($0) })
    }
}
