import CDRM

/// What `kioskd devices` lists for displays: every card, its connectors with status and
/// modes, and its planes with their formats.
public struct DisplayInventory: Sendable, Codable, Equatable {
    public struct Mode: Sendable, Codable, Equatable {
        public var name: String
        public var width: Int
        public var height: Int
        public var refreshHz: Double
        public var preferred: Bool
    }

    public struct Connector: Sendable, Codable, Equatable {
        public var id: UInt32
        public var name: String
        /// "connected" or "disconnected".
        public var status: String
        public var writeback: Bool
        public var modes: [Mode]
        public var writebackFormats: [String]
    }

    public struct Plane: Sendable, Codable, Equatable {
        public var id: UInt32
        public var type: KMSPlane.Kind
        public var formats: [String]
        public var possibleCRTCs: UInt32
    }

    public struct Card: Sendable, Codable, Equatable {
        public var path: String
        public var driver: String
        public var atomic: Bool
        public var crtcs: Int
        public var connectors: [Connector]
        public var planes: [Plane]
    }

    public var cards: [Card]
    /// Cards that could not be read, with the reason (e.g. permission denied).
    public var errors: [String]

    /// Reads every card in `directory`; never throws (no display is a valid answer).
    public static func scan(directory: String = "/dev/dri") -> DisplayInventory {
        var inv = DisplayInventory(cards: [], errors: [])
        for path in DRMDevice.cardPaths(in: directory) {
            do {
                let dev = try DRMDevice(path: path)
                inv.cards.append(try card(dev))
            } catch {
                inv.errors.append(error.description)
            }
        }
        return inv
    }

    public static func card(_ dev: DRMDevice) throws(DRMError) -> Card {
        let res = try dev.resources()
        return Card(
            path: dev.path, driver: dev.driver, atomic: dev.atomic, crtcs: res.crtcs.count,
            connectors: res.connectors.map { c in
                Connector(id: c.id, name: c.name, status: c.connected ? "connected" : "disconnected", writeback: c.isWriteback,
                          modes: c.modes.map { Mode(name: $0.name, width: $0.width, height: $0.height,
                                                    refreshHz: ($0.refreshHz * 100).rounded() / 100, preferred: $0.preferred) },
                          writebackFormats: c.writebackFormats.map(fourccString))
            },
            planes: res.planes.map { Plane(id: $0.id, type: $0.kind, formats: $0.formats.map(fourccString), possibleCRTCs: $0.possibleCRTCs) })
    }
}
