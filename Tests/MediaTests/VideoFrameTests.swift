import Testing
import Media

@Suite struct VideoFrameTests {
    @Test func flatColourFillsEachPlane() {
        let f = VideoFrame(width: 5, height: 3, y: 16, u: 128, v: 240)
        // Odd sizes round chroma up: 3x2 chroma samples per plane.
        #expect(f.planes.count == 15 + 2 * 6)
        #expect(f.planes[0..<15].allSatisfy { $0 == 16 })
        #expect(f.planes[f.uOffset..<f.vOffset].allSatisfy { $0 == 128 })
        #expect(f.planes[f.vOffset...].allSatisfy { $0 == 240 })
    }

    @Test func audioFrameCountsPerChannel() {
        let a = AudioFrame(channels: 2, samples: [Int16](repeating: 0, count: 1920))
        #expect(a.frameCount == 960)
    }
}
