/// A 5x7 bitmap font for the digits 0-9: big enough after scaling to survive a video codec, so
/// the frame counter and timestamp can be read back from decoded pixels.
enum DigitFont {
    static let width = 5
    static let height = 7
    /// Seven rows per digit; bit 4 is the leftmost column.
    static let glyphs: [[UInt8]] = [
        [0b01110, 0b10001, 0b10011, 0b10101, 0b11001, 0b10001, 0b01110],
        [0b00100, 0b01100, 0b00100, 0b00100, 0b00100, 0b00100, 0b01110],
        [0b01110, 0b10001, 0b00001, 0b00010, 0b00100, 0b01000, 0b11111],
        [0b11111, 0b00010, 0b00100, 0b00010, 0b00001, 0b10001, 0b01110],
        [0b00010, 0b00110, 0b01010, 0b10010, 0b11111, 0b00010, 0b00010],
        [0b11111, 0b10000, 0b11110, 0b00001, 0b00001, 0b10001, 0b01110],
        [0b00110, 0b01000, 0b10000, 0b11110, 0b10001, 0b10001, 0b01110],
        [0b11111, 0b00001, 0b00010, 0b00100, 0b01000, 0b01000, 0b01000],
        [0b01110, 0b10001, 0b10001, 0b01110, 0b10001, 0b10001, 0b01110],
        [0b01110, 0b10001, 0b10001, 0b01111, 0b00001, 0b00010, 0b01100],
    ]

    static func isOn(digit: Int, column: Int, row: Int) -> Bool {
        (glyphs[digit][row] >> UInt8(width - 1 - column)) & 1 == 1
    }

    /// The digit whose glyph differs from `bits` (row-major, 35 entries) in the fewest
    /// cells, if that is at most `tolerance` cells.
    static func match(_ bits: [Bool], tolerance: Int = 3) -> Int? {
        var best: (digit: Int, distance: Int)?
        for digit in 0..<10 {
            var distance = 0
            for row in 0..<height {
                for column in 0..<width where isOn(digit: digit, column: column, row: row) != bits[row * width + column] {
                    distance += 1
                }
            }
            if distance < (best?.distance ?? Int.max) { best = (digit, distance) }
        }
        guard let best, best.distance <= tolerance else { return nil }
        return best.digit
    }
}
