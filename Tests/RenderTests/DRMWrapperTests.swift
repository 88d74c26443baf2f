import CDRM
import Foundation
import Glibc
import Testing
@testable import Render

@Suite struct DRMWrapperTests {
    @Test func missingNodeIsATypedErrorNamingThePath() {
        #expect(throws: DRMError.open(path: "/dev/dri/card97", errno: ENOENT)) { _ = try DRMDevice(path: "/dev/dri/card97") }
        #expect(DRMError.open(path: "/dev/dri/card97", errno: ENOENT).description.contains("/dev/dri/card97"))
    }

    @Test func aNodeThatIsNotDRMIsRefusedByLibdrm() {
        #expect(throws: DRMError.notDRM(path: "/dev/null")) { _ = try DRMDevice(path: "/dev/null") }
    }

    @Test func noCardsMeansNoDeviceAndAnEmptyInventory() throws {
        #expect(throws: DRMError.noDevice(searched: "/nonexistent-dri")) { _ = try DRMDevice.firstConnected(in: "/nonexistent-dri") }
        #expect(throws: DRMError.noDevice(searched: "/nonexistent-dri")) {
            _ = try DRMDisplay(config: DRMDisplayConfig(deviceDirectory: "/nonexistent-dri"))
        }
        #expect(throws: DRMError.open(path: "/dev/dri/card97", errno: ENOENT)) {
            _ = try DRMDisplay(config: DRMDisplayConfig(devicePath: "/dev/dri/card97"))
        }
        let inv = DisplayInventory.scan(directory: "/nonexistent-dri")
        #expect(inv.cards.isEmpty && inv.errors.isEmpty)
    }

    @Test func inventoryIsCodableForKioskdDevices() throws {
        let inv = DisplayInventory(cards: [.init(
            path: "/dev/dri/card0", driver: "vkms", atomic: true, crtcs: 1,
            connectors: [.init(id: 36, name: "Virtual-1", status: "connected", writeback: false,
                               modes: [.init(name: "1024x768", width: 1024, height: 768, refreshHz: 60, preferred: true)], writebackFormats: []),
                         .init(id: 38, name: "Writeback-1", status: "connected", writeback: true, modes: [], writebackFormats: ["XR24"])],
            planes: [.init(id: 31, type: .primary, formats: ["XR24"], possibleCRTCs: 1), .init(id: 33, type: .overlay, formats: ["XR24", "AR24"], possibleCRTCs: 1)])],
            errors: [])
        let json = try JSONEncoder().encode(inv)
        #expect(try JSONDecoder().decode(DisplayInventory.self, from: json) == inv)
        #expect(String(decoding: json, as: UTF8.self).contains("\"overlay\""))
        #expect(fourccString(kiosk_DRM_FORMAT_XRGB8888()) == "XR24")
        #expect(fourccString(kiosk_DRM_FORMAT_NV12()) == "NV12")
    }

    @Test func gbmWithoutADeviceFailsCleanly() {
        for path in ["/dev/null", "/etc/hostname"] {
            let fd = open(path, O_RDONLY)
            defer { close(fd) }
            #expect(throws: GBMDevice.Error.unavailable(path: path)) { _ = try GBMDevice(fd: fd, path: path) }
        }
        #expect(throws: GBMDevice.Error.unavailable(path: "closed")) { _ = try GBMDevice(fd: -1, path: "closed") }
    }

    @Test func modeChoiceHonoursPreferredAndConfiguredModes() {
        func mode(_ w: Int, _ h: Int, clock: UInt32, preferred: Bool = false) -> KMSMode {
            var i = drmModeModeInfo()
            i.hdisplay = UInt16(w); i.vdisplay = UInt16(h); i.clock = clock
            i.htotal = UInt16(w + 160); i.vtotal = UInt16(h + 40)
            i.type = preferred ? UInt32(DRM_MODE_TYPE_PREFERRED) : 0
            return KMSMode(i)
        }
        let m60 = mode(1280, 720, clock: 1440 * 760 * 60 / 1000)
        let m30 = mode(1280, 720, clock: 1440 * 760 * 30 / 1000)
        let pref = mode(1024, 768, clock: 65000, preferred: true)
        let modes = [m60, pref, m30]
        #expect(DRMDisplay.pickMode(modes, wanted: nil) == pref)
        #expect(DRMDisplay.pickMode(modes, wanted: "1280x720") == m60)
        #expect(DRMDisplay.pickMode(modes, wanted: "1280x720@30") == m30)
        #expect(DRMDisplay.pickMode(modes, wanted: "800x600") == nil)
        #expect(DRMDisplay.pickMode(modes, wanted: "garbage@@x") == nil)
        #expect(abs(m30.refreshHz - 30) < 0.1)
    }
}
