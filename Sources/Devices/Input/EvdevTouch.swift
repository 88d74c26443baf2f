import CV4L2
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// One touch panel as `kioskd devices --json` lists it.
public struct TouchInfo: Codable, Sendable, Equatable {
    /// Stable identity: "input:<vendor>:<product>:<name>".
    public var id: String
    public var path: String
    public var name: String
    public var multitouch: Bool
    public var minX: Int32, maxX: Int32, minY: Int32, maxY: Int32
}

/// A touch panel read through evdev (/dev/input/eventN), delivering `TouchTracker` events
/// in screen coordinates.
public final class EvdevTouch {
    public let info: TouchInfo
    private let fd: Int32
    private var tracker: TouchTracker
    private var buffer = [input_event](repeating: input_event(), count: 64)

    public init(path: String, screenWidth: Int, screenHeight: Int) throws(DeviceError) {
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw DeviceError.fromErrno(errno, device: path, operation: "open") }
        guard let info = Self.describe(fd: fd, path: path) else {
            close(fd)
            throw .unsupportedFormat(device: path, requested: "touch (ABS_X/ABS_MT_POSITION_X)", available: [])
        }
        self.fd = fd
        self.info = info
        tracker = TouchTracker(calibration: TouchCalibration(minX: info.minX, maxX: info.maxX, minY: info.minY, maxY: info.maxY,
                                                             screenWidth: screenWidth, screenHeight: screenHeight))
    }

    deinit { close(fd) }

    public var calibration: TouchCalibration {
        get { tracker.calibration }
        set { tracker.calibration = newValue }
    }

    /// The next touch event, waiting up to `timeoutMillis`; `.vanished` when the panel is unplugged.
    public func next(timeoutMillis: Int) throws(DeviceError) -> TouchTracker.Event? {
        if let e = tracker.poll() { return e }
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let rc = poll(&pfd, 1, Int32(clamping: timeoutMillis))
        if rc <= 0 { return nil }
        let size = MemoryLayout<input_event>.stride
        let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        if n < 0 {
            if errno == EAGAIN || errno == EINTR { return nil }
            throw DeviceError.fromErrno(errno, device: info.path, operation: "read")
        }
        for i in 0..<(n / size) {
            let e = buffer[i]
            let t = Int64(e.time.tv_sec) * 1_000_000_000 + Int64(e.time.tv_usec) * 1000
            tracker.handle(type: e.type, code: e.code, value: e.value, timeNanos: t)
        }
        return tracker.poll()
    }

    /// Touch panels under /dev/input (nodes we cannot open are skipped).
    public static func panels(inputDirectory: String = "/dev/input") -> [TouchInfo] {
        SysFS.list(inputDirectory).filter { $0.hasPrefix("event") }.compactMap { name in
            let path = inputDirectory + "/" + name
            let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
            guard fd >= 0 else { return nil }
            defer { close(fd) }
            return describe(fd: fd, path: path)
        }
    }

    static func describe(fd: Int32, path: String) -> TouchInfo? {
        var absBits = [UInt8](repeating: 0, count: 8)
        var keyBits = [UInt8](repeating: 0, count: 96)
        guard absBits.withUnsafeMutableBytes({ ioctlBytes(fd, kiosk_EVIOCGBIT(UInt32(EV_ABS), 8), $0) }) >= 0 else { return nil }
        _ = keyBits.withUnsafeMutableBytes { ioctlBytes(fd, kiosk_EVIOCGBIT(UInt32(EV_KEY), 96), $0) }
        func has(_ bits: [UInt8], _ code: Int32) -> Bool { bits[Int(code) / 8] & (1 << UInt8(code % 8)) != 0 }
        let mt = has(absBits, ABS_MT_POSITION_X) && has(absBits, ABS_MT_POSITION_Y)
        let st = has(absBits, ABS_X) && has(absBits, ABS_Y) && has(keyBits, BTN_TOUCH)
        guard mt || st else { return nil }
        func range(_ axis: Int32) -> (Int32, Int32) {
            var abs = input_absinfo()
            let rc = withUnsafeMutableBytes(of: &abs) { ioctlBytes(fd, kiosk_EVIOCGABS(UInt32(axis)), $0) }
            return rc < 0 ? (0, 0) : (abs.minimum, abs.maximum)
        }
        let (x0, x1) = range(mt ? ABS_MT_POSITION_X : ABS_X)
        let (y0, y1) = range(mt ? ABS_MT_POSITION_Y : ABS_Y)
        var nameBytes = [UInt8](repeating: 0, count: 256)
        _ = nameBytes.withUnsafeMutableBytes { ioctlBytes(fd, kiosk_EVIOCGNAME(256), $0) }
        let name = String(decoding: nameBytes.prefix { $0 != 0 }, as: UTF8.self)
        var id = input_id()
        _ = withUnsafeMutableBytes(of: &id) { ioctlBytes(fd, kiosk_EVIOCGID(), $0) }
        let hex = { (v: UInt16) in String(v, radix: 16).leftPadded(4) }
        return TouchInfo(id: "input:\(hex(id.vendor)):\(hex(id.product)):\(name)", path: path, name: name, multitouch: mt,
                         minX: x0, maxX: x1, minY: y0, maxY: y1)
    }

    private static func ioctlBytes(_ fd: Int32, _ request: UInt, _ buffer: UnsafeMutableRawBufferPointer) -> Int32 {
        kiosk_v4l2_ioctl(fd, request, buffer.baseAddress)
    }
}

extension String {
    fileprivate func leftPadded(_ n: Int) -> String { String(repeating: "0", count: max(0, n - count)) + self }
}
