import CTurboJPEG
import Media

/// Encodes an I420 picture as JPEG with libjpeg-turbo, at 4:2:0 or at 4:2:2 (what webcams send
/// as MJPEG). It makes MJPEG test input for the decoder, the lab and the benchmarks.
public enum JPEGEncoder {
    public enum Subsampling: Sendable {
        case yuv420
        case yuv422

        var turbo: TJSAMP { self == .yuv420 ? TJSAMP_420 : TJSAMP_422 }
    }

    public static func encode(_ f: VideoFrame, subsampling: Subsampling, quality: Int = 85) throws(DeviceError) -> [UInt8] {
        guard let handle = tjInitCompress() else {
            throw .conversionFailed(device: "turbojpeg", reason: "tjInitCompress failed")
        }
        defer { tjDestroy(handle) }
        let cw = VideoFrame.chromaWidth(f.width), ch = VideoFrame.chromaHeight(f.height)
        // 4:2:2 has a chroma row per luma row: repeat each I420 chroma row.
        let rows = subsampling == .yuv422 ? f.height : ch
        var y = Array(f.planes[0..<f.lumaCount]), u = [UInt8](), v = [UInt8]()
        u.reserveCapacity(rows * cw)
        v.reserveCapacity(rows * cw)
        for r in 0..<rows {
            let sr = subsampling == .yuv422 ? r / 2 : r
            u += f.planes[(f.uOffset + sr * cw)..<(f.uOffset + sr * cw + cw)]
            v += f.planes[(f.vOffset + sr * cw)..<(f.vOffset + sr * cw + cw)]
        }
        var out: UnsafeMutablePointer<UInt8>?
        var size: UInt = 0
        let rc = y.withUnsafeMutableBufferPointer { yb in u.withUnsafeMutableBufferPointer { ub in v.withUnsafeMutableBufferPointer { vb in
            var planes: [UnsafePointer<UInt8>?] = [UnsafePointer(yb.baseAddress), UnsafePointer(ub.baseAddress), UnsafePointer(vb.baseAddress)]
            var strides: [Int32] = [Int32(f.width), Int32(cw), Int32(cw)]
            return tjCompressFromYUVPlanes(handle, &planes, Int32(f.width), &strides, Int32(f.height),
                                           Int32(subsampling.turbo.rawValue), &out, &size, Int32(quality), 0)
        } } }
        guard rc == 0, let out else {
            throw .conversionFailed(device: "turbojpeg", reason: "JPEG encode failed")
        }
        defer { tjFree(out) }
        return Array(UnsafeBufferPointer(start: out, count: Int(size)))
    }
}
