/// A PNG writer with no dependencies: 8-bit RGB, filter type 0, and a zlib stream of stored
/// (uncompressed) deflate blocks. Files are about 3 bytes per pixel; snapshots are rare, so
/// size is traded for no zlib link.
public enum PNGEncoder {
    /// Encodes an XRGB8888 image (the X byte is dropped).
    public static func encode(_ image: XRGBImage) -> [UInt8] {
        let w = image.width, h = image.height
        var raw = [UInt8]()
        raw.reserveCapacity(h * (1 + w * 3))
        image.pixels.withUnsafeBufferPointer { px in
            for y in 0..<h {
                raw.append(0) // PNG filter type None (PNG spec §9.2)
                for x in 0..<w {
                    let p = px[y * w + x]
                    raw.append(UInt8(truncatingIfNeeded: p >> 16))
                    raw.append(UInt8(truncatingIfNeeded: p >> 8))
                    raw.append(UInt8(truncatingIfNeeded: p))
                }
            }
        }
        var out: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        var ihdr = [UInt8]()
        ihdr.appendBE32(UInt32(w))
        ihdr.appendBE32(UInt32(h))
        ihdr += [8, 2, 0, 0, 0] // depth 8, colour type 2 (RGB), deflate, filter 0, no interlace
        appendChunk("IHDR", ihdr, to: &out)
        appendChunk("IDAT", zlibStored(raw), to: &out)
        appendChunk("IEND", [], to: &out)
        return out
    }

    /// RFC 1950 zlib wrapper around RFC 1951 §3.2.4 stored blocks (at most 65535 bytes each).
    static func zlibStored(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x78, 0x01]
        out.reserveCapacity(data.count + data.count / 65535 * 5 + 16)
        var offset = 0
        repeat {
            let n = min(65535, data.count - offset)
            let final = offset + n == data.count
            out.append(final ? 1 : 0)
            out.append(UInt8(n & 0xFF)); out.append(UInt8(n >> 8))
            out.append(UInt8(~n & 0xFF)); out.append(UInt8((~n >> 8) & 0xFF))
            out += data[offset..<(offset + n)]
            offset += n
        } while offset < data.count
        out.appendBE32(adler32(data))
        return out
    }

    static func appendChunk(_ type: String, _ body: [UInt8], to out: inout [UInt8]) {
        out.appendBE32(UInt32(body.count))
        let typeBytes = Array(type.utf8)
        out += typeBytes
        out += body
        out.appendBE32(crc32(typeBytes + body))
    }

    private static let crcTable: [UInt32] = (0..<256).map { n -> UInt32 in
        var c = UInt32(n)
        for _ in 0..<8 { c = (c & 1) != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    /// CRC-32 as PNG uses it (PNG spec annex D).
    public static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes { c = crcTable[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        return c ^ 0xFFFF_FFFF
    }

    /// Adler-32 (RFC 1950 §9).
    public static func adler32(_ bytes: [UInt8]) -> UInt32 {
        var a: UInt32 = 1, b: UInt32 = 0
        var i = 0
        while i < bytes.count {
            let end = min(bytes.count, i + 5552) // largest run before the sums can overflow
            while i < end { a &+= UInt32(bytes[i]); b &+= a; i += 1 }
            a %= 65521; b %= 65521
        }
        return b << 16 | a
    }
}

extension Array where Element == UInt8 {
    mutating func appendBE32(_ v: UInt32) {
        append(UInt8(v >> 24)); append(UInt8((v >> 16) & 0xFF)); append(UInt8((v >> 8) & 0xFF)); append(UInt8(v & 0xFF))
    }
}
