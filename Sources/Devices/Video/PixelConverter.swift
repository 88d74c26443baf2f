import CYUV
import Media

/// Camera pixel formats → I420 for the encoder (libyuv; MJPEG through `JPEGDecoder`).
public enum PixelConverter {
    /// Formats `convert` accepts, in the order a camera prefers them (cheapest first).
    public static let supportedFourCCs = ["YUYV", "NV12", "YU12", "MJPG", "JPEG"]

    /// Converts one captured picture. `bytesPerLine` is the stride of the (first) plane as the
    /// driver reports it; MJPEG needs `jpeg`. Throws `.conversionFailed` for a short buffer.
    public static func convert(_ data: UnsafeRawBufferPointer, fourcc: String, width: Int, height: Int,
                               bytesPerLine: Int, timestampNanos: Int64, jpeg: JPEGDecoder? = nil,
                               device: String = "camera") throws(DeviceError) -> VideoFrame {
        guard width > 0, height > 0, let src = data.baseAddress?.assumingMemoryBound(to: UInt8.self) else {
            throw .conversionFailed(device: device, reason: "empty \(fourcc) buffer")
        }
        func need(_ n: Int) throws(DeviceError) {
            if data.count < n { throw .conversionFailed(device: device, reason: "\(fourcc) buffer \(data.count) B < \(n) B") }
        }
        let cw = VideoFrame.chromaWidth(width), ch = VideoFrame.chromaHeight(height)
        let stride: Int
        switch fourcc {
        case "YUYV":
            stride = max(bytesPerLine, 2 * width)
            try need(stride * (height - 1) + 2 * width)
        case "NV12":
            stride = max(bytesPerLine, width)
            try need(stride * height + stride * (ch - 1) + 2 * cw)
        case "YU12":
            stride = max(bytesPerLine, width)
            try need(stride * height + 2 * ((stride + 1) / 2) * ch)
        case "MJPG", "JPEG":
            guard let jpeg else { throw .conversionFailed(device: device, reason: "MJPEG needs a JPEGDecoder") }
            return try jpeg.decode(data, timestampNanos: timestampNanos, device: device)
        default:
            throw .unsupportedFormat(device: device, requested: fourcc, available: supportedFourCCs)
        }
        let total = VideoFrame.byteCount(width: width, height: height)
        var rc: Int32 = 0
        // Every byte is written by the conversion: no need to zero 0.5-3 MB per frame first.
        let planes = [UInt8](unsafeUninitializedCapacity: total) { buffer, count in
            let y = buffer.baseAddress!  // capacity > 0: width, height > 0
            let u = y + width * height, v = u + cw * ch
            let w = Int32(width), h = Int32(height), c = Int32(cw), s = Int32(stride)
            switch fourcc {
            case "YUYV":
                rc = YUY2ToI420(src, s, y, w, u, c, v, c, w, h)
            case "NV12":
                rc = NV12ToI420(src, s, src + stride * height, s, y, w, u, c, v, c, w, h)
            default:  // YU12
                let cs = Int32((stride + 1) / 2)
                let su = src + stride * height, sv = su + Int(cs) * ch
                rc = I420Copy(src, s, su, cs, sv, cs, y, w, u, c, v, c, w, h)
            }
            count = total
        }
        guard rc == 0 else { throw .conversionFailed(device: device, reason: "libyuv \(fourcc) returned \(rc)") }
        return VideoFrame(width: width, height: height, planes: planes, timestampNanos: timestampNanos)
    }
}
