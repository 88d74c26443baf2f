@testable import RTP
import Testing

@Suite struct VP8PayloadTests {
    typealias B = RTPTestBytes

    /// RFC 7741 §4.2 layouts, one per optional field combination.
    @Test func parsesEveryDescriptorShape() throws {
        // Only the required byte: S=1, PID=0.
        let minimal = try VP8PayloadDescriptor.parse([0x10, 0xAA])
        #expect(minimal.startOfPartition && minimal.partitionIndex == 0 && minimal.length == 1)
        #expect(minimal.pictureID == nil && minimal.isFrameStart)

        // X, S; I with M: 15-bit PictureID 0x1234.
        let long = try VP8PayloadDescriptor.parse([0x90, 0x80, 0x92, 0x34, 0xAA])
        #expect(long.pictureID == 0x1234 && long.longPictureID && long.length == 4)

        // X; I without M: 7-bit PictureID 0x7F; not a start, PID 3.
        let short = try VP8PayloadDescriptor.parse([0x83, 0x80, 0x7F, 0xAA])
        #expect(short.pictureID == 0x7F && !short.longPictureID && short.partitionIndex == 3)
        #expect(!short.startOfPartition && !short.isFrameStart && short.length == 3)

        // X, N; I, L, T, K: PictureID 5, TL0PICIDX 0x11, TID 2, Y, KEYIDX 3.
        let all = try VP8PayloadDescriptor.parse([0xA0, 0xF0, 0x05, 0x11, 0xA3, 0xAA])
        #expect(all.nonReference && all.pictureID == 5 && all.tl0PicIndex == 0x11)
        #expect(all.temporalLayer == 2 && all.layerSync && all.keyIndex == 3 && all.length == 5)

        // K without T: the TID/Y bits are not meaningful.
        let keyOnly = try VP8PayloadDescriptor.parse([0x80, 0x10, 0xFF, 0xAA])
        #expect(keyOnly.temporalLayer == nil && keyOnly.keyIndex == 0x1F && keyOnly.length == 3)
    }

    @Test func descriptorsRoundTrip() throws {
        let samples = [
            VP8PayloadDescriptor(startOfPartition: true),
            VP8PayloadDescriptor(startOfPartition: true, pictureID: 0x7ABC),
            VP8PayloadDescriptor(nonReference: true, startOfPartition: false, partitionIndex: 2, pictureID: 100, longPictureID: false),
            VP8PayloadDescriptor(startOfPartition: true, pictureID: 1, tl0PicIndex: 200, temporalLayer: 1, layerSync: true, keyIndex: 9),
            VP8PayloadDescriptor(startOfPartition: false, tl0PicIndex: 3),
        ]
        for d in samples {
            var out: [UInt8] = []
            d.write(to: &out)
            #expect(out.count == d.encodedLength)
            out.append(0xAA)
            #expect(try VP8PayloadDescriptor.parse(out) == d)
        }
    }

    @Test func truncatedDescriptorsGiveTypedErrors() {
        #expect(throws: VP8Error.emptyPayload) { try VP8PayloadDescriptor.parse([]) }
        #expect(throws: VP8Error.truncatedDescriptor) { try VP8PayloadDescriptor.parse([0x80]) }
        #expect(throws: VP8Error.truncatedDescriptor) { try VP8PayloadDescriptor.parse([0x80, 0x80]) }
        #expect(throws: VP8Error.truncatedDescriptor) { try VP8PayloadDescriptor.parse([0x80, 0x80, 0x80]) }
        #expect(throws: VP8Error.truncatedDescriptor) { try VP8PayloadDescriptor.parse([0x80, 0x40]) }
        #expect(throws: VP8Error.truncatedDescriptor) { try VP8PayloadDescriptor.parse([0x80, 0x20]) }
        #expect(throws: VP8Error.emptyPayload) { try VP8PayloadDescriptor.parse([0x90, 0x80, 0x80, 0x01]) }
        #expect(throws: VP8Error.emptyPayload) { try VP8PayloadDescriptor.parse([0x10]) }
    }

    /// RFC 7741 §4.3: P=0 in the first byte of the frame is a key frame; RFC 6386 §9.1 size.
    @Test func keyframeDetectionAndSize() {
        let key = B.hex("50 2A 01 9D 01 2A 80 02 E0 01")
        let delta = B.hex("51 2A 01 00 00 00 00 00 00 00")
        #expect(VP8FrameHeader.isKeyframe(key))
        #expect(!VP8FrameHeader.isKeyframe(delta))
        #expect(!VP8FrameHeader.isKeyframe([UInt8]()))
        key.withUnsafeBytes { #expect(VP8FrameHeader.keyframeSize($0).map { [$0.width, $0.height] } == [640, 480]) }
        delta.withUnsafeBytes { #expect(VP8FrameHeader.keyframeSize($0) == nil) }
    }

    @Test func packetizerSplitsEvenlyWithinBudget() throws {
        var rng = RTPTestRandom(seed: 1)
        let frame = rng.bytes(3000)
        var p = VP8Packetizer(maxPayloadSize: 1200, initialPictureID: 0x7FFF)
        var plan = try p.beginFrame(byteCount: frame.count)
        #expect(plan.packetCount == 3 && plan.pictureID == 0x7FFF)
        var payloads: [[UInt8]] = []
        var markers: [Bool] = []
        while true {
            var out: [UInt8] = []
            guard let last = frame.withUnsafeBytes({ plan.writeNext(from: $0, to: &out) }) else { break }
            payloads.append(out)
            markers.append(last)
        }
        #expect(markers == [false, false, true])
        #expect(payloads.map(\.count) == [1004, 1004, 1004])
        #expect(Array(payloads[0].prefix(4)) == [0x90, 0x80, 0xFF, 0xFF])
        #expect(Array(payloads[1].prefix(4)) == [0x80, 0x80, 0xFF, 0xFF])
        #expect(payloads.flatMap { $0.dropFirst(4) } == frame)
        // PictureID wraps at 15 bits.
        #expect(try p.beginFrame(byteCount: 1).pictureID == 0)

        var oddPacketizer = VP8Packetizer(maxPayloadSize: 104)
        var odd = try oddPacketizer.beginFrame(byteCount: 301)
        var sizes: [Int] = []
        let bytes = [UInt8](repeating: 1, count: 301)
        while true {
            var out: [UInt8] = []
            guard let last = bytes.withUnsafeBytes({ odd.writeNext(from: $0, to: &out) }) else { break }
            sizes.append(out.count - 4)
            if last { break }
        }
        #expect(sizes == [76, 75, 75, 75])
    }

    @Test func packetizerRefusesImpossibleWork() {
        var tiny = VP8Packetizer(maxPayloadSize: 4)
        #expect(throws: VP8Error.payloadBudgetTooSmall(4)) { _ = try tiny.beginFrame(byteCount: 10) }
        var p = VP8Packetizer()
        #expect(throws: VP8Error.emptyFrame) { _ = try p.beginFrame(byteCount: 0) }
    }
}
