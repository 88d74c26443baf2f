import Testing
@testable import TOML

@Suite struct TOMLParserTests {
    @Test func parsesTablesScalarsAndArraysWithLines() throws {
        let doc = try TOMLParser.parse("""
            # comment
            [kiosk]
            id = "kiosk-7"   # trailing comment
            'quoted key' = 'lit\\eral'

            [display]
            width = 1_920
            ratio = 1.5e0
            hex = 0xff
            neg = -3
            on = false
            list = [
              "a", # inside
              "b",
            ]
            """)
        let kiosk = try #require(doc[table: "kiosk"])
        #expect(kiosk.line == 2)
        #expect(kiosk["id"] == TOMLEntry(key: "id", value: .string("kiosk-7"), line: 3))
        #expect(kiosk["quoted key"]?.value == .string("lit\\eral"))
        let display = try #require(doc[table: "display"])
        #expect(display["width"]?.value == .integer(1920))
        #expect(display["ratio"]?.value == .float(1.5))
        #expect(display["hex"]?.value == .integer(255))
        #expect(display["neg"]?.value == .integer(-3))
        #expect(display["on"]?.value == .boolean(false))
        #expect(display["list"]?.value == .array([.string("a"), .string("b")]))
        #expect(display["list"]?.line == 12)
    }

    @Test func basicStringEscapes() throws {
        let doc = try TOMLParser.parse(#"s = "a\"b\\c\n\u00e9""#)
        #expect(doc.tables[0]["s"]?.value == .string("a\"b\\c\né"))
    }

    @Test(arguments: [
        ("a = ", TOMLError.Reason.expectedValue, 1),
        ("[t]\nx = \"open", .unterminatedString, 2),
        ("[t]\n\nx = 1 2", .trailingCharacters, 3),
        ("x = 1\nx = 2", .duplicateKey("x"), 2),
        ("[t]\n[t]", .duplicateTable("t"), 2),
        ("x = [1, \"a\"]", .mixedArray, 1),
        ("x = {a = 1}", .unsupported("an inline table"), 1),
        ("a.b = 1", .unsupported("a dotted key"), 1),
        ("x = 1979-05-27", .unsupported("a date or time"), 1),
        ("x = 12abc", .invalidNumber("12abc"), 1),
        ("x = [1, 2", .unterminatedArray, 1),
        ("x = \"\\q\"", .invalidEscape, 1),
        ("= 3", .expectedKey, 1),
        ("[[t]]", .unsupported("an array of tables ([[...]])"), 1),
        ("x = nan", .expectedValue, 1),
    ])
    func rejectsBadInputWithItsLine(text: String, reason: TOMLError.Reason, line: Int) {
        #expect(throws: TOMLError.self) { try TOMLParser.parse(text) }
        do {
            _ = try TOMLParser.parse(text)
        } catch {
            #expect(error.reason == reason)
            #expect(error.line == line)
        }
    }

    @Test func refusesInvalidUTF8() {
        #expect(throws: TOMLError(.invalidUTF8, line: 1, column: 1)) {
            try TOMLParser.parse(bytes: [0x61, 0x20, 0x3d, 0x20, 0xff, 0xfe])
        }
    }

    @Test func deepNestingIsAnErrorNotAStackOverflow() {
        let text = "x = " + String(repeating: "[", count: 10_000)
        #expect(throws: TOMLError.self) { try TOMLParser.parse(text) }
    }

    /// Seeded mutations of a real config must only ever produce a document or a TOMLError.
    @Test func mutatedInputNeverTraps() {
        let seed = Array("[kiosk]\nid = \"k\"\n[call]\nstun_servers = [\"stun:a:1\", 'b']\nx = 0x1f\ny = -1.5e3\n".utf8)
        var rng = SplitMix(state: 42)
        for _ in 0..<5000 {
            var bytes = seed
            for _ in 0..<(1 + Int(rng.next() % 4)) {
                let i = Int(rng.next() % UInt64(bytes.count))
                switch rng.next() % 3 {
                case 0: bytes[i] = UInt8(truncatingIfNeeded: rng.next())
                case 1: bytes.remove(at: i)
                default: bytes.insert(bytes[Int(rng.next() % UInt64(bytes.count))], at: i)
                }
                if bytes.isEmpty { bytes = [0x23] }
            }
            _ = try? TOMLParser.parse(bytes: bytes)
        }
    }
}

struct SplitMix {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
