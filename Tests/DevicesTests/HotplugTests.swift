import Testing
@testable import Devices
import Uevents

@Suite struct HotplugTests {
    static func datagram(_ header: String, _ props: [String]) -> [UInt8] {
        ([header] + props).flatMap { Array($0.utf8) + [0] }
    }

    static let addVideo = datagram("add@/devices/platform/vivid.0/video4linux/video0", [
        "ACTION=add", "DEVPATH=/devices/platform/vivid.0/video4linux/video0", "SUBSYSTEM=video4linux",
        "MAJOR=81", "MINOR=0", "DEVNAME=video0", "SEQNUM=2291",
    ])
    static let removeVideo = datagram("remove@/devices/platform/vivid.0/video4linux/video0", [
        "ACTION=remove", "DEVPATH=/devices/platform/vivid.0/video4linux/video0", "SUBSYSTEM=video4linux",
        "MAJOR=81", "MINOR=0", "DEVNAME=video0", "SEQNUM=2295",
    ])

    @Test func parsesKernelUevent() throws {
        let e = try #require(Uevent.parse(Self.addVideo))
        #expect(e.action == .add)
        #expect(e.subsystem == "video4linux")
        #expect(e.devnode == "/dev/video0")
        #expect(e.major == 81 && e.minor == 0)
        #expect(e.properties["SEQNUM"] == "2291")
    }

    @Test func rejectsGarbageWithoutTrapping() {
        #expect(Uevent.parse([]) == nil)
        #expect(Uevent.parse(Array("libudev".utf8) + [0, 0xfe, 0xed, 0xca, 0xfe]) == nil)
        #expect(Uevent.parse(Self.datagram("add@/x", ["ACTION=explode", "DEVPATH=/x"])) == nil)
        #expect(Uevent.parse(Self.datagram("add@/x", ["ACTION=add"])) == nil)
        // Every prefix of a valid datagram: nil or a value, never a crash.
        for n in 0..<Self.addVideo.count { _ = Uevent.parse(Array(Self.addVideo[0..<n])) }
    }

    @Test func filterDeduplicatesByDeviceNumber() throws {
        var filter = HotplugFilter()
        filter.seed(major: 81, minor: 0)  // enumeration already saw /dev/video0
        let add = try #require(Uevent.parse(Self.addVideo))
        let remove = try #require(Uevent.parse(Self.removeVideo))
        #expect(filter.handle(add) == nil)
        #expect(filter.handle(remove) == HotplugEvent(kind: .removed, deviceClass: .camera, devnode: "/dev/video0", major: 81, minor: 0))
        #expect(filter.handle(remove) == nil)
        #expect(filter.handle(add)?.kind == .added)
        #expect(filter.handle(add) == nil)
    }

    @Test func filterIgnoresOtherSubsystemsAndNodelessEvents() throws {
        var filter = HotplugFilter()
        let usb = Self.datagram("add@/devices/pci0000:00/usb1/1-1", ["ACTION=add", "DEVPATH=/devices/pci0000:00/usb1/1-1",
                                                                    "SUBSYSTEM=usb", "MAJOR=189", "MINOR=1", "DEVNAME=bus/usb/001/002"])
        let card = Self.datagram("add@/devices/platform/snd_aloop.0/sound/card0", ["ACTION=add",
                                 "DEVPATH=/devices/platform/snd_aloop.0/sound/card0", "SUBSYSTEM=sound"])
        let pcm = Self.datagram("add@/devices/x/sound/card0/pcmC0D0p", ["ACTION=add", "DEVPATH=/devices/x/sound/card0/pcmC0D0p",
                                "SUBSYSTEM=sound", "MAJOR=116", "MINOR=2", "DEVNAME=snd/pcmC0D0p"])
        #expect(filter.handle(try #require(Uevent.parse(usb))) == nil)
        #expect(filter.handle(try #require(Uevent.parse(card))) == nil)
        #expect(filter.handle(try #require(Uevent.parse(pcm)))?.deviceClass == .sound)
    }

    @Test func netlinkMonitorOpensAndTimesOut() throws {
        // The uevent socket needs no privileges beyond a network namespace that allows it.
        let monitor = try HotplugMonitor()
        monitor.seedExistingNodes()
        #expect(try monitor.next(timeoutMillis: 10) == nil)
    }
}
