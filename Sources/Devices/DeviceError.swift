#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Every failure a device backend reports. Each case names the device (a path such as
/// `/dev/video0`, or an ALSA/PulseAudio name) so a log line or a self-test report says which.
public enum DeviceError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The node or device name does not exist (ENOENT, or ALSA's "no such device").
    case notFound(device: String)
    /// The node exists but this process may not open it (EACCES/EPERM): a udev rule or group is missing.
    case permissionDenied(device: String)
    /// Another process holds the device (EBUSY), e.g. a second opener of an ALSA `hw:` PCM.
    case busy(device: String)
    /// The device went away while open (ENODEV/ENXIO): unplugged or unbound.
    case vanished(device: String)
    /// The node is not a video capture device (e.g. a metadata or output node).
    case notACaptureDevice(device: String)
    /// The requested pixel format is not offered; `available` lists the fourccs that are.
    case unsupportedFormat(device: String, requested: String, available: [String])
    /// STREAMON failed with ENOSPC: the USB bus has no isochronous bandwidth left, typically two
    /// cameras on one bus. Lower the size/fps or move a camera to another port.
    case busBandwidthExceeded(device: String)
    /// The stream is not running (start() was not called, or stop() was).
    case notStarted(device: String)
    /// A frame could not be converted (truncated buffer, corrupt JPEG).
    case conversionFailed(device: String, reason: String)
    /// Any other system call failure.
    case system(device: String, operation: String, errno: Int32)
    /// An ALSA call failed; `code` is ALSA's negative error code.
    case alsa(device: String, operation: String, code: Int32, message: String)
    /// A PulseAudio call failed; `code` is a `pa_error_code`.
    case pulse(device: String, operation: String, code: Int32, message: String)

    /// Maps an errno from opening or using a node to the case that names the situation.
    public static func fromErrno(_ err: Int32, device: String, operation: String) -> DeviceError {
        switch err {
        case ENOENT: return .notFound(device: device)
        case EACCES, EPERM: return .permissionDenied(device: device)
        case EBUSY: return .busy(device: device)
        case ENODEV, ENXIO: return .vanished(device: device)
        default: return .system(device: device, operation: operation, errno: err)
        }
    }

    public var description: String {
        switch self {
        case .notFound(let d): return "\(d): no such device"
        case .permissionDenied(let d): return "\(d): permission denied (check the device's group and udev rules)"
        case .busy(let d): return "\(d): device busy (in use by another program)"
        case .vanished(let d): return "\(d): device disappeared (unplugged or unbound)"
        case .notACaptureDevice(let d): return "\(d): not a video capture device"
        case .unsupportedFormat(let d, let r, let a):
            return "\(d): pixel format \(r) not supported (device offers \(a.joined(separator: ", ")))"
        case .busBandwidthExceeded(let d):
            return "\(d): not enough USB bandwidth to start streaming (ENOSPC at STREAMON; another camera on the same bus?)"
        case .notStarted(let d): return "\(d): stream not started"
        case .conversionFailed(let d, let r): return "\(d): frame conversion failed: \(r)"
        case .system(let d, let op, let e): return "\(d): \(op) failed: \(String(cString: strerror(e))) (errno \(e))"
        case .alsa(let d, let op, let c, let m): return "\(d): ALSA \(op) failed: \(m) (\(c))"
        case .pulse(let d, let op, let c, let m): return "\(d): PulseAudio \(op) failed: \(m) (\(c))"
        }
    }
}
