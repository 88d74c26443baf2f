import Uevents

/// What kioskd acts on: a device node of interest appeared or went away.
public struct HotplugEvent: Sendable, Equatable {
    public enum Kind: String, Sendable { case added, removed }
    public enum Class: String, Sendable { case camera, sound, input }

    public var kind: Kind
    public var deviceClass: Class
    public var devnode: String
    public var major: UInt32
    public var minor: UInt32
}

/// Turns raw uevents into de-duplicated `HotplugEvent`s: only device nodes of the classes
/// kioskd uses, one `added` per device number until its `removed`. Seed it with the nodes
/// enumeration found (the monitor starts before enumeration so nothing falls in between).
public struct HotplugFilter: Sendable {
    private var present: Set<UInt64> = []

    public init() {}

    public mutating func seed(major: UInt32, minor: UInt32) { present.insert(Self.key(major, minor)) }

    public mutating func handle(_ event: Uevent) -> HotplugEvent? {
        guard let node = event.devnode, let major = event.major, let minor = event.minor else { return nil }
        let cls: HotplugEvent.Class
        switch event.subsystem {
        case "video4linux" where node.hasPrefix("/dev/video"): cls = .camera
        case "sound" where node.hasPrefix("/dev/snd/pcm") || node.hasPrefix("/dev/snd/control"): cls = .sound
        case "input" where node.hasPrefix("/dev/input/event"): cls = .input
        default: return nil
        }
        let key = Self.key(major, minor)
        switch event.action {
        case .add:
            guard present.insert(key).inserted else { return nil }
            return HotplugEvent(kind: .added, deviceClass: cls, devnode: node, major: major, minor: minor)
        case .remove:
            guard present.remove(key) != nil else { return nil }
            return HotplugEvent(kind: .removed, deviceClass: cls, devnode: node, major: major, minor: minor)
        default:
            return nil
        }
    }

    private static func key(_ major: UInt32, _ minor: UInt32) -> UInt64 { UInt64(major) << 32 | UInt64(minor) }
}
