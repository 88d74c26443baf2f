import CFreeType

/// A FreeType face that rasterises text into XRGB canvases with anti-aliased coverage.
/// Glyph bitmaps are cached per (character, pixel size). Not thread-safe.
public final class FontFace {
    public enum Error: Swift.Error, Equatable, CustomStringConvertible {
        case library(code: Int32)
        case open(path: String, code: Int32)
        case size(pixels: Int, code: Int32)

        public var description: String {
            switch self {
            case .library(let c): "FreeType init failed (error \(c))"
            case .open(let p, let c): "cannot load font \(p) (FreeType error \(c))"
            case .size(let px, let c): "font cannot be set to \(px) px (FreeType error \(c))"
            }
        }
    }

    /// fonts-dejavu-core's regular and bold faces.
    public static let dejaVuSans = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
    public static let dejaVuSansBold = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"

    /// An 8-bit coverage bitmap and its placement relative to the pen on the baseline.
    public struct Glyph: Sendable {
        public var width: Int
        public var rows: Int
        public var left: Int
        public var top: Int
        public var advance: Int
        public var coverage: [UInt8]
    }

    private struct Key: Hashable {
        var scalar: UInt32
        var size: Int
    }

    public let path: String
    private var library: FT_Library?
    private var face: FT_Face?
    private var cache: [Key: Glyph] = [:]
    private var currentSize = 0

    public init(path: String) throws(Error) {
        self.path = path
        var lib: FT_Library?
        let rc = FT_Init_FreeType(&lib)
        guard rc == 0, let lib else { throw .library(code: rc) }
        var f: FT_Face?
        let orc = FT_New_Face(lib, path, 0, &f)
        guard orc == 0, let f else {
            FT_Done_FreeType(lib)
            throw .open(path: path, code: orc)
        }
        library = lib
        face = f
    }

    deinit {
        if let face { FT_Done_Face(face) }
        if let library { FT_Done_FreeType(library) }
    }

    /// The face's family name, e.g. "DejaVu Sans".
    public var familyName: String {
        guard let face, let name = face.pointee.family_name else { return "" }
        return String(cString: name)
    }

    /// The rasterised glyph for `scalar` at `pixelSize` (em height in pixels).
    public func glyph(_ scalar: Unicode.Scalar, pixelSize: Int) throws(Error) -> Glyph {
        let key = Key(scalar: scalar.value, size: pixelSize)
        if let g = cache[key] { return g }
        guard let face else { throw .library(code: -1) }
        if currentSize != pixelSize {
            let rc = FT_Set_Pixel_Sizes(face, 0, FT_UInt(max(1, pixelSize)))
            guard rc == 0 else { throw .size(pixels: pixelSize, code: rc) }
            currentSize = pixelSize
        }
        var g = Glyph(width: 0, rows: 0, left: 0, top: 0, advance: pixelSize / 3, coverage: [])
        if FT_Load_Char(face, FT_ULong(scalar.value), FT_Int32(FT_LOAD_RENDER)) == 0, let slot = face.pointee.glyph {
            let bm = slot.pointee.bitmap
            g.width = Int(bm.width)
            g.rows = Int(bm.rows)
            g.left = Int(slot.pointee.bitmap_left)
            g.top = Int(slot.pointee.bitmap_top)
            g.advance = Int(slot.pointee.advance.x >> 6)
            if let buf = bm.buffer, g.width > 0, g.rows > 0 {
                g.coverage.reserveCapacity(g.width * g.rows)
                let pitch = Int(bm.pitch)
                for r in 0..<g.rows {
                    let row = buf + r * pitch
                    for c in 0..<g.width { g.coverage.append(row[c]) }
                }
            }
        }
        cache[key] = g
        return g
    }

    /// Width in pixels of `text` at `pixelSize`.
    public func measure(_ text: String, pixelSize: Int) -> Int {
        var w = 0
        for s in text.unicodeScalars { w += (try? glyph(s, pixelSize: pixelSize).advance) ?? 0 }
        return w
    }

    /// Draws `text` with its baseline starting at (x, baselineY). Returns the pen's end x.
    @discardableResult
    public func draw(_ text: String, pixelSize: Int, x: Int, baselineY: Int, colour: XRGB, into canvas: XRGBCanvas) -> Int {
        var pen = x
        for s in text.unicodeScalars {
            guard let g = try? glyph(s, pixelSize: pixelSize) else { continue }
            let ox = pen + g.left, oy = baselineY - g.top
            for r in 0..<g.rows {
                let y = oy + r
                guard y >= 0, y < canvas.height else { continue }
                for c in 0..<g.width {
                    canvas.blend(x: ox + c, y: y, colour: colour, alpha: g.coverage[r * g.width + c])
                }
            }
            pen += g.advance
        }
        return pen
    }

    /// Draws `text` centred horizontally and vertically in `rect` (cap-height centred).
    public func drawCentred(_ text: String, pixelSize: Int, in rect: PixelRect, colour: XRGB, into canvas: XRGBCanvas) {
        let w = measure(text, pixelSize: pixelSize)
        let capHeight = pixelSize * 72 / 100
        draw(text, pixelSize: pixelSize, x: rect.x + (rect.width - w) / 2,
             baselineY: rect.y + (rect.height + capHeight) / 2, colour: colour, into: canvas)
    }
}
