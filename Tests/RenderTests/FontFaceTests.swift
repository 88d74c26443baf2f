import Media
import Testing
@testable import Render

@Suite struct FontFaceTests {
    @Test func loadsDejaVuAndRendersAGlyphWithCoverage() throws {
        let face = try FontFace(path: FontFace.dejaVuSans)
        #expect(face.familyName == "DejaVu Sans")
        let a = try face.glyph("A", pixelSize: 48)
        #expect(a.width > 20 && a.rows > 30 && a.advance > 20)
        #expect(a.coverage.count == a.width * a.rows)
        #expect(a.coverage.contains(255), "solid stem pixels")
        #expect(a.coverage.map(Int.init).reduce(0, +) > 255 * 100)
        let space = try face.glyph(" ", pixelSize: 48)
        #expect(space.coverage.isEmpty && space.advance > 0)
        #expect(face.measure("Rejoin", pixelSize: 40) > face.measure("Re", pixelSize: 40))
    }

    @Test func missingFontIsATypedErrorNamingThePath() {
        #expect(throws: FontFace.Error.open(path: "/nonexistent/font.ttf", code: 1)) { // FT_Err_Cannot_Open_Resource
            _ = try FontFace(path: "/nonexistent/font.ttf")
        }
    }

    @Test func drawnTextLandsInsideItsBox() throws {
        let face = try FontFace(path: FontFace.dejaVuSansBold)
        var img = XRGBImage(width: 400, height: 100)
        let box = PixelRect(x: 50, y: 20, width: 300, height: 60)
        img.withCanvas { face.drawCentred("Rejoin", pixelSize: 40, in: box, colour: .white, into: $0) }
        var inside = 0, outside = 0
        for y in 0..<img.height { for x in 0..<img.width where img[x, y] != .black {
            if box.contains(x: x, y: y) { inside += 1 } else { outside += 1 }
        } }
        #expect(inside > 500)
        #expect(outside == 0)
    }
}
