internal import CYUV
import Media

/// Halves an I420 picture in each direction by averaging 2x2 blocks, into a buffer the caller
/// keeps (no allocation once it has grown): the ladder's smaller picture. libyuv's box filter
/// (SIMD) does the work: the Swift loop it replaced took a fifth of kioskd's CPU in the debug
/// build of the network lab, starving the decode thread after an ICE restart.
public enum HalfScaler {
    /// The half-size picture of `frame`, its planes in `buffer` (the frame shares that storage;
    /// let it go before the next call, or the next call copies).
    public static func halve(_ frame: VideoFrame, into buffer: inout [UInt8]) -> VideoFrame {
        let w = frame.width, h = frame.height
        let w2 = max(2, w / 2 & ~1), h2 = max(2, h / 2 & ~1)
        let count = VideoFrame.byteCount(width: w2, height: h2)
        if buffer.count != count { buffer = [UInt8](repeating: 0, count: count) }
        let cw = VideoFrame.chromaWidth(w), ch = VideoFrame.chromaHeight(h)
        let cw2 = VideoFrame.chromaWidth(w2), ch2 = VideoFrame.chromaHeight(h2)
        let yuv = 2 * w2 <= w && 2 * h2 <= h
        frame.planes.withUnsafeBufferPointer { src in
            buffer.withUnsafeMutableBufferPointer { dst in
                if yuv, let s = src.baseAddress, let d = dst.baseAddress {
                    ScalePlane(s, Int32(w), Int32(w), Int32(h), d, Int32(w2), Int32(w2), Int32(h2), kFilterBox)
                    ScalePlane(s + w * h, Int32(cw), Int32(cw), Int32(ch), d + w2 * h2, Int32(cw2), Int32(cw2), Int32(ch2), kFilterBox)
                    ScalePlane(s + w * h + cw * ch, Int32(cw), Int32(cw), Int32(ch), d + w2 * h2 + cw2 * ch2,
                               Int32(cw2), Int32(cw2), Int32(ch2), kFilterBox)
                    return
                }
                // Pictures under 4x4 (never a camera's): the clamped mean below.
                shrink(src, offset: 0, width: w, height: h, stride: w, into: dst, at: 0, width: w2, height: h2)
                shrink(src, offset: w * h, width: cw, height: ch, stride: cw, into: dst, at: w2 * h2, width: cw2, height: ch2)
                shrink(src, offset: w * h + cw * ch, width: cw, height: ch, stride: cw,
                       into: dst, at: w2 * h2 + cw2 * ch2, width: cw2, height: ch2)
            }
        }
        return VideoFrame(width: w2, height: h2, planes: buffer, timestampNanos: frame.timestampNanos, fullRange: frame.fullRange)
    }

    /// One plane: each destination sample is the rounded mean of the 2x2 source block under it
    /// (clamped at the source's last row and column).
    private static func shrink(_ src: UnsafeBufferPointer<UInt8>, offset: Int, width: Int, height: Int, stride: Int,
                               into dst: UnsafeMutableBufferPointer<UInt8>, at base: Int, width dw: Int, height dh: Int) {
        for y in 0..<dh {
            let r0 = offset + min(2 * y, height - 1) * stride
            let r1 = offset + min(2 * y + 1, height - 1) * stride
            let out = base + y * dw
            for x in 0..<dw {
                let x0 = min(2 * x, width - 1), x1 = min(2 * x + 1, width - 1)
                let sum = Int(src[r0 + x0]) + Int(src[r0 + x1]) + Int(src[r1 + x0]) + Int(src[r1 + x1])
                dst[out + x] = UInt8((sum + 2) >> 2)
            }
        }
    }
}
