import Uevents

/// Listens to the kernel's uevent broadcast (`UeventSocket`: works with or without udev) for
/// the devices kioskd uses. Create it before enumerating, seed its filter with what
/// enumeration found, then call `next` from the device thread (or poll `fd` in an event loop).
public final class HotplugMonitor {
    private let socket: UeventSocket
    public var fd: Int32 { socket.fd }
    public var filter = HotplugFilter()
    private var buffer = [UInt8](repeating: 0, count: 16_384)

    public init() throws(DeviceError) {
        do {
            socket = try UeventSocket()
        } catch {
            throw DeviceError.fromErrno(error.errno, device: "uevent netlink", operation: error.operation)
        }
    }

    /// Seeds the filter with device nodes that exist now (call right after creating the monitor).
    public func seedExistingNodes() {
        for dir in ["/dev", "/dev/snd", "/dev/input"] {
            for name in SysFS.list(dir) {
                if let n = SysFS.deviceNumber(dir + "/" + name) { filter.seed(major: n.major, minor: n.minor) }
            }
        }
    }

    /// The next relevant event, waiting up to `timeoutMillis`; nil on timeout.
    public func next(timeoutMillis: Int) throws(DeviceError) -> HotplugEvent? {
        var remaining = timeoutMillis
        while true {
            do {
                while let n = try socket.receive(into: &buffer) {
                    if let e = Uevent.parse(Array(buffer[0..<n])), let event = filter.handle(e) { return event }
                }
            } catch {
                throw DeviceError.fromErrno(error.errno, device: "uevent netlink", operation: error.operation)
            }
            guard remaining > 0 else { return nil }
            let start = ALSAPCM.monotonicMillis()
            if !socket.wait(timeoutMillis: remaining) { return nil }
            remaining -= ALSAPCM.monotonicMillis() - start
        }
    }
}
