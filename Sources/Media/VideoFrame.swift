/// One picture in I420 (planar Y, then U and V at half resolution): what cameras deliver after
/// conversion, what the VP8 encoder takes and the decoder gives, and what Render draws.
public struct VideoFrame: Sendable {
    public var width: Int
    public var height: Int
    /// Y plane (width*height), then U and V ((width+1)/2 * (height+1)/2 each), tightly packed.
    public var planes: [UInt8]
    /// Capture or decode time in nanoseconds on the producer's monotonic clock.
    public var timestampNanos: Int64
    /// Full-range (JPEG) rather than BT.601 limited-range samples.
    public var fullRange: Bool

    public init(width: Int, height: Int, planes: [UInt8], timestampNanos: Int64 = 0, fullRange: Bool = false) {
        precondition(planes.count >= VideoFrame.byteCount(width: width, height: height),
                     "planes must hold a full I420 picture")
        self.width = width
        self.height = height
        self.planes = planes
        self.timestampNanos = timestampNanos
        self.fullRange = fullRange
    }

    /// A frame of one flat colour, given in Y'CbCr.
    public init(width: Int, height: Int, y: UInt8, u: UInt8, v: UInt8, timestampNanos: Int64 = 0) {
        let lumaCount = width * height
        let chromaCount = VideoFrame.chromaWidth(width) * VideoFrame.chromaHeight(height)
        var planes = [UInt8](repeating: y, count: lumaCount + 2 * chromaCount)
        planes.withUnsafeMutableBufferPointer { p in
            for i in lumaCount..<(lumaCount + chromaCount) { p[i] = u }
            for i in (lumaCount + chromaCount)..<(lumaCount + 2 * chromaCount) { p[i] = v }
        }
        self.init(width: width, height: height, planes: planes, timestampNanos: timestampNanos)
    }

    public static func chromaWidth(_ width: Int) -> Int { (width + 1) / 2 }
    public static func chromaHeight(_ height: Int) -> Int { (height + 1) / 2 }
    public static func byteCount(width: Int, height: Int) -> Int {
        width * height + 2 * chromaWidth(width) * chromaHeight(height)
    }

    public var lumaCount: Int { width * height }
    public var chromaCount: Int { VideoFrame.chromaWidth(width) * VideoFrame.chromaHeight(height) }
    public var uOffset: Int { lumaCount }
    public var vOffset: Int { lumaCount + chromaCount }
}
