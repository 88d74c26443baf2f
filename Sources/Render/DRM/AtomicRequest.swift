import CDRM
import Glibc

/// One atomic commit being built: properties are named and resolved per object once.
final class AtomicRequest {
    private let device: DRMDevice
    private let req: drmModeAtomicReqPtr
    private var propIDs: [UInt32: [String: UInt32]]
    private(set) var missing: [(UInt32, String)] = []

    init(device: DRMDevice, cache: inout [UInt32: [String: UInt32]]) {
        self.device = device
        // invariant: drmModeAtomicAlloc only fails on out-of-memory.
        req = drmModeAtomicAlloc()!
        propIDs = cache
    }

    deinit { drmModeAtomicFree(req) }

    var resolvedCache: [UInt32: [String: UInt32]] { propIDs }

    func set(_ object: UInt32, type: UInt32, _ name: String, _ value: UInt64) {
        if propIDs[object] == nil {
            propIDs[object] = device.properties(of: object, type: type).mapValues { $0.id }
        }
        guard let id = propIDs[object]?[name] else { missing.append((object, name)); return }
        _ = drmModeAtomicAddProperty(req, object, id, value)
    }

    func plane(_ id: UInt32, crtc: UInt32, fb: UInt32, dst: PixelRect, srcWidth: Int, srcHeight: Int) {
        let t = UInt32(DRM_MODE_OBJECT_PLANE)
        set(id, type: t, "FB_ID", UInt64(fb))
        set(id, type: t, "CRTC_ID", UInt64(crtc))
        set(id, type: t, "SRC_X", 0)
        set(id, type: t, "SRC_Y", 0)
        set(id, type: t, "SRC_W", UInt64(srcWidth) << 16) // 16.16 fixed point
        set(id, type: t, "SRC_H", UInt64(srcHeight) << 16)
        set(id, type: t, "CRTC_X", UInt64(bitPattern: Int64(dst.x)))
        set(id, type: t, "CRTC_Y", UInt64(bitPattern: Int64(dst.y)))
        set(id, type: t, "CRTC_W", UInt64(dst.width))
        set(id, type: t, "CRTC_H", UInt64(dst.height))
    }

    func disablePlane(_ id: UInt32) {
        set(id, type: UInt32(DRM_MODE_OBJECT_PLANE), "FB_ID", 0)
        set(id, type: UInt32(DRM_MODE_OBJECT_PLANE), "CRTC_ID", 0)
    }

    /// Commits; returns 0 or the errno.
    func commit(flags: UInt32, userData: UnsafeMutableRawPointer? = nil) -> Int32 {
        guard missing.isEmpty else { return EINVAL }
        return drmModeAtomicCommit(device.fd, req, flags, userData) == 0 ? 0 : Glibc.errno
    }
}
