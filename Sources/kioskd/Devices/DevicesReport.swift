import Devices
import Foundation
import Render

/// What `kioskd devices` reports: the Devices inventory (cameras, microphones, speakers, touch
/// panels) with the displays Render finds. The JSON form is docs/devices.schema.json.
struct DevicesReport: Encodable {
    var inventory: DeviceInventory
    var displays: [DisplayEntry]
    /// Devices that exist but could not be read (e.g. a DRM card without permission).
    var errors: [String]

    /// Enumerates everything now. Never throws: a kiosk with no devices is a valid answer.
    static func scan(devDirectory: String = "/dev") -> DevicesReport {
        var inventory = Devices.inventory(devDirectory: devDirectory, includePulse: true)
        let drm = DisplayInventory.scan(directory: devDirectory + "/dri")
        let displays = DisplayEntry.entries(from: drm)
        inventory.displays = displays.map(\.info)
        return DevicesReport(inventory: inventory, displays: displays, errors: drm.errors)
    }

    private enum CodingKeys: String, CodingKey {
        case schemaVersion, cameras, microphones, speakers, touchPanels, displays, errors
    }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(inventory.schemaVersion, forKey: .schemaVersion)
        try c.encode(inventory.cameras, forKey: .cameras)
        try c.encode(inventory.microphones, forKey: .microphones)
        try c.encode(inventory.speakers, forKey: .speakers)
        try c.encode(inventory.touchPanels, forKey: .touchPanels)
        try c.encode(displays, forKey: .displays)
        try c.encode(errors, forKey: .errors)
    }

    func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}

/// One DRM connector as `kioskd devices` lists it: Devices' `DisplayInfo` fields plus what
/// the render issue asks for (status, writeback, the card's planes and their formats).
struct DisplayEntry: Encodable, Equatable {
    struct Plane: Encodable, Equatable {
        var id: UInt32
        var type: String
        var formats: [String]
    }

    /// Stable identity: "drm:<driver>:<connector>" ("#n" added if two cards share a driver).
    var id: String
    var card: String
    var driver: String
    var connector: String
    var connected: Bool
    var status: String
    var writeback: Bool
    /// "WIDTHxHEIGHT@HZ", preferred first.
    var modes: [String]
    /// The formats a writeback connector can write.
    var writebackFormats: [String]
    /// The card's planes (any of them may serve this connector's CRTC).
    var planes: [Plane]

    var info: DisplayInfo {
        DisplayInfo(id: id, card: card, connector: connector, connected: connected, modes: modes)
    }

    static func entries(from inventory: DisplayInventory) -> [DisplayEntry] {
        var seen: [String: Int] = [:]
        var entries: [DisplayEntry] = []
        for card in inventory.cards {
            let n = seen[card.driver, default: 0]
            seen[card.driver] = n + 1
            let planes = card.planes.map { Plane(id: $0.id, type: $0.type.rawValue, formats: $0.formats) }
            for c in card.connectors {
                let preferredFirst = c.modes.filter(\.preferred) + c.modes.filter { !$0.preferred }
                entries.append(DisplayEntry(
                    id: "drm:\(card.driver):\(c.name)" + (n > 0 ? "#\(n)" : ""), card: card.path, driver: card.driver,
                    connector: c.name, connected: c.status == "connected", status: c.status, writeback: c.writeback,
                    modes: preferredFirst.map { "\($0.width)x\($0.height)@\(hertz($0.refreshHz))" },
                    writebackFormats: c.writebackFormats, planes: planes))
            }
        }
        return entries
    }

    /// 60 → "60", 59.94 → "59.94".
    static func hertz(_ value: Double) -> String {
        let rounded = (value * 100).rounded() / 100
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(format: "%.2f", rounded)
    }
}
