import Glibc
import Media
import Testing
@testable import Render

@Suite struct PNGEncoderTests {
    @Test func checksumsMatchTheirStandardCheckValues() {
        #expect(PNGEncoder.crc32(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(PNGEncoder.adler32(Array("Wikipedia".utf8)) == 0x11E6_0398)
        #expect(PNGEncoder.adler32([UInt8](repeating: 255, count: 100_000)) == adlerSlow([UInt8](repeating: 255, count: 100_000)))
    }

    @Test func encodedPNGDecodesBackToThePixels() throws {
        var img = XRGBImage(width: 300, height: 250) // > 64 KiB of raw data: several stored blocks
        for y in 0..<img.height { for x in 0..<img.width { img[x, y] = XRGB(r: UInt8(x & 255), g: UInt8(y & 255), b: UInt8((x ^ y) & 255)) } }
        let decoded = try #require(decodeStoredPNG(PNGEncoder.encode(img)))
        #expect(decoded == img)
    }

    @Test func frameSnapshotWritesAPNGFileAndReportsBadPaths() throws {
        let path = "/tmp/render-test-\(getpid()).png"
        defer { unlink(path) }
        try FrameSnapshot.writePNG(VideoFrame(width: 64, height: 48, y: YUV.red.y, u: YUV.red.u, v: YUV.red.v), to: path)
        let bytes = try #require(readFile(path))
        let img = try #require(decodeStoredPNG(bytes))
        #expect(img.size == PixelSize(width: 64, height: 48))
        #expect(img[10, 10].distance(to: XRGB(r: 255, g: 0, b: 0)) <= 3)
        #expect(throws: RenderFileError(path: "/nonexistent-dir/x.png", errno: ENOENT)) {
            try FrameSnapshot.writePNG(VideoFrame(width: 2, height: 2, y: 16, u: 128, v: 128), to: "/nonexistent-dir/x.png")
        }
    }
}

func adlerSlow(_ d: [UInt8]) -> UInt32 {
    var a: UInt32 = 1, b: UInt32 = 0
    for x in d { a = (a + UInt32(x)) % 65521; b = (b + a) % 65521 }
    return b << 16 | a
}

func readFile(_ path: String) -> [UInt8]? {
    guard let f = fopen(path, "rb") else { return nil }
    defer { fclose(f) }
    var out = [UInt8](), buf = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = fread(&buf, 1, buf.count, f)
        if n <= 0 { break }
        out += buf[0..<n]
    }
    return out
}

/// Independent reader for the encoder's subset (RGB8, filter 0, stored deflate): checks the
/// signature, every chunk CRC and the Adler-32.
func decodeStoredPNG(_ p: [UInt8]) -> XRGBImage? {
    func be32(_ i: Int) -> Int { Int(p[i]) << 24 | Int(p[i + 1]) << 16 | Int(p[i + 2]) << 8 | Int(p[i + 3]) }
    guard p.count > 8, p[0..<8] == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] else { return nil }
    var i = 8, w = 0, h = 0, z = [UInt8]()
    while i + 12 <= p.count {
        let len = be32(i), type = String(decoding: p[(i + 4)..<(i + 8)], as: UTF8.self)
        guard i + 12 + len <= p.count else { return nil }
        let body = Array(p[(i + 8)..<(i + 8 + len)])
        guard PNGEncoder.crc32(Array(p[(i + 4)..<(i + 8)]) + body) == UInt32(be32(i + 8 + len)) else { return nil }
        if type == "IHDR" { w = be32(i + 8); h = be32(i + 12); guard body[8] == 8, body[9] == 2 else { return nil } }
        if type == "IDAT" { z += body }
        i += 12 + len
    }
    guard z.count > 6, z[0] == 0x78 else { return nil }
    var raw = [UInt8](), j = 2
    while true {
        let final = z[j] & 1 == 1, len = Int(z[j + 1]) | Int(z[j + 2]) << 8, nlen = Int(z[j + 3]) | Int(z[j + 4]) << 8
        guard z[j] & 6 == 0, len == (~nlen & 0xFFFF) else { return nil }
        raw += z[(j + 5)..<(j + 5 + len)]
        j += 5 + len
        if final { break }
    }
    let adler = UInt32(z[j]) << 24 | UInt32(z[j + 1]) << 16 | UInt32(z[j + 2]) << 8 | UInt32(z[j + 3])
    guard adler == adlerSlow(raw), raw.count == h * (1 + 3 * w) else { return nil }
    var img = XRGBImage(width: w, height: h)
    for y in 0..<h {
        guard raw[y * (1 + 3 * w)] == 0 else { return nil }
        for x in 0..<w {
            let o = y * (1 + 3 * w) + 1 + 3 * x
            img[x, y] = XRGB(r: raw[o], g: raw[o + 1], b: raw[o + 2])
        }
    }
    return img
}
