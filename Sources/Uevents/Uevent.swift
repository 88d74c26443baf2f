/// One uevent datagram split into its header and its KEY=VALUE properties, with no other rule:
/// what `Uevent` (the devices) and the renderer's DRM hotplug both read.
public struct UeventFields: Sendable, Equatable {
    /// "add@/devices/...": the action and the device path as the kernel's header spells them.
    public var header: String
    public var properties: [String: String]

    /// The path after the header's "@".
    public var headerPath: String {
        header.firstIndex(of: "@").map { String(header[header.index(after: $0)...]) } ?? ""
    }

    /// "action@devpath\0KEY=VALUE\0…"; nil unless the first field has an "@" (udev's own
    /// "libudev" re-broadcasts do not). A field without "=" is skipped. Never traps.
    public static func parse(_ bytes: [UInt8]) -> UeventFields? {
        let fields = bytes.split(separator: 0, omittingEmptySubsequences: true)
        guard let header = fields.first, header.contains(UInt8(ascii: "@")) else { return nil }
        var props: [String: String] = [:]
        for field in fields.dropFirst() {
            guard let eq = field.firstIndex(of: UInt8(ascii: "=")) else { continue }
            let key = String(decoding: field[field.startIndex..<eq], as: UTF8.self)
            props[key] = String(decoding: field[(eq + 1)...], as: UTF8.self)
        }
        return UeventFields(header: String(decoding: header, as: UTF8.self), properties: props)
    }
}

/// A kernel uevent as broadcast on NETLINK_KOBJECT_UEVENT ("add@/devices/...\0ACTION=add\0...").
public struct Uevent: Sendable, Equatable {
    public enum Action: String, Sendable, Codable {
        case add, remove, change, move, online, offline, bind, unbind
    }

    public var action: Action
    public var devpath: String
    public var subsystem: String
    /// /dev/<DEVNAME> when the event is about a device node.
    public var devnode: String?
    public var major: UInt32?
    public var minor: UInt32?
    public var properties: [String: String]

    /// Parses one datagram. Nil for anything else (udev's "libudev" re-broadcasts, truncated
    /// or unknown actions, no DEVPATH): never traps.
    public static func parse(_ bytes: [UInt8]) -> Uevent? {
        guard let fields = UeventFields.parse(bytes) else { return nil }
        let props = fields.properties
        guard let actionText = props["ACTION"], let action = Action(rawValue: actionText),
              let devpath = props["DEVPATH"] else { return nil }
        return Uevent(action: action, devpath: devpath, subsystem: props["SUBSYSTEM"] ?? "",
                      devnode: props["DEVNAME"].map { $0.hasPrefix("/") ? $0 : "/dev/" + $0 },
                      major: props["MAJOR"].flatMap { UInt32($0) }, minor: props["MINOR"].flatMap { UInt32($0) },
                      properties: props)
    }
}
