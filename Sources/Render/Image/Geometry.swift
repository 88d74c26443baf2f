/// A size in pixels.
public struct PixelSize: Sendable, Hashable, Codable, CustomStringConvertible {
    public var width: Int
    public var height: Int

    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }

    public var isEmpty: Bool { width <= 0 || height <= 0 }
    public var description: String { "\(width)x\(height)" }
}

/// An axis-aligned rectangle in pixels; `x`/`y` is the top-left corner.
public struct PixelRect: Sendable, Hashable, Codable, CustomStringConvertible {
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int

    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }

    public var size: PixelSize { PixelSize(width: width, height: height) }
    public var maxX: Int { x + width }
    public var maxY: Int { y + height }
    public var isEmpty: Bool { width <= 0 || height <= 0 }
    public var description: String { "\(width)x\(height)+\(x)+\(y)" }

    public func contains(x px: Int, y py: Int) -> Bool {
        px >= x && px < maxX && py >= y && py < maxY
    }

    public func intersection(_ other: PixelRect) -> PixelRect {
        let x0 = max(x, other.x), y0 = max(y, other.y)
        let x1 = min(maxX, other.maxX), y1 = min(maxY, other.maxY)
        return PixelRect(x: x0, y: y0, width: max(0, x1 - x0), height: max(0, y1 - y0))
    }

    public func insetBy(_ d: Int) -> PixelRect {
        PixelRect(x: x + d, y: y + d, width: max(0, width - 2 * d), height: max(0, height - 2 * d))
    }

    /// The largest rectangle with `content`'s aspect ratio that fits in `bounds`, centred:
    /// letterbox (bars above and below) or pillarbox (bars left and right). Sizes are even so
    /// that 4:2:0 chroma stays aligned with luma.
    public static func aspectFit(_ content: PixelSize, in bounds: PixelRect) -> PixelRect {
        guard !content.isEmpty, !bounds.isEmpty else { return PixelRect(x: bounds.x, y: bounds.y, width: 0, height: 0) }
        var w = bounds.width
        var h = bounds.width * content.height / content.width
        if h > bounds.height {
            h = bounds.height
            w = bounds.height * content.width / content.height
        }
        w = max(2, w & ~1)
        h = max(2, h & ~1)
        w = min(w, bounds.width)
        h = min(h, bounds.height)
        return PixelRect(x: bounds.x + (bounds.width - w) / 2, y: bounds.y + (bounds.height - h) / 2, width: w, height: h)
    }
}
