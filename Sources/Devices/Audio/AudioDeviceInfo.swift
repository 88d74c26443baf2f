/// One microphone or speaker as `kioskd devices --json` lists it (schema: docs/devices.schema.json).
public struct AudioDeviceInfo: Codable, Sendable, Equatable {
    /// Stable identity: "alsa:CARD=<card id>,DEV=<n>" (card ids survive renumbering), or
    /// "pulse:<source or sink name>".
    public var id: String
    /// What to pass to ALSAMicrophone/ALSASpeaker (or PulseMicrophone/PulseSpeaker) as `device`.
    public var device: String
    public var backend: String
    public var name: String
    public var card: String
    /// Whether the device looks built in (not USB/Bluetooth).
    public var builtIn: Bool

    public init(id: String, device: String, backend: String, name: String, card: String, builtIn: Bool) {
        self.id = id
        self.device = device
        self.backend = backend
        self.name = name
        self.card = card
        self.builtIn = builtIn
    }
}

public struct AudioDevices: Sendable, Equatable {
    public var microphones: [AudioDeviceInfo] = []
    public var speakers: [AudioDeviceInfo] = []
}
