import Media
import Testing
@testable import Devices

@Suite struct PixelConversionTests {
    /// YUYV where Y encodes the position and each 2x1 pair carries its own U/V; both rows of a
    /// pair share chroma, so the I420 result is exact.
    @Test func yuyvToI420KnownPattern() throws {
        let w = 16, h = 8
        var yuyv = [UInt8](repeating: 0, count: w * h * 2)
        for y in 0..<h {
            for x in stride(from: 0, to: w, by: 2) {
                let i = (y * w + x) * 2
                yuyv[i] = UInt8(y * 16 + x)
                yuyv[i + 1] = UInt8(40 + x * 4 + (y / 2))  // U
                yuyv[i + 2] = UInt8(y * 16 + x + 1)
                yuyv[i + 3] = UInt8(200 - x * 4 - (y / 2))  // V
            }
        }
        let frame = try yuyv.withUnsafeBytes { try PixelConverter.convert($0, fourcc: "YUYV", width: w, height: h, bytesPerLine: w * 2, timestampNanos: 7) }
        #expect(frame.width == w && frame.height == h && frame.timestampNanos == 7)
        for y in 0..<h { for x in 0..<w { #expect(frame.planes[y * w + x] == UInt8(y * 16 + x)) } }
        for cy in 0..<(h / 2) {
            for cx in 0..<(w / 2) {
                #expect(frame.planes[frame.uOffset + cy * 8 + cx] == UInt8(40 + cx * 8 + cy))
                #expect(frame.planes[frame.vOffset + cy * 8 + cx] == UInt8(200 - cx * 8 - cy))
            }
        }
    }

    @Test func nv12ToI420DeinterleavesChroma() throws {
        let w = 8, h = 4, stride = 12  // padded lines, as drivers deliver
        var nv12 = [UInt8](repeating: 0xEE, count: stride * h + stride * h / 2)
        for y in 0..<h { for x in 0..<w { nv12[y * stride + x] = UInt8(10 + y * w + x) } }
        for cy in 0..<(h / 2) {
            for cx in 0..<(w / 2) {
                nv12[stride * h + cy * stride + 2 * cx] = UInt8(100 + cy * 4 + cx)
                nv12[stride * h + cy * stride + 2 * cx + 1] = UInt8(150 + cy * 4 + cx)
            }
        }
        let frame = try nv12.withUnsafeBytes { try PixelConverter.convert($0, fourcc: "NV12", width: w, height: h, bytesPerLine: stride, timestampNanos: 0) }
        #expect(Array(frame.planes[0..<(w * h)]) == (0..<(w * h)).map { UInt8(10 + $0) })
        #expect(Array(frame.planes[frame.uOffset..<frame.vOffset]) == (0..<8).map { UInt8(100 + $0) })
        #expect(Array(frame.planes[frame.vOffset...]) == (0..<8).map { UInt8(150 + $0) })
    }

    @Test func shortBufferAndUnknownFormatAreTypedErrors() {
        let small = [UInt8](repeating: 0, count: 100)
        #expect(throws: DeviceError.self) {
            try small.withUnsafeBytes { try PixelConverter.convert($0, fourcc: "YUYV", width: 640, height: 480, bytesPerLine: 1280, timestampNanos: 0, device: "/dev/video9") }
        }
        #expect(throws: DeviceError.unsupportedFormat(device: "cam", requested: "BA81", available: PixelConverter.supportedFourCCs)) {
            try small.withUnsafeBytes { try PixelConverter.convert($0, fourcc: "BA81", width: 4, height: 4, bytesPerLine: 4, timestampNanos: 0, device: "cam") }
        }
    }

    @Test(arguments: [JPEGEncoder.Subsampling.yuv420, .yuv422])
    func turboJPEGRoundTripToI420(subsampling: JPEGEncoder.Subsampling) throws {
        let source = TestPattern.render(index: 3, timestampNanos: 0, width: 160, height: 120)
        let jpeg = try JPEGEncoder.encode(source, subsampling: subsampling, quality: 95)
        let decoder = try JPEGDecoder()
        let frame = try jpeg.withUnsafeBytes { try PixelConverter.convert($0, fourcc: "MJPG", width: 160, height: 120, bytesPerLine: 0, timestampNanos: 9, jpeg: decoder) }
        #expect(frame.width == 160 && frame.height == 120 && frame.fullRange && frame.timestampNanos == 9)
        var total = 0
        for i in 0..<frame.planes.count { total += abs(Int(frame.planes[i]) - Int(source.planes[i])) }
        let mean = Double(total) / Double(frame.planes.count)
        #expect(mean < 3, "mean abs error \(mean)")
        #expect(TestPattern.read(frame)?.index == 3)
    }

    @Test func corruptJPEGIsTypedError() throws {
        let decoder = try JPEGDecoder()
        let junk: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3, 4, 5, 6]
        #expect(throws: DeviceError.self) { try junk.withUnsafeBytes { try decoder.decode($0) } }
    }

    @Test func fourccRoundTrip() {
        #expect(FourCC.string(FourCC.code("YUYV") ?? 0) == "YUYV")
        #expect(FourCC.code("Y8") == 0x2020_3859)
        #expect(FourCC.string(0x2020_3859) == "Y8")
        #expect(FourCC.code("") == nil)
    }
}
