import CV4L2
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// An open V4L2 node: owns the file descriptor and turns ioctl failures into `DeviceError`.
final class V4L2Node {
    let path: String
    let fd: Int32

    init(path: String) throws(DeviceError) {
        self.path = path
        let fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw DeviceError.fromErrno(errno, device: path, operation: "open") }
        self.fd = fd
    }

    deinit { close(fd) }

    /// Runs one ioctl on `arg`, retrying on EINTR; throws with the ioctl's name on failure.
    func ioctl<T>(_ request: UInt, _ name: String, _ arg: inout T) throws(DeviceError) {
        let err = tryIoctl(request, &arg)
        if err != 0 { throw Self.error(err, device: path, operation: name) }
    }

    /// Same as `ioctl` but returns the errno (0 on success), for enumeration loops that end on EINVAL.
    func tryIoctl<T>(_ request: UInt, _ arg: inout T) -> Int32 {
        while true {
            let rc = withUnsafeMutablePointer(to: &arg) { kiosk_v4l2_ioctl(fd, request, UnsafeMutableRawPointer($0)) }
            if rc >= 0 { return 0 }
            let e = errno
            if e != EINTR { return e }
        }
    }

    static func error(_ err: Int32, device: String, operation: String) -> DeviceError {
        switch (err, operation) {
        case (ENOSPC, "VIDIOC_STREAMON"): return .busBandwidthExceeded(device: device)
        // vb2 reports a queue whose device was disconnected (uvcvideo unplug) as EIO.
        case (EIO, "VIDIOC_DQBUF"), (EIO, "VIDIOC_QBUF"), (EIO, "poll"): return .vanished(device: device)
        default: return DeviceError.fromErrno(err, device: device, operation: operation)
        }
    }

    func queryCapability() throws(DeviceError) -> v4l2_capability {
        var cap = v4l2_capability()
        try ioctl(kiosk_VIDIOC_QUERYCAP(), "VIDIOC_QUERYCAP", &cap)
        return cap
    }
}

extension v4l2_capability {
    /// The node's own capabilities (not the whole device's).
    var nodeCapabilities: UInt32 {
        capabilities & UInt32(V4L2_CAP_DEVICE_CAPS) != 0 ? device_caps : capabilities
    }

    var isVideoCapture: Bool {
        let caps = nodeCapabilities
        return caps & UInt32(V4L2_CAP_VIDEO_CAPTURE) != 0 && caps & UInt32(V4L2_CAP_STREAMING) != 0
    }

    var cardName: String { Self.text(card) }
    var driverName: String { Self.text(driver) }
    var busInfo: String { Self.text(bus_info) }

    static func text<T>(_ tuple: T) -> String {
        withUnsafeBytes(of: tuple) { raw in
            let bytes = raw.prefix { $0 != 0 }
            return String(decoding: bytes, as: UTF8.self)
        }
    }
}
