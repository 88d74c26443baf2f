/// Everything `kioskd devices --json` prints: one stable schema (docs/devices.schema.json,
/// `schemaVersion` bumps on incompatible change). Displays come from Render; kioskd fills them in.
public struct DeviceInventory: Codable, Sendable, Equatable {
    public static let currentSchemaVersion = 1

    public var schemaVersion: Int
    public var cameras: [CameraInfo]
    public var microphones: [AudioDeviceInfo]
    public var speakers: [AudioDeviceInfo]
    public var touchPanels: [TouchInfo]
    public var displays: [DisplayInfo]

    public init(cameras: [CameraInfo] = [], microphones: [AudioDeviceInfo] = [], speakers: [AudioDeviceInfo] = [],
                touchPanels: [TouchInfo] = [], displays: [DisplayInfo] = []) {
        schemaVersion = Self.currentSchemaVersion
        self.cameras = cameras
        self.microphones = microphones
        self.speakers = speakers
        self.touchPanels = touchPanels
        self.displays = displays
    }
}

/// A display connector as Render reports it (kioskd converts Render's description into this).
public struct DisplayInfo: Codable, Sendable, Equatable {
    public var id: String
    public var card: String
    public var connector: String
    public var connected: Bool
    /// Modes as "WIDTHxHEIGHT@HZ", preferred first.
    public var modes: [String]

    public init(id: String, card: String, connector: String, connected: Bool, modes: [String]) {
        self.id = id
        self.card = card
        self.connector = connector
        self.connected = connected
        self.modes = modes
    }
}

/// Entry points kioskd calls.
public enum Devices {
    /// Enumerates cameras, ALSA microphones/speakers and touch panels now (displays empty:
    /// kioskd adds Render's). PulseAudio devices, when a server runs, appear as "pulse:default".
    public static func inventory(devDirectory: String = "/dev", includePulse: Bool = false) -> DeviceInventory {
        let audio = ALSAEnumeration.devices()
        var inventory = DeviceInventory(cameras: V4L2Enumeration.cameras(devDirectory: devDirectory),
                                        microphones: audio.microphones, speakers: audio.speakers,
                                        touchPanels: EvdevTouch.panels(inputDirectory: devDirectory + "/input"))
        if includePulse, (try? PulseMicrophone()) != nil {
            inventory.microphones.insert(AudioDeviceInfo(id: "pulse:default", device: "default", backend: "pulse",
                                                         name: "PulseAudio default source", card: "", builtIn: false), at: 0)
            inventory.speakers.insert(AudioDeviceInfo(id: "pulse:default", device: "default", backend: "pulse",
                                                      name: "PulseAudio default sink", card: "", builtIn: false), at: 0)
        }
        return inventory
    }
}
