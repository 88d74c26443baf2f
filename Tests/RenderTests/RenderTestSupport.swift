import Media
@testable import Render

/// Y'CbCr of primary colours in BT.601 limited range (ITU-R BT.601 §2.5.3 with 8-bit quantisation).
struct YUV: Equatable {
    var y: UInt8, u: UInt8, v: UInt8
    static let red = YUV(y: 81, u: 90, v: 240)
    static let green = YUV(y: 145, u: 54, v: 34)
    static let blue = YUV(y: 41, u: 240, v: 110)
    static let white = YUV(y: 235, u: 128, v: 128)
    static let grey = YUV(y: 126, u: 128, v: 128)
    static let yellow = YUV(y: 210, u: 16, v: 146)

    /// The reference conversion, written out from the standard, not from libyuv.
    func rgb(fullRange: Bool = false) -> XRGB {
        let Y = Double(y), Cb = Double(u) - 128, Cr = Double(v) - 128
        let (r, g, b): (Double, Double, Double)
        if fullRange { // JFIF: Y 0...255, chroma ±127.5
            r = Y + 1.402 * Cr
            g = Y - 0.344136 * Cb - 0.714136 * Cr
            b = Y + 1.772 * Cb
        } else {
            let yy = 255.0 / 219.0 * (Y - 16), k = 255.0 / 224.0
            r = yy + k * 1.402 * Cr
            g = yy - k * (0.114 * 1.772 / 0.587) * Cb - k * (0.299 * 1.402 / 0.587) * Cr
            b = yy + k * 1.772 * Cb
        }
        func c(_ x: Double) -> UInt8 { UInt8(max(0, min(255, x.rounded()))) }
        return XRGB(r: c(r), g: c(g), b: c(b))
    }
}

/// A frame whose pixel (x, y) has colour `f(x, y)`; chroma sampled at the 2x2 block's top-left.
func makeFrame(width: Int, height: Int, fullRange: Bool = false, _ f: (Int, Int) -> YUV) -> VideoFrame {
    var planes = [UInt8](repeating: 0, count: VideoFrame.byteCount(width: width, height: height))
    let cw = VideoFrame.chromaWidth(width), ch = VideoFrame.chromaHeight(height)
    for y in 0..<height { for x in 0..<width { planes[y * width + x] = f(x, y).y } }
    for y in 0..<ch {
        for x in 0..<cw {
            let c = f(x * 2, y * 2)
            planes[width * height + y * cw + x] = c.u
            planes[width * height + cw * ch + y * cw + x] = c.v
        }
    }
    return VideoFrame(width: width, height: height, planes: planes, fullRange: fullRange)
}

/// Remote test picture: quadrants red | green over blue | white (orientation is visible).
func remoteQuadrants(width: Int, height: Int) -> VideoFrame {
    makeFrame(width: width, height: height) { x, y in
        switch (x < width / 2, y < height / 2) {
        case (true, true): .red
        case (false, true): .green
        case (true, false): .blue
        case (false, false): .white
        }
    }
}

/// Self-view test picture: left half yellow, right half blue (mirroring swaps them).
func selfHalves(width: Int, height: Int) -> VideoFrame {
    makeFrame(width: width, height: height) { x, _ in x < width / 2 ? .yellow : .blue }
}
