import Testing
@testable import Render

@Suite struct HotplugMonitorTests {
    func uevent(_ fields: [String]) -> [UInt8] { fields.flatMap { Array($0.utf8) + [0] } }

    @Test func parsesAKernelDRMHotplugUevent() {
        let e = DRMHotplugMonitor.parse(uevent(["change@/devices/platform/vkms/drm/card0", "ACTION=change",
                                             "DEVPATH=/devices/platform/vkms/drm/card0", "SUBSYSTEM=drm", "HOTPLUG=1",
                                             "CONNECTOR=36", "DEVNAME=dri/card0", "SEQNUM=1234"]))
        #expect(e == DRMHotplugMonitor.Event(action: "change", devicePath: "/devices/platform/vkms/drm/card0", card: "card0", connector: 36))
    }

    @Test func ignoresOtherUeventsAndNeverTrapsOnGarbage() throws {
        #expect(DRMHotplugMonitor.parse(uevent(["add@/devices/virtual/sound/card0", "ACTION=add", "SUBSYSTEM=sound"])) == nil)
        #expect(DRMHotplugMonitor.parse(uevent(["change@/x", "SUBSYSTEM=drm"])) == nil) // no HOTPLUG=1, not a card
        #expect(DRMHotplugMonitor.parse(uevent(["change@/devices/platform/vkms/drm/card0/card0-Virtual-1", "ACTION=change",
                                             "SUBSYSTEM=drm"])) == nil) // a connector's own uevent
        // A synthetic change of the card (udevadm trigger, or "change" written to its uevent file).
        #expect(DRMHotplugMonitor.parse(uevent(["change@/devices/platform/vkms/drm/card0", "ACTION=change", "SUBSYSTEM=drm",
                                             "SYNTH_UUID=0"]))?.card == "card0")
        #expect(DRMHotplugMonitor.parse([]) == nil)
        #expect(DRMHotplugMonitor.parse([0, 0, 61, 0, 64]) == nil)
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let n = Int.random(in: 0..<64, using: &rng)
            let alphabet = Array("@=\0SUBSYTEMdrHOTPLUG1/".utf8)
            _ = DRMHotplugMonitor.parse((0..<n).map { _ in alphabet.randomElement(using: &rng)! })
        }
        let m = try DRMHotplugMonitor() // the kernel uevent socket opens without udevd
        #expect(m.fd >= 0)
        #expect(m.read().isEmpty)
    }
}
