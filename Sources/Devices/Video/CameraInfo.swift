/// One video capture node as `kioskd devices --json` lists it (schema: docs/devices.schema.json).
public struct CameraInfo: Codable, Sendable, Equatable {
    /// Stable identity: "v4l2:<bus_info>" (plus "#<n>" for the n-th capture node of one device).
    /// The same camera in the same USB port keeps it across reboots and replugging.
    public var id: String
    /// The current node, e.g. /dev/video0 (not stable: numbers follow probe order).
    public var path: String
    public var name: String
    public var driver: String
    public var busInfo: String
    /// udev symlinks that point at this node (/dev/v4l/by-id/..., /dev/v4l/by-path/...), if udev runs.
    public var links: [String]
    /// Best guess whether the camera is built into the kiosk (platform/PCI bus, or a by-path
    /// link naming an internal port) rather than plugged in.
    public var builtIn: Bool
    public var formats: [CameraFormatInfo]

    public init(id: String, path: String, name: String, driver: String, busInfo: String, links: [String] = [],
                builtIn: Bool = false, formats: [CameraFormatInfo] = []) {
        self.id = id
        self.path = path
        self.name = name
        self.driver = driver
        self.busInfo = busInfo
        self.links = links
        self.builtIn = builtIn
        self.formats = formats
    }
}

public struct CameraFormatInfo: Codable, Sendable, Equatable {
    public var fourcc: String
    public var description: String
    public var compressed: Bool
    /// Whether kioskd can convert it to I420.
    public var supported: Bool
    public var sizes: [CameraSizeInfo]
}

public struct CameraSizeInfo: Codable, Sendable, Equatable {
    public var width: Int
    public var height: Int
    /// Frame rates offered at this size, highest first.
    public var fps: [Double]
}
