import Devices
import Foundation
import Media

/// CPU cost of the camera conversions at 1280x720 (per frame, this machine, this build).
enum Bench {
    static func run() {
        let w = 1280, h = 720, iterations = 60
        let source = TestPattern.render(index: 1, timestampNanos: 0, width: w, height: h)
        var yuyv = [UInt8](repeating: 0, count: w * h * 2)
        for y in 0..<h {
            for x in stride(from: 0, to: w, by: 2) {
                let i = (y * w + x) * 2, c = (y / 2) * (w / 2) + x / 2
                yuyv[i] = source.planes[y * w + x]
                yuyv[i + 1] = source.planes[source.uOffset + c]
                yuyv[i + 2] = source.planes[y * w + x + 1]
                yuyv[i + 3] = source.planes[source.vOffset + c]
            }
        }
        let jpeg = compress422(source)
        guard let decoder = try? JPEGDecoder() else { return }
        func time(_ body: () throws -> Void) -> Double {
            let t0 = monotonicNanos()
            for _ in 0..<iterations { try? body() }
            return Double(monotonicNanos() - t0) / Double(iterations) / 1000
        }
        let yuyvMicros = time { _ = try yuyv.withUnsafeBytes { try PixelConverter.convert($0, fourcc: "YUYV", width: w, height: h, bytesPerLine: w * 2, timestampNanos: 0) } }
        let mjpegMicros = time { _ = try jpeg.withUnsafeBytes { try PixelConverter.convert($0, fourcc: "MJPG", width: w, height: h, bytesPerLine: 0, timestampNanos: 0, jpeg: decoder) } }
        let renderMicros = time { _ = TestPattern.render(index: 2, timestampNanos: 0, width: w, height: h) }
        say("BENCH yuyv_to_i420_1280x720_us=\(fmt(yuyvMicros)) mjpeg422_to_i420_1280x720_us=\(fmt(mjpegMicros)) mjpeg_bytes=\(jpeg.count) synthetic_render_1280x720_us=\(fmt(renderMicros)) iterations=\(iterations)")
    }

    /// 4:2:2 JPEG (what webcams send as MJPEG) of an I420 frame at quality 85.
    static func compress422(_ f: VideoFrame) -> [UInt8] {
        (try? JPEGEncoder.encode(f, subsampling: .yuv422, quality: 85)) ?? []
    }
}
