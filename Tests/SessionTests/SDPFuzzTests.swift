import Foundation
@testable import SDP
import Testing

/// SplitMix64: a tiny seeded generator so every run mutates the same way.
private struct SDPFuzzRNG: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite struct SDPFuzzTests {
    private static let alphabet = Array("=:/ \r\n0123456789amvocstbk-*.".utf8)

    private func mutate(_ input: [UInt8], _ rng: inout SDPFuzzRNG) -> [UInt8] {
        var b = input
        for _ in 0..<Int.random(in: 1...4, using: &rng) {
            if b.isEmpty { b = [UInt8(ascii: "v")] }
            let i = Int.random(in: 0..<b.count, using: &rng)
            switch Int.random(in: 0..<8, using: &rng) {
            case 0: b[i] ^= UInt8(1 << Int.random(in: 0..<8, using: &rng))
            case 1: b.removeSubrange(i..<min(b.count, i + Int.random(in: 1...64, using: &rng)))
            case 2:
                let n = Int.random(in: 1...16, using: &rng)
                b.insert(contentsOf: (0..<n).map { _ in Self.alphabet.randomElement(using: &rng) ?? 0 }, at: i)
            case 3: b.insert(UInt8.random(in: 0...255, using: &rng), at: i)
            case 4:
                let end = min(b.count, i + Int.random(in: 1...200, using: &rng))
                b.insert(contentsOf: b[i..<end], at: Int.random(in: 0...b.count, using: &rng))
            case 5: b.removeSubrange(i...)
            case 6: b.insert(contentsOf: Array("99999999999999999999999".utf8), at: i)
            default:
                // Swap two lines.
                var lines = b.split(separator: 0x0A, omittingEmptySubsequences: false)
                if lines.count > 2 {
                    let x = Int.random(in: 0..<lines.count, using: &rng)
                    let y = Int.random(in: 0..<lines.count, using: &rng)
                    lines.swapAt(x, y)
                    b = Array(lines.joined(separator: [0x0A]))
                }
            }
        }
        return b
    }

    @Test func twoThousandMutationsNeverTrap() throws {
        let sources = try SDPFixture.allNames().map { Array(try SDPFixture.text($0).utf8) }
        var rng = SDPFuzzRNG(state: 0x5D9_2026)
        let local = SDPLocalParameters.kiosk()
        var parsed = 0
        var rejected = 0
        var answered = 0
        for round in 0..<2000 {
            let bytes = mutate(sources[round % sources.count], &rng)
            let text = String(decoding: bytes, as: UTF8.self)
            let lineCount = text.utf8.split(separator: 0x0A, omittingEmptySubsequences: false).count
            do {
                let sd = try SessionDescription.parse(text)
                parsed += 1
                let again = try SessionDescription.parse(sd.serialized())
                #expect(again == sd, "round \(round): serialization round trip differs")
                if let answer = try? SDPNegotiator.makeAnswer(to: sd, local: local, sessionID: 1, version: 1) {
                    answered += 1
                    let reparsed = try SessionDescription.parse(answer.serialized())
                    #expect(reparsed == answer)
                    _ = try? SDPNegotiator.negotiated(local: answer, remote: sd, weAreOfferer: false)
                }
                _ = try? SDPNegotiator.negotiated(local: sd, remote: sd, weAreOfferer: true)
            } catch {
                rejected += 1
                let line = try #require(error.line, "round \(round): \(error)")
                #expect(line >= 1 && line <= max(lineCount, 1), "round \(round): line \(line) of \(lineCount)")
            }
        }
        // The mutations must exercise both paths, or the test proves little.
        #expect(parsed > 500)
        #expect(rejected > 500)
        #expect(answered > 300)
    }
}
