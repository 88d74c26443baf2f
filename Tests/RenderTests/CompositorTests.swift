import Media
import Testing
@testable import Render

@Suite struct CompositorTests {
    @Test func pillarboxesA4By3FrameAndLetterboxesAWideOne() {
        let out = PixelSize(width: 1920, height: 1080)
        let c = CompositorConfig(selfViewSize: PixelSize(width: 320, height: 180), selfViewMargin: 24)
        let pillar = CompositionLayout(output: out, remote: PixelSize(width: 640, height: 480), selfView: nil, config: c)
        #expect(pillar.remote == PixelRect(x: 240, y: 0, width: 1440, height: 1080))
        #expect(pillar.bars == [PixelRect(x: 0, y: 0, width: 240, height: 1080), PixelRect(x: 1680, y: 0, width: 240, height: 1080)])
        let letter = CompositionLayout(output: out, remote: PixelSize(width: 1920, height: 800), selfView: nil, config: c)
        #expect(letter.remote == PixelRect(x: 0, y: 140, width: 1920, height: 800))
        let exact = CompositionLayout(output: out, remote: PixelSize(width: 1280, height: 720),
                                      selfView: PixelSize(width: 640, height: 360), config: c)
        #expect(exact.remote == PixelRect(x: 0, y: 0, width: 1920, height: 1080))
        #expect(exact.bars.isEmpty)
        #expect(exact.selfView == PixelRect(x: 24, y: 24, width: 320, height: 180))
        // A 4:3 camera in a 16:9 box keeps its aspect, still anchored at the margin.
        let cam43 = CompositionLayout(output: out, remote: nil, selfView: PixelSize(width: 640, height: 480), config: c)
        #expect(cam43.selfView == PixelRect(x: 24, y: 24, width: 240, height: 180))
    }

    @Test func primaryColoursConvertWithinToleranceOfBT601() {
        // Widths 16 (libyuv's C rows) and 128 (its SIMD rows, which round up to 4 levels off).
        for width in [16, 128] {
            for (yuv, want) in [(YUV.red, XRGB(r: 255, g: 0, b: 0)), (.green, XRGB(r: 0, g: 255, b: 0)),
                                (.blue, XRGB(r: 0, g: 0, b: 255)), (.white, .white), (.grey, YUV.grey.rgb())] {
                let img = FrameConverter().image(of: VideoFrame(width: width, height: 16, y: yuv.y, u: yuv.u, v: yuv.v))
                #expect(img[5, 5].distance(to: want) <= 4, "\(yuv) → \(img[5, 5]) want \(want)")
                #expect(img[5, 5].distance(to: yuv.rgb()) <= 4)
            }
        }
        // Limited range: Y 16 is black and 235 white; full range (JPEG): Y 0 black, 255 white.
        let limitedBlack = FrameConverter().image(of: VideoFrame(width: 8, height: 8, y: 16, u: 128, v: 128))
        #expect(limitedBlack[1, 1].distance(to: .black) <= 1)
        var full = VideoFrame(width: 8, height: 8, y: 255, u: 128, v: 128)
        full.fullRange = true
        #expect(FrameConverter().image(of: full)[1, 1].distance(to: .white) <= 1)
        let fullRed = makeFrame(width: 8, height: 8, fullRange: true) { _, _ in YUV(y: 76, u: 85, v: 255) }
        let got = FrameConverter().image(of: fullRed)[2, 2]
        #expect(got.distance(to: YUV(y: 76, u: 85, v: 255).rgb(fullRange: true)) <= 3, "\(got)")
        #expect(got.distance(to: XRGB(r: 255, g: 0, b: 0)) <= 3)
    }

    /// The golden image is built from the layout rules and the BT.601 formula alone; the
    /// composed picture must match it everywhere except a 3-pixel band at edges, where the
    /// scaler blends neighbours.
    @Test func composedPictureMatchesGoldenImage() throws {
        let out = PixelSize(width: 960, height: 540)
        let config = CompositorConfig(selfViewSize: PixelSize(width: 160, height: 90), selfViewMargin: 12)
        let display = OffscreenDisplay(size: out, compositor: Compositor(config: config))
        display.present(Scene(remote: remoteQuadrants(width: 320, height: 240), selfView: selfHalves(width: 320, height: 180)))
        let img = display.image

        let remote = PixelRect(x: 120, y: 0, width: 720, height: 540)
        let me = PixelRect(x: 12, y: 12, width: 160, height: 90)
        var golden = XRGBImage(width: out.width, height: out.height)
        var edges: [PixelRect] = []
        for y in 0..<out.height {
            for x in 0..<out.width {
                if me.contains(x: x, y: y) {
                    // Mirrored: the camera's right half (blue) appears on the left.
                    golden[x, y] = (x - me.x < me.width / 2 ? YUV.blue : YUV.yellow).rgb()
                } else if remote.contains(x: x, y: y) {
                    let left = x - remote.x < remote.width / 2, top = y < remote.height / 2
                    golden[x, y] = (left ? (top ? YUV.red : .blue) : (top ? .green : .white)).rgb()
                }
            }
        }
        for r in [remote, me] {
            edges.append(PixelRect(x: r.x - 3, y: r.y - 3, width: r.width + 6, height: 6))
            edges.append(PixelRect(x: r.x - 3, y: r.maxY - 3, width: r.width + 6, height: 6))
            edges.append(PixelRect(x: r.x - 3, y: r.y - 3, width: 6, height: r.height + 6))
            edges.append(PixelRect(x: r.maxX - 3, y: r.y - 3, width: 6, height: r.height + 6))
            edges.append(PixelRect(x: r.x + r.width / 2 - 3, y: r.y, width: 6, height: r.height))
        }
        edges.append(PixelRect(x: remote.x, y: remote.y + remote.height / 2 - 3, width: remote.width, height: 6))
        let cmp = compare(img, golden, tolerance: 4, ignoring: edges)
        #expect(cmp.mismatches == 0, "\(cmp.mismatches) pixels differ, worst \(cmp.worst) at \(cmp.at)")
        #expect(cmp.compared > out.width * out.height * 9 / 10)
        // Bars are exactly black; the picture touches the screen's top and bottom edge.
        #expect(img[60, 270] == .black && img[900, 270] == .black)
        #expect(img[480, 0] != .black && img[480, 539] != .black)
    }

    @Test func selfViewOnPlaneIsLeftOutOfTheSoftwareComposition() {
        let c = Compositor(config: CompositorConfig(selfViewSize: PixelSize(width: 160, height: 90), selfViewMargin: 12))
        var img = XRGBImage(width: 640, height: 360)
        let scene = Scene(remote: VideoFrame(width: 64, height: 36, y: YUV.green.y, u: YUV.green.u, v: YUV.green.v),
                          selfView: selfHalves(width: 64, height: 36))
        img.withCanvas { c.compose(scene, into: $0, selfViewOnPlane: true) }
        #expect(img[50, 50].distance(to: XRGB(r: 0, g: 255, b: 0)) <= 3)
        img.withCanvas { c.compose(scene, into: $0) }
        #expect(img[50, 50].distance(to: XRGB(r: 0, g: 0, b: 255)) <= 4, "\(img[50, 50])")
    }

    @Test func shortOrOutOfBoundsInputsDrawNothingAndDoNotTrap() {
        var img = XRGBImage(width: 32, height: 32, fill: .white)
        var bad = VideoFrame(width: 16, height: 16, y: 16, u: 128, v: 128)
        bad.planes.removeLast(10)
        let conv = FrameConverter()
        img.withCanvas { canvas in
            #expect(!conv.draw(bad, into: canvas, rect: canvas.bounds))
            #expect(!conv.draw(VideoFrame(width: 16, height: 16, y: 16, u: 128, v: 128), into: canvas,
                               rect: PixelRect(x: 20, y: 20, width: 16, height: 16)))
        }
        #expect(img.pixels.allSatisfy { $0 == XRGB.white.word })
    }
}

struct Comparison { var compared = 0, mismatches = 0, worst = 0, at = (0, 0) }

func compare(_ a: XRGBImage, _ b: XRGBImage, tolerance: Int, ignoring: [PixelRect]) -> Comparison {
    var c = Comparison()
    for y in 0..<a.height {
        for x in 0..<a.width where !ignoring.contains(where: { $0.contains(x: x, y: y) }) {
            c.compared += 1
            let d = a[x, y].distance(to: b[x, y])
            if d > tolerance { c.mismatches += 1 }
            if d > c.worst { c.worst = d; c.at = (x, y) }
        }
    }
    return c
}

@Suite struct XRGBCanvasTests {
    /// The table-driven shade must give exactly what blending each pixel gives.
    @Test func shadeMatchesBlendingEachPixel() {
        var a = XRGBImage(width: 37, height: 11), b = XRGBImage(width: 37, height: 11)
        var seed: UInt32 = 12345
        for y in 0..<11 { for x in 0..<37 {
            seed = seed &* 1_103_515_245 &+ 12345
            let c = XRGB(word: seed >> 4)
            a.withCanvas { $0.row(y)[x] = c.word }
            b.withCanvas { $0.row(y)[x] = c.word }
        } }
        let rect = PixelRect(x: 3, y: -2, width: 40, height: 9)
        for (colour, alpha) in [(XRGB.black, UInt8(160)), (XRGB(r: 200, g: 30, b: 99), 1), (.white, 254), (.black, 255)] {
            a.withCanvas { $0.shade(rect, with: colour, alpha: alpha) }
            b.withCanvas { c in
                let r = rect.intersection(c.bounds)
                for y in r.y..<r.maxY { for x in r.x..<r.maxX { c.blend(x: x, y: y, colour: colour, alpha: alpha) } }
            }
        }
        func pixels(_ image: inout XRGBImage) -> [XRGB] {
            image.withCanvas { c in (0..<11).flatMap { y in (0..<37).map { x in c.pixel(x: x, y: y) } } }
        }
        let shaded = pixels(&a), blended = pixels(&b)
        #expect(zip(shaded, blended).filter { $0 != $1 }.count == 0)
        // And the shade did something: the top-left corner (outside the rectangle) is untouched,
        // the inside changed.
        #expect(shaded[0] == blended[0])
        #expect(shaded.count == 37 * 11)
    }
}
