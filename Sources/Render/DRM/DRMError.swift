import Glibc

/// What went wrong talking to DRM/KMS. Paths and object IDs only; errno as the kernel gave it.
public enum DRMError: Error, Equatable, CustomStringConvertible {
    case open(path: String, errno: Int32)
    case notDRM(path: String)
    case noDevice(searched: String)
    case capability(name: String, errno: Int32)
    case master(path: String, errno: Int32)
    case resources(errno: Int32)
    case noConnectedConnector(path: String)
    case connectorNotFound(name: String)
    case modeNotFound(connector: String, mode: String)
    case noCRTC(connector: String)
    case noPrimaryPlane(crtc: UInt32)
    case propertyMissing(object: UInt32, name: String)
    case dumbBuffer(errno: Int32)
    case framebuffer(errno: Int32)
    case map(errno: Int32)
    case commit(errno: Int32, testOnly: Bool)
    case noWriteback
    case fence(String)
    case timeout(String)

    public var description: String {
        func e(_ n: Int32) -> String { String(cString: strerror(n)) }
        switch self {
        case .open(let p, let n): return "cannot open \(p): \(e(n))"
        case .notDRM(let p): return "\(p) is not a DRM device"
        case .noDevice(let d): return "no DRM card with a connected display in \(d)"
        case .capability(let c, let n): return "DRM client capability \(c) refused: \(e(n))"
        case .master(let p, let n): return "cannot become DRM master of \(p): \(e(n))"
        case .resources(let n): return "cannot read KMS resources: \(e(n))"
        case .noConnectedConnector(let p): return "\(p) has no connected connector"
        case .connectorNotFound(let c): return "connector \(c) not found"
        case .modeNotFound(let c, let m): return "connector \(c) has no mode \(m)"
        case .noCRTC(let c): return "no CRTC can drive \(c)"
        case .noPrimaryPlane(let c): return "no primary plane for CRTC \(c)"
        case .propertyMissing(let o, let n): return "object \(o) has no property \(n)"
        case .dumbBuffer(let n): return "dumb buffer allocation failed: \(e(n))"
        case .framebuffer(let n): return "framebuffer creation failed: \(e(n))"
        case .map(let n): return "buffer mapping failed: \(e(n))"
        case .commit(let n, let t): return "\(t ? "TEST_ONLY " : "")atomic commit failed: \(e(n))"
        case .noWriteback: return "no writeback connector (vkms enable_writeback=1?)"
        case .fence(let s): return "writeback fence: \(s)"
        case .timeout(let s): return "timed out: \(s)"
        }
    }
}
