import CDRM
import Glibc

/// A CPU-drawable scanout buffer (DRM dumb buffer) with a framebuffer ID, mapped for writing.
/// Dumb buffers are the right allocation for software-drawn frames on any KMS driver, with or
/// without a GPU.
public final class DumbBuffer {
    public let width: Int
    public let height: Int
    public let stride: Int
    public let fbID: UInt32
    let handle: UInt32
    let size: Int
    let map: UnsafeMutableRawPointer
    private let fd: Int32

    public init(device: DRMDevice, width: Int, height: Int, format: UInt32 = kiosk_DRM_FORMAT_XRGB8888()) throws(DRMError) {
        let fd = device.fd
        self.fd = fd
        var handle: UInt32 = 0, pitch: UInt32 = 0, size: UInt64 = 0
        guard drmModeCreateDumbBuffer(fd, UInt32(width), UInt32(height), 32, 0, &handle, &pitch, &size) == 0 else {
            throw .dumbBuffer(errno: Glibc.errno)
        }
        var handles: (UInt32, UInt32, UInt32, UInt32) = (handle, 0, 0, 0)
        var pitches: (UInt32, UInt32, UInt32, UInt32) = (pitch, 0, 0, 0)
        var offsets: (UInt32, UInt32, UInt32, UInt32) = (0, 0, 0, 0)
        var fb: UInt32 = 0
        let rc = withUnsafePointer(to: &handles) { h in
            withUnsafePointer(to: &pitches) { p in
                withUnsafePointer(to: &offsets) { o in
                    drmModeAddFB2(fd, UInt32(width), UInt32(height), format,
                                  UnsafeRawPointer(h).assumingMemoryBound(to: UInt32.self),
                                  UnsafeRawPointer(p).assumingMemoryBound(to: UInt32.self),
                                  UnsafeRawPointer(o).assumingMemoryBound(to: UInt32.self), &fb, 0)
                }
            }
        }
        guard rc == 0 else {
            let e = Glibc.errno
            drmModeDestroyDumbBuffer(fd, handle)
            throw .framebuffer(errno: e)
        }
        var offset: UInt64 = 0
        guard drmModeMapDumbBuffer(fd, handle, &offset) == 0,
              let m = mmap(nil, Int(size), PROT_READ | PROT_WRITE, MAP_SHARED, fd, off_t(offset)), m != MAP_FAILED else {
            let e = Glibc.errno
            drmModeRmFB(fd, fb)
            drmModeDestroyDumbBuffer(fd, handle)
            throw .map(errno: e)
        }
        self.width = width
        self.height = height
        self.stride = Int(pitch)
        self.size = Int(size)
        self.handle = handle
        self.fbID = fb
        self.map = m
    }

    deinit {
        munmap(map, size)
        drmModeRmFB(fd, fbID)
        drmModeDestroyDumbBuffer(fd, handle)
    }

    public var canvas: XRGBCanvas { XRGBCanvas(base: map, width: width, height: height, stride: stride) }

    /// A copy of the pixels (alpha/X byte forced to 0xFF).
    public func snapshot() -> XRGBImage {
        var img = XRGBImage(width: width, height: height)
        let c = canvas
        for y in 0..<height {
            let row = c.row(y)
            for x in 0..<width { img.pixels[y * width + x] = row[x] | 0xFF00_0000 }
        }
        return img
    }
}
