import Media

/// The synthetic camera's picture: scrolling colour bars, a bouncing grey square, and two rows
/// of big digits in a black box at the top left: the frame counter (6 digits) and the
/// timestamp in milliseconds (9 digits). Pure function of (index, timestamp, size), so
/// deterministic; `read` recovers both numbers from pixels (for latency measurements).
public enum TestPattern {
    public static let counterDigits = 6
    public static let timestampDigits = 9

    /// BT.601 limited-range Y'CbCr of white, yellow, cyan, green, magenta, red, blue, black.
    static let bars: [(y: UInt8, u: UInt8, v: UInt8)] = [
        (235, 128, 128), (210, 16, 146), (170, 166, 16), (145, 54, 34),
        (106, 202, 222), (81, 90, 240), (41, 240, 110), (16, 128, 128),
    ]

    struct Layout {
        var scale: Int
        var margin: Int
        var rowHeight: Int { (DigitFont.height + 2) * scale }
        var cellWidth: Int { (DigitFont.width + 1) * scale }
        var boxWidth: Int { TestPattern.timestampDigits * cellWidth + scale }
        var boxHeight: Int { 2 * rowHeight + scale }

        init(width: Int, height: Int) {
            margin = max(2, min(width, height) / 40) & ~1
            let byWidth = (width - 2 * margin) / ((DigitFont.width + 1) * TestPattern.timestampDigits + 1)
            scale = max(1, min(height / 64, byWidth))
        }

        /// Top-left pixel of digit `index` in row `row` (0: counter, 1: timestamp).
        func origin(row: Int, index: Int) -> (x: Int, y: Int) {
            (margin + scale + index * cellWidth, margin + scale + row * rowHeight)
        }
    }

    /// Draws frame `index` stamped `timestampNanos` into a new I420 frame; the digits show
    /// `stampNanos` (default: the timestamp) in milliseconds, modulo 10^9.
    public static func render(index: Int, timestampNanos: Int64, stampNanos: Int64? = nil, width: Int, height: Int) -> VideoFrame {
        let w = max(2, width), h = max(2, height)
        let cw = VideoFrame.chromaWidth(w), ch = VideoFrame.chromaHeight(h)
        var planes = [UInt8](repeating: 0, count: VideoFrame.byteCount(width: w, height: h))
        let layout = Layout(width: w, height: h)
        let shift = (index * 4) % w
        let square = max(4, h / 8) & ~1
        let (sx, sy) = bounce(index: index, span: (w - square, h - square))
        planes.withUnsafeMutableBufferPointer { p in
            let yPlane = p.baseAddress!  // planes is non-empty: w, h >= 2
            let uPlane = yPlane + w * h, vPlane = uPlane + cw * ch
            // One row of bars (luma and chroma), then copied into every row: cheap even in debug builds.
            var lumaRow = [UInt8](repeating: 0, count: w)
            var uRow = [UInt8](repeating: 0, count: cw), vRow = [UInt8](repeating: 0, count: cw)
            for x in 0..<w { lumaRow[x] = bars[((x + shift) % w) * bars.count / w].y }
            for x in 0..<cw {
                let bar = bars[((min(w - 1, 2 * x) + shift) % w) * bars.count / w]
                uRow[x] = bar.u
                vRow[x] = bar.v
            }
            lumaRow.withUnsafeBufferPointer { row in
                for y in 0..<h { (yPlane + y * w).update(from: row.baseAddress!, count: w) }  // w >= 2
            }
            uRow.withUnsafeBufferPointer { u in
                vRow.withUnsafeBufferPointer { v in
                    for y in 0..<ch {
                        (uPlane + y * cw).update(from: u.baseAddress!, count: cw)  // cw >= 1
                        (vPlane + y * cw).update(from: v.baseAddress!, count: cw)
                    }
                }
            }
            fill(yPlane, uPlane, vPlane, w, cw, x: sx, y: sy, width: square, height: square, luma: 128)
            fill(yPlane, uPlane, vPlane, w, cw, x: layout.margin, y: layout.margin,
                 width: min(layout.boxWidth, w - layout.margin), height: min(layout.boxHeight, h - layout.margin), luma: 16)
            let millis = (stampNanos ?? timestampNanos) / 1_000_000 % 1_000_000_000
            drawNumber(Int64(index), digits: counterDigits, row: 0, layout: layout, yPlane, w, h)
            drawNumber(millis, digits: timestampDigits, row: 1, layout: layout, yPlane, w, h)
        }
        return VideoFrame(width: w, height: h, planes: planes, timestampNanos: timestampNanos)
    }

    /// Reads the frame counter and the millisecond timestamp back from a frame drawn by
    /// `render` (possibly after lossy coding); nil if a digit is not recognisable.
    /// A frame the sender halved (its resolution ladder, or a browser's encoder adapting)
    /// is read with the layout of twice its size.
    public static func read(_ frame: VideoFrame) -> (index: Int, millis: Int64)? {
        for factor in [1, 2] {
            let layout = Layout(width: frame.width * factor, height: frame.height * factor)
            guard let counter = readNumber(frame, digits: counterDigits, row: 0, layout: layout, factor: factor),
                  let millis = readNumber(frame, digits: timestampDigits, row: 1, layout: layout, factor: factor) else { continue }
            return (Int(counter), millis)
        }
        return nil
    }

    private static func bounce(index: Int, span: (Int, Int)) -> (Int, Int) {
        func tri(_ t: Int, _ n: Int) -> Int {
            guard n > 0 else { return 0 }
            let m = t % (2 * n)
            return m < n ? m : 2 * n - m
        }
        return (tri(index * 6, span.0) & ~1, tri(index * 4, span.1) & ~1)
    }

    private static func fill(_ yp: UnsafeMutablePointer<UInt8>, _ up: UnsafeMutablePointer<UInt8>,
                             _ vp: UnsafeMutablePointer<UInt8>, _ w: Int, _ cw: Int,
                             x: Int, y: Int, width: Int, height: Int, luma: UInt8) {
        guard width > 0, height > 0 else { return }
        for row in y..<(y + height) { (yp + row * w + x).update(repeating: luma, count: width) }
        let cx = x / 2, cwidth = (x + width + 1) / 2 - cx
        for row in (y / 2)..<((y + height + 1) / 2) {
            (up + row * cw + cx).update(repeating: 128, count: cwidth)
            (vp + row * cw + cx).update(repeating: 128, count: cwidth)
        }
    }

    private static func drawNumber(_ value: Int64, digits: Int, row: Int, layout: Layout,
                                   _ yp: UnsafeMutablePointer<UInt8>, _ w: Int, _ h: Int) {
        var v = value < 0 ? 0 : value
        for i in stride(from: digits - 1, through: 0, by: -1) {
            let digit = Int(v % 10)
            v /= 10
            let (ox, oy) = layout.origin(row: row, index: i)
            for gy in 0..<DigitFont.height {
                for gx in 0..<DigitFont.width where DigitFont.isOn(digit: digit, column: gx, row: gy) {
                    for py in 0..<layout.scale {
                        let y = oy + gy * layout.scale + py
                        guard y < h else { continue }
                        for px in 0..<layout.scale {
                            let x = ox + gx * layout.scale + px
                            if x < w { yp[y * w + x] = 235 }
                        }
                    }
                }
            }
        }
    }

    private static func readNumber(_ frame: VideoFrame, digits: Int, row: Int, layout: Layout, factor: Int = 1) -> Int64? {
        var value: Int64 = 0
        var bits = [Bool](repeating: false, count: DigitFont.width * DigitFont.height)
        for i in 0..<digits {
            let (ox, oy) = layout.origin(row: row, index: i)
            for gy in 0..<DigitFont.height {
                for gx in 0..<DigitFont.width {
                    let x = (ox + gx * layout.scale + layout.scale / 2) / factor
                    let y = (oy + gy * layout.scale + layout.scale / 2) / factor
                    guard x < frame.width, y < frame.height else { return nil }
                    bits[gy * DigitFont.width + gx] = frame.planes[y * frame.width + x] > 125
                }
            }
            guard let digit = DigitFont.match(bits) else { return nil }
            value = value * 10 + Int64(digit)
        }
        return value
    }
}
