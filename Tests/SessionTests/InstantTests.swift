@testable import SessionCore
import Testing

@Suite struct InstantTests {
    @Test func arithmeticAndOrdering() {
        let t0 = Instant.zero
        let t1 = t0 + .milliseconds(250)
        #expect(t1.nanoseconds == 250_000_000)
        #expect(t0 < t1)
        #expect(t1 - t0 == .milliseconds(250))
        #expect((t1 - .milliseconds(50)).milliseconds == 200)
    }

    @Test func byteReaderStopsAtTheEnd() {
        let bytes: [UInt8] = [0x12, 0x34, 0x56]
        bytes.withUnsafeBytes { raw in
            var r = ByteReader(raw)
            #expect(r.u16() == 0x1234)
            #expect(r.u16() == nil)
            #expect(r.u8() == 0x56)
            #expect(r.u8() == nil)
        }
    }
}
