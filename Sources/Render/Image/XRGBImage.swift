/// A 32-bit pixel as DRM's XRGB8888 stores it: one little-endian word 0xXXRRGGBB
/// (bytes B, G, R, X in memory), which is what libyuv calls "ARGB".
public struct XRGB: Sendable, Hashable, CustomStringConvertible {
    public var r: UInt8
    public var g: UInt8
    public var b: UInt8

    public init(r: UInt8, g: UInt8, b: UInt8) {
        self.r = r
        self.g = g
        self.b = b
    }

    public init(word: UInt32) {
        r = UInt8(truncatingIfNeeded: word >> 16)
        g = UInt8(truncatingIfNeeded: word >> 8)
        b = UInt8(truncatingIfNeeded: word)
    }

    public var word: UInt32 { 0xFF00_0000 | UInt32(r) << 16 | UInt32(g) << 8 | UInt32(b) }
    public var description: String { "rgb(\(r),\(g),\(b))" }

    /// Largest per-channel difference.
    public func distance(to o: XRGB) -> Int {
        max(abs(Int(r) - Int(o.r)), abs(Int(g) - Int(o.g)), abs(Int(b) - Int(o.b)))
    }

    public static let black = XRGB(r: 0, g: 0, b: 0)
    public static let white = XRGB(r: 255, g: 255, b: 255)
}

/// A non-owning view of XRGB8888 pixels: an off-screen image or a mapped DRM buffer. Valid only
/// inside the closure that lends it.
public struct XRGBCanvas {
    public let base: UnsafeMutableRawPointer
    public let width: Int
    public let height: Int
    /// Bytes from one row to the next (at least `width * 4`).
    public let stride: Int

    public init(base: UnsafeMutableRawPointer, width: Int, height: Int, stride: Int) {
        self.base = base
        self.width = width
        self.height = height
        self.stride = stride
    }

    public var bounds: PixelRect { PixelRect(x: 0, y: 0, width: width, height: height) }

    /// Pointer to pixel (x, y); the caller keeps x, y inside the canvas.
    @inline(__always)
    public func row(_ y: Int) -> UnsafeMutablePointer<UInt32> {
        (base + y * stride).assumingMemoryBound(to: UInt32.self)
    }

    public func pixel(x: Int, y: Int) -> XRGB {
        guard x >= 0, y >= 0, x < width, y < height else { return .black }
        return XRGB(word: row(y)[x])
    }

    public func fill(_ rect: PixelRect, with colour: XRGB) {
        let r = rect.intersection(bounds)
        guard !r.isEmpty else { return }
        let w = colour.word
        for y in r.y..<r.maxY {
            (row(y) + r.x).update(repeating: w, count: r.width)
        }
    }

    /// Blends `colour` over the pixel with coverage `alpha` (0...255).
    @inline(__always)
    public func blend(x: Int, y: Int, colour: XRGB, alpha: UInt8) {
        guard alpha > 0, x >= 0, y >= 0, x < width, y < height else { return }
        let p = row(y) + x
        if alpha == 255 { p.pointee = colour.word; return }
        let d = XRGB(word: p.pointee)
        let a = UInt32(alpha), ia = 255 - a
        func mix(_ s: UInt8, _ t: UInt8) -> UInt8 { UInt8((UInt32(s) * a + UInt32(t) * ia + 127) / 255) }
        p.pointee = XRGB(r: mix(colour.r, d.r), g: mix(colour.g, d.g), b: mix(colour.b, d.b)).word
    }

    /// Darkens/lightens a rectangle towards `colour` by `alpha`, for translucent panels: the
    /// same arithmetic as `blend`, through one 256-entry table per channel, as the panels are
    /// redrawn every frame (per-pixel `blend` calls took over half of kioskd's CPU in a call).
    public func shade(_ rect: PixelRect, with colour: XRGB, alpha: UInt8) {
        let r = rect.intersection(bounds)
        guard !r.isEmpty, alpha > 0 else { return }
        if alpha == 255 { fill(r, with: colour); return }
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 768) { table in
            let a = UInt32(alpha), ia = 255 - a
            for v in 0..<256 {
                let under = UInt32(v) * ia + 127
                table[v] = (UInt32(colour.r) * a + under) / 255 << 16
                table[256 + v] = (UInt32(colour.g) * a + under) / 255 << 8
                table[512 + v] = (UInt32(colour.b) * a + under) / 255
            }
            // 768 entries were just written: the base address exists.
            let t = table.baseAddress!
            for y in r.y..<r.maxY {
                var p = row(y) + r.x
                let end = p + r.width
                while p < end {
                    let d = p.pointee
                    p.pointee = 0xFF00_0000 | t[Int(d >> 16 & 0xFF)] | t[256 + Int(d >> 8 & 0xFF)] | t[512 + Int(d & 0xFF)]
                    p += 1
                }
            }
        }
    }

    /// Copies `source` (same pixel format) with its top-left at (x, y), clipped.
    public func blit(_ source: XRGBCanvas, at x: Int, _ y: Int) {
        let dst = PixelRect(x: x, y: y, width: source.width, height: source.height).intersection(bounds)
        guard !dst.isEmpty else { return }
        for yy in dst.y..<dst.maxY {
            let s = source.row(yy - y) + (dst.x - x)
            (row(yy) + dst.x).update(from: s, count: dst.width)
        }
    }
}

/// An XRGB8888 picture in memory, tightly packed (stride = width * 4). The off-screen target,
/// snapshots and tests use it.
public struct XRGBImage: Sendable, Equatable {
    public let width: Int
    public let height: Int
    /// Row-major 0xXXRRGGBB words.
    public var pixels: [UInt32]

    public init(width: Int, height: Int, fill: XRGB = .black) {
        self.width = max(0, width)
        self.height = max(0, height)
        pixels = [UInt32](repeating: fill.word, count: self.width * self.height)
    }

    public var size: PixelSize { PixelSize(width: width, height: height) }

    public subscript(x: Int, y: Int) -> XRGB {
        get {
            guard x >= 0, y >= 0, x < width, y < height else { return .black }
            return XRGB(word: pixels[y * width + x])
        }
        set {
            guard x >= 0, y >= 0, x < width, y < height else { return }
            pixels[y * width + x] = newValue.word
        }
    }

    @discardableResult
    public mutating func withCanvas<R>(_ body: (XRGBCanvas) throws -> R) rethrows -> R {
        let (w, h) = (width, height)
        return try pixels.withUnsafeMutableBytes { raw in
            // An empty image has no storage; lend a one-word dummy so the canvas is never nil.
            guard let base = raw.baseAddress else {
                var dummy: UInt32 = 0
                return try withUnsafeMutableBytes(of: &dummy) { d in
                    try body(XRGBCanvas(base: d.baseAddress!, width: 0, height: 0, stride: 4)) // invariant: non-empty buffer
                }
            }
            return try body(XRGBCanvas(base: base, width: w, height: h, stride: w * 4))
        }
    }

    /// Mean colour of a rectangle (clipped), for tests and lab checks.
    public func mean(of rect: PixelRect) -> XRGB {
        let r = rect.intersection(PixelRect(x: 0, y: 0, width: width, height: height))
        guard !r.isEmpty else { return .black }
        var sr = 0, sg = 0, sb = 0
        for y in r.y..<r.maxY {
            for x in r.x..<r.maxX {
                let p = XRGB(word: pixels[y * width + x])
                sr += Int(p.r); sg += Int(p.g); sb += Int(p.b)
            }
        }
        let n = r.width * r.height
        return XRGB(r: UInt8(sr / n), g: UInt8(sg / n), b: UInt8(sb / n))
    }
}
