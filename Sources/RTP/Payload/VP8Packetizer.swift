/// Splits encoded VP8 frames into RTP payloads no larger than a budget (RFC 7741 §4.4). Every
/// payload carries a 4-byte descriptor: X=1, I=1 with a 15-bit PictureID (M=1), S on the
/// first packet, PID 0. Sizes are evened out so the last packet is not a runt.
public struct VP8Packetizer: Sendable {
    public static let descriptorLength = 4

    public let maxPayloadSize: Int
    /// The PictureID the next frame will carry (15 bits, wrapping).
    public private(set) var pictureID: UInt16

    public init(maxPayloadSize: Int = 1200, initialPictureID: UInt16 = 0) {
        self.maxPayloadSize = maxPayloadSize
        self.pictureID = initialPictureID & 0x7FFF
    }

    /// Plans one frame of `byteCount` bytes and advances the PictureID.
    public mutating func beginFrame(byteCount: Int) throws(VP8Error) -> VP8FramePackets {
        let room = maxPayloadSize - Self.descriptorLength
        guard room > 0 else { throw .payloadBudgetTooSmall(maxPayloadSize) }
        guard byteCount > 0 else { throw .emptyFrame }
        let plan = VP8FramePackets(byteCount: byteCount, room: room, pictureID: pictureID)
        pictureID = (pictureID &+ 1) & 0x7FFF
        return plan
    }
}

/// The payloads of one frame, produced one at a time into the caller's buffer.
public struct VP8FramePackets: Sendable {
    public let packetCount: Int
    public let pictureID: UInt16
    public private(set) var index = 0
    private let byteCount: Int
    private var offset = 0
    private let baseSize: Int
    private let largerCount: Int

    init(byteCount: Int, room: Int, pictureID: UInt16) {
        self.byteCount = byteCount
        self.pictureID = pictureID
        packetCount = (byteCount + room - 1) / room
        baseSize = byteCount / packetCount
        largerCount = byteCount % packetCount
    }

    /// Appends the next payload (descriptor + a slice of `frame`) to `out`. Returns whether it
    /// is the frame's last packet (the RTP marker), or nil when all were written.
    public mutating func writeNext(from frame: UnsafeRawBufferPointer, to out: inout [UInt8]) -> Bool? {
        guard index < packetCount, frame.count >= byteCount else { return nil }
        let size = baseSize + (index < largerCount ? 1 : 0)
        let first = index == 0
        let id = pictureID
        out.rtpAppend(count: 4) { b in
            b[0] = first ? 0x90 : 0x80                          // X, S on the first, PID 0
            b[1] = 0x80                                         // I
            b[2] = 0x80 | UInt8(truncatingIfNeeded: id >> 8) & 0x7F   // M + high bits
            b[3] = UInt8(truncatingIfNeeded: id)
        }
        out.rtpAppend(UnsafeRawBufferPointer(rebasing: frame[offset..<(offset + size)]))
        offset += size
        index += 1
        return index == packetCount
    }
}
