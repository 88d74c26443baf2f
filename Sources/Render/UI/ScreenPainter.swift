/// Draws `KioskScreen`s from their `ScreenLayout` with FreeType text: white on dark, large
/// labels, solid button fills.
public final class ScreenPainter {
    public let regular: FontFace
    public let bold: FontFace

    public static let panelColour = XRGB(r: 0x10, g: 0x18, b: 0x28)
    public static let textColour = XRGB.white
    public static let primaryColour = XRGB(r: 0x1D, g: 0x4E, b: 0xD8)
    public static let neutralColour = XRGB(r: 0x37, g: 0x41, b: 0x51)
    public static let dangerColour = XRGB(r: 0xB9, g: 0x1C, b: 0x1C)
    public static let meterColour = XRGB(r: 0x22, g: 0xC5, b: 0x5E)

    public init(regular: FontFace, bold: FontFace) {
        self.regular = regular
        self.bold = bold
    }

    /// Loads DejaVu Sans (fonts-dejavu-core) or the given files.
    public convenience init(regularPath: String = FontFace.dejaVuSans, boldPath: String = FontFace.dejaVuSansBold) throws(FontFace.Error) {
        self.init(regular: try FontFace(path: regularPath), bold: try FontFace(path: boldPath))
    }

    public func paint(_ screen: KioskScreen, into canvas: XRGBCanvas) {
        paint(ScreenLayout(screen: screen, output: PixelSize(width: canvas.width, height: canvas.height)), into: canvas)
    }

    public func paint(_ layout: ScreenLayout, into canvas: XRGBCanvas) {
        if let panel = layout.panel {
            if let preview = layout.previewArea {
                // Keep the live preview visible: paint the panel around it.
                for r in [PixelRect(x: panel.x, y: panel.y, width: panel.width, height: preview.y - panel.y),
                          PixelRect(x: panel.x, y: preview.maxY, width: panel.width, height: panel.maxY - preview.maxY),
                          PixelRect(x: panel.x, y: preview.y, width: preview.x - panel.x, height: preview.height),
                          PixelRect(x: preview.maxX, y: preview.y, width: panel.maxX - preview.maxX, height: preview.height)] {
                    canvas.fill(r, with: Self.panelColour)
                }
            } else {
                canvas.fill(panel, with: Self.panelColour)
            }
        }
        if let tray = layout.tray { canvas.shade(tray, with: .black, alpha: 160) }
        if let banner = layout.banner { canvas.shade(banner, with: .black, alpha: 180) }
        if let meter = layout.meter {
            canvas.fill(meter, with: .white)
            let inner = meter.insetBy(4)
            canvas.fill(inner, with: .black)
            let h = Int(Double(inner.height) * layout.meterLevel)
            canvas.fill(PixelRect(x: inner.x, y: inner.maxY - h, width: inner.width, height: h), with: Self.meterColour)
        }
        for t in layout.texts {
            let face = t.bold ? bold : regular
            var size = t.pixelSize
            while size > 12, face.measure(t.text, pixelSize: size) > t.frame.width { size -= 2 } // long text shrinks, never clips
            face.drawCentred(t.text, pixelSize: size, in: t.frame, colour: Self.textColour, into: canvas)
        }
        for b in layout.buttons {
            let fill: XRGB = switch b.style {
            case .primary: Self.primaryColour
            case .neutral: Self.neutralColour
            case .danger: Self.dangerColour
            }
            canvas.fill(b.frame, with: .white) // 3 px white outline keeps buttons visible on any video
            canvas.fill(b.frame.insetBy(3), with: fill)
            var size = max(24, b.frame.height * 40 / 100)
            while size > 16, bold.measure(b.label, pixelSize: size) > b.frame.width - 24 { size -= 2 }
            bold.drawCentred(b.label, pixelSize: size, in: b.frame, colour: Self.textColour, into: canvas)
        }
    }
}
