import Benchmark
import Devices
import Media

/// Camera pixel conversions at 1280x720, one frame per iteration: YUYV → I420 (libyuv) and
/// 4:2:2 MJPEG → I420 (libjpeg-turbo + libyuv), through `PixelConverter.convert`.
enum DevicesBench {
    static let width = 1280, height = 720

    static func register() {
        let source = TestPattern.render(index: 1, timestampNanos: 0, width: width, height: height)
        let yuyv = packYUYV(source)
        let yuyvTally = Tally()
        let yuyvName = "Devices YUYV → I420 1280x720"
        Benchmark(yuyvName, configuration: .kiosk(maxDuration: .seconds(2), maxIterations: 500)) { benchmark in
            try yuyvTally.measure(items: 1, bytes: yuyv.count) {
                let frame = try yuyv.withUnsafeBytes {
                    try PixelConverter.convert($0, fourcc: "YUYV", width: width, height: height, bytesPerLine: width * 2, timestampNanos: 0)
                }
                blackHole(frame)
            }
        } teardown: {
            Tally.report(yuyvName, "\(fmt(yuyvTally.microsPerItem / 1000, 3)) CPU-ms/frame, \(fmt(yuyvTally.mallocsPerItem, 2)) mallocs/frame (the output frame)")
        }

        let jpeg = compress422(source)
        let mjpegTally = Tally()
        let mjpegName = "Devices MJPEG (4:2:2, q85) → I420 1280x720"
        Benchmark(mjpegName, configuration: .kiosk(maxDuration: .seconds(2), maxIterations: 500)) { benchmark in
            let decoder = try JPEGDecoder()
            benchmark.startMeasurement()
            try mjpegTally.measure(items: 1, bytes: jpeg.count) {
                let frame = try jpeg.withUnsafeBytes {
                    try PixelConverter.convert($0, fourcc: "MJPG", width: width, height: height, bytesPerLine: 0, timestampNanos: 0, jpeg: decoder)
                }
                blackHole(frame)
            }
            benchmark.stopMeasurement()
        } teardown: {
            Tally.report(mjpegName, "\(fmt(mjpegTally.microsPerItem / 1000, 3)) CPU-ms/frame (JPEG \(jpeg.count / 1024) KiB), "
                         + "\(fmt(mjpegTally.mallocsPerItem, 2)) mallocs/frame")
        }
    }

    /// What a UVC camera sends as YUYV (4:2:2 packed) for an I420 picture.
    static func packYUYV(_ f: VideoFrame) -> [UInt8] {
        let w = f.width, h = f.height
        var out = [UInt8](repeating: 0, count: w * h * 2)
        for y in 0..<h {
            for x in stride(from: 0, to: w, by: 2) {
                let i = (y * w + x) * 2, c = (y / 2) * (w / 2) + x / 2
                out[i] = f.planes[y * w + x]
                out[i + 1] = f.planes[f.uOffset + c]
                out[i + 2] = f.planes[y * w + x + 1]
                out[i + 3] = f.planes[f.vOffset + c]
            }
        }
        return out
    }

    /// A 4:2:2 JPEG at quality 85, what webcams send as MJPEG.
    static func compress422(_ f: VideoFrame) -> [UInt8] {
        (try? JPEGEncoder.encode(f, subsampling: .yuv422, quality: 85)) ?? []
    }
}
