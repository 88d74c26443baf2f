import CGBM
import Glibc

/// libgbm on a DRM device: present where Mesa has a driver for the GPU. kioskd draws in
/// software into dumb buffers; a GBM device tells whether GPU buffers are an option.
public final class GBMDevice {
    public enum Error: Swift.Error, Equatable {
        /// gbm_create_device refused the file descriptor (no GPU driver, or not a DRM node).
        case unavailable(path: String)
    }

    private let device: OpaquePointer
    public let backendName: String

    public convenience init(device drm: DRMDevice) throws(Error) {
        try self.init(fd: drm.fd, path: drm.path)
    }

    /// `fd` stays owned by the caller and must outlive this object.
    public init(fd: Int32, path: String) throws(Error) {
        guard let d = gbm_create_device(fd) else { throw .unavailable(path: path) }
        // Mesa hands out a software "drm" device even for non-DRM descriptors (/dev/null);
        // only a buffer allocation tells whether buffers can really be had.
        let flags = UInt32(GBM_BO_USE_SCANOUT.rawValue | GBM_BO_USE_LINEAR.rawValue)
        guard let bo = gbm_bo_create(d, 64, 64, kiosk_GBM_FORMAT_XRGB8888(), flags) else {
            gbm_device_destroy(d)
            throw .unavailable(path: path)
        }
        gbm_bo_destroy(bo)
        device = d
        backendName = gbm_device_get_backend_name(d).map { String(cString: $0) } ?? "?"
    }

    deinit { gbm_device_destroy(device) }

    /// Whether the GPU can scan out an XRGB8888 buffer of its own.
    public var supportsScanoutXRGB: Bool {
        gbm_device_is_format_supported(device, kiosk_GBM_FORMAT_XRGB8888(), UInt32(GBM_BO_USE_SCANOUT.rawValue)) != 0
    }
}
