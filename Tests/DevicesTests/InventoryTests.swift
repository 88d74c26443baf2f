import Foundation
import Testing
@testable import Devices

@Suite struct InventoryTests {
    static let cams = [
        CameraInfo(id: "v4l2:usb-0000:00:14.0-1", path: "/dev/video2", name: "USB Cam", driver: "uvcvideo",
                   busInfo: "usb-0000:00:14.0-1", builtIn: false,
                   formats: [CameraFormatInfo(fourcc: "MJPG", description: "MJPEG", compressed: true, supported: true,
                                              sizes: [CameraSizeInfo(width: 1280, height: 720, fps: [30])])]),
        CameraInfo(id: "v4l2:PCI:0000:00:1f.0", path: "/dev/video0", name: "Integrated", driver: "ipu",
                   busInfo: "PCI:0000:00:1f.0", builtIn: true,
                   formats: [CameraFormatInfo(fourcc: "YUYV", description: "YUYV", compressed: false, supported: true, sizes: [])]),
    ]

    @Test func selectionPrefersConfiguredThenBuiltInThenAny() {
        #expect(DeviceSelection.camera(configured: "v4l2:usb-0000:00:14.0-1", among: Self.cams).choice
                == .device(id: "v4l2:usb-0000:00:14.0-1", path: "/dev/video2"))
        let auto = DeviceSelection.camera(configured: "auto", among: Self.cams)
        #expect(auto.choice == .device(id: "v4l2:PCI:0000:00:1f.0", path: "/dev/video0"))
        #expect(auto.reason.contains("built-in"))
        let gone = DeviceSelection.camera(configured: "v4l2:usb-9", among: [Self.cams[0]])
        #expect(gone.choice == .device(id: "v4l2:usb-0000:00:14.0-1", path: "/dev/video2"))
        #expect(gone.reason.contains("v4l2:usb-9 not present"))
        #expect(DeviceSelection.camera(configured: "synthetic", among: Self.cams).choice == .synthetic)
        #expect(DeviceSelection.camera(configured: "auto", among: []).choice == .none)
        #expect(DeviceSelection.camera(configured: "/dev/video2", among: Self.cams).choice
                == .device(id: "v4l2:usb-0000:00:14.0-1", path: "/dev/video2"))
    }

    @Test func audioSelection() {
        let mics = [AudioDeviceInfo(id: "alsa:CARD=USB,DEV=0", device: "plughw:CARD=USB,DEV=0", backend: "alsa", name: "USB", card: "USB", builtIn: false),
                    AudioDeviceInfo(id: "alsa:CARD=PCH,DEV=0", device: "plughw:CARD=PCH,DEV=0", backend: "alsa", name: "HDA", card: "HDA", builtIn: true)]
        #expect(DeviceSelection.audio(configured: "auto", among: mics, kind: "microphone").choice == .device(id: "alsa:CARD=PCH,DEV=0", path: "plughw:CARD=PCH,DEV=0"))
        #expect(DeviceSelection.audio(configured: "alsa:CARD=USB,DEV=0", among: mics, kind: "microphone").choice == .device(id: "alsa:CARD=USB,DEV=0", path: "plughw:CARD=USB,DEV=0"))
    }

    @Test func jsonHasTheDocumentedShape() throws {
        let inv = DeviceInventory(cameras: Self.cams, displays: [DisplayInfo(id: "drm:card0-Virtual-1", card: "card0", connector: "Virtual-1", connected: true, modes: ["1024x768@60"])])
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        let object = try #require(try JSONSerialization.jsonObject(with: enc.encode(inv)) as? [String: Any])
        #expect(Set(object.keys) == ["schemaVersion", "cameras", "microphones", "speakers", "touchPanels", "displays"])
        #expect(object["schemaVersion"] as? Int == 1)
        // Every key the schema requires is what the encoder writes (the lab validates the full schema).
        let schemaURL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../docs/devices.schema.json")
        let schema = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: schemaURL)) as? [String: Any])
        let defs = try #require(schema["$defs"] as? [String: [String: Any]])
        let camera = try #require((object["cameras"] as? [[String: Any]])?.first)
        #expect(Set(camera.keys) == Set(defs["camera"]?["required"] as? [String] ?? []))
        let format = try #require((camera["formats"] as? [[String: Any]])?.first)
        #expect(Set(format.keys) == Set(defs["cameraFormat"]?["required"] as? [String] ?? []))
        let display = try #require((object["displays"] as? [[String: Any]])?.first)
        #expect(Set(display.keys) == Set(defs["display"]?["required"] as? [String] ?? []))
        #expect(try JSONDecoder().decode(DeviceInventory.self, from: enc.encode(inv)) == inv)
    }

    @Test func inventoryOnThisMachineDoesNotCrash() {
        let inv = Devices.inventory()
        #expect(inv.schemaVersion == DeviceInventory.currentSchemaVersion)
    }
}
