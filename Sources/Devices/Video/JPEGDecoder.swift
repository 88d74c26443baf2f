import CTurboJPEG
import CYUV
import Media

/// Decodes (M)JPEG pictures to I420 with libjpeg-turbo. One per camera; not for concurrent use.
public final class JPEGDecoder {
    private let handle: tjhandle

    public init() throws(DeviceError) {
        guard let h = tjInitDecompress() else {
            throw .conversionFailed(device: "turbojpeg", reason: "tjInitDecompress failed")
        }
        handle = h
    }

    deinit { tjDestroy(handle) }

    /// Decodes one JPEG (webcam MJPEG often omits Huffman tables; libjpeg-turbo supplies the
    /// standard ones). 4:2:0 decodes straight into the frame; 4:2:2, 4:4:4 and grey go through libyuv.
    public func decode(_ data: UnsafeRawBufferPointer, timestampNanos: Int64 = 0,
                       device: String = "jpeg") throws(DeviceError) -> VideoFrame {
        guard let src = data.baseAddress?.assumingMemoryBound(to: UInt8.self), data.count > 4 else {
            throw .conversionFailed(device: device, reason: "empty JPEG")
        }
        var w: Int32 = 0, h: Int32 = 0, subsamp: Int32 = 0, colorspace: Int32 = 0
        guard tjDecompressHeader3(handle, src, UInt(data.count), &w, &h, &subsamp, &colorspace) == 0, w > 0, h > 0 else {
            throw .conversionFailed(device: device, reason: "JPEG header: \(errorText())")
        }
        let width = Int(w), height = Int(h)
        let cw = VideoFrame.chromaWidth(width), ch = VideoFrame.chromaHeight(height)
        var planes = [UInt8](repeating: 128, count: VideoFrame.byteCount(width: width, height: height))
        let flags = Int32(TJFLAG_FASTDCT)
        var ok = false
        if subsamp == Int32(TJSAMP_420.rawValue) {
            ok = planes.withUnsafeMutableBufferPointer { p -> Bool in
                let y = p.baseAddress!  // non-empty: width, height > 0
                var dst: [UnsafeMutablePointer<UInt8>?] = [y, y + width * height, y + width * height + cw * ch]
                var strides: [Int32] = [w, Int32(cw), Int32(cw)]
                return tjDecompressToYUVPlanes(handle, src, UInt(data.count), &dst, w, &strides, h, flags) == 0
            }
        } else {
            // Decode at the picture's own subsampling, then let libyuv resample the chroma.
            let sw = (0..<3).map { Int(tjPlaneWidth(Int32($0), w, subsamp)) }
            let sh = (0..<3).map { Int(tjPlaneHeight(Int32($0), h, subsamp)) }
            guard sw[0] > 0, sh[0] > 0 else {
                throw .conversionFailed(device: device, reason: "unsupported JPEG subsampling \(subsamp)")
            }
            let gray = subsamp == Int32(TJSAMP_GRAY.rawValue)
            var tmpY = [UInt8](repeating: 0, count: sw[0] * sh[0])
            var tmpU = [UInt8](repeating: 128, count: gray ? 1 : max(1, sw[1] * sh[1]))
            var tmpV = [UInt8](repeating: 128, count: gray ? 1 : max(1, sw[2] * sh[2]))
            let decoded = tmpY.withUnsafeMutableBufferPointer { yb in
                tmpU.withUnsafeMutableBufferPointer { ub in
                    tmpV.withUnsafeMutableBufferPointer { vb in
                        var dst: [UnsafeMutablePointer<UInt8>?] = [yb.baseAddress, gray ? nil : ub.baseAddress, gray ? nil : vb.baseAddress]
                        var strides: [Int32] = [Int32(sw[0]), Int32(gray ? 0 : sw[1]), Int32(gray ? 0 : sw[2])]
                        return tjDecompressToYUVPlanes(handle, src, UInt(data.count), &dst, w, &strides, h, flags) == 0
                    }
                }
            }
            if decoded {
                ok = planes.withUnsafeMutableBufferPointer { p -> Bool in
                    let y = p.baseAddress!  // non-empty: width, height > 0
                    let u = y + width * height, v = u + cw * ch
                    let sy = Int32(sw[0]), su = Int32(sw.count > 1 ? sw[1] : 0)
                    switch subsamp {
                    case Int32(TJSAMP_422.rawValue):
                        return I422ToI420(tmpY, sy, tmpU, su, tmpV, su, y, w, u, Int32(cw), v, Int32(cw), w, h) == 0
                    case Int32(TJSAMP_444.rawValue):
                        return I444ToI420(tmpY, sy, tmpU, su, tmpV, su, y, w, u, Int32(cw), v, Int32(cw), w, h) == 0
                    case Int32(TJSAMP_GRAY.rawValue):
                        return I400ToI420(tmpY, sy, y, w, u, Int32(cw), v, Int32(cw), w, h) == 0
                    default:
                        return false
                    }
                }
            }
        }
        guard ok else { throw .conversionFailed(device: device, reason: "JPEG decode (subsampling \(subsamp)): \(errorText())") }
        return VideoFrame(width: width, height: height, planes: planes, timestampNanos: timestampNanos, fullRange: true)
    }

    private func errorText() -> String {
        guard let s = tjGetErrorStr2(handle) else { return "unknown error" }
        return String(cString: s)
    }
}
