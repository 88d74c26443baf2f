/// Redundant audio (RFC 2198) as WebRTC sends Opus with it (`red/48000/2`, fmtp `111/111`):
/// the packet carries earlier frames again ahead of its own, so one lost packet's frame comes
/// with the next. Headers first, one per block: a redundant block's is 4 bytes (F=1, its
/// payload type, its timestamp's offset back from the packet's, 14 bits, and its length, 10
/// bits); the primary's last is 1 byte (F=0, its payload type); then the blocks' data in the
/// same order, oldest first.
public enum RTPRedundancy {
    /// One encoding in a RED payload: its bytes in the payload, how far its timestamp is
    /// behind the packet's (0 for the primary).
    public struct Block: Equatable, Sendable {
        public var payloadType: UInt8
        public var timestampOffset: UInt32
        public var range: Range<Int>
        public var isPrimary: Bool
    }

    /// Most blocks one payload may hold. WebRTC sends one or two redundant frames.
    public static let maxBlocks = 8
    static let maxOffset: UInt32 = (1 << 14) - 1
    static let maxBlockLength = (1 << 10) - 1

    /// The blocks of `payload`, oldest first, the primary last, into `blocks` (reused: no
    /// allocation once it has grown).
    public static func parse(_ payload: UnsafeRawBufferPointer, into blocks: inout [Block]) throws(RTPRedundancyError) {
        blocks.removeAll(keepingCapacity: true)
        var offset = 0
        var lengths = 0
        while true {
            guard offset < payload.count else { throw .truncatedHeader }
            let first = payload[offset]
            let pt = first & 0x7F
            if first & 0x80 == 0 {
                offset += 1
                guard offset + lengths <= payload.count else { throw .blockPastEnd }
                // The primary takes what the redundant blocks leave.
                var start = offset
                for i in blocks.indices {
                    let length = blocks[i].range.count
                    blocks[i].range = start..<(start + length)
                    start += length
                }
                blocks.append(Block(payloadType: pt, timestampOffset: 0, range: start..<payload.count, isPrimary: true))
                return
            }
            guard blocks.count + 1 < maxBlocks else { throw .tooManyBlocks }
            guard offset + 4 <= payload.count else { throw .truncatedHeader }
            let b1 = UInt32(payload[offset + 1]), b2 = UInt32(payload[offset + 2]), b3 = Int(payload[offset + 3])
            let timestampOffset = b1 << 6 | b2 >> 2
            let length = Int(b2 & 0x03) << 8 | b3
            lengths += length
            // Placed once the headers end; the length is kept in the range for now.
            blocks.append(Block(payloadType: pt, timestampOffset: timestampOffset, range: 0..<length, isPrimary: false))
            offset += 4
        }
    }

    /// Appends a RED payload to `out`: the `redundant` encodings (oldest first; each with its
    /// timestamp offset back from the primary's), then `primary`, all of payload type `pt`.
    /// Redundant encodings that do not fit the format (offset ≥ 2^14, length ≥ 1024) are left out.
    public static func write(primary: UnsafeRawBufferPointer, payloadType pt: UInt8,
                             redundant: [(bytes: [UInt8], timestampOffset: UInt32)], into out: inout [UInt8]) {
        func fits(_ b: (bytes: [UInt8], timestampOffset: UInt32)) -> Bool {
            b.timestampOffset > 0 && b.timestampOffset <= maxOffset && b.bytes.count <= maxBlockLength
        }
        let usable = redundant.prefix(maxBlocks - 1)
        for block in usable where fits(block) {
            out.append(0x80 | (pt & 0x7F))
            out.append(UInt8(truncatingIfNeeded: block.timestampOffset >> 6))
            out.append(UInt8(truncatingIfNeeded: (block.timestampOffset & 0x3F) << 2) | UInt8(block.bytes.count >> 8))
            out.append(UInt8(truncatingIfNeeded: block.bytes.count))
        }
        out.append(pt & 0x7F)
        for block in usable where fits(block) { out.append(contentsOf: block.bytes) }
        out.append(contentsOf: primary)
    }
}

/// Why a RED payload could not be read.
public enum RTPRedundancyError: Error, Equatable, Sendable {
    /// The payload ends inside the block headers (or is empty).
    case truncatedHeader
    /// The redundant blocks' lengths run past the payload's end.
    case blockPastEnd
    /// More blocks than `RTPRedundancy.maxBlocks`.
    case tooManyBlocks
}

/// The sender's side: each Opus frame goes out with the `distance` frames before it (WebRTC
/// sends one), as long as they are recent enough to be any use.
public struct RTPRedundancyEncoder: Sendable {
    public let distance: Int
    private var previous: [(bytes: [UInt8], timestamp: UInt32)] = []
    private var blocks: [(bytes: [UInt8], timestampOffset: UInt32)] = []

    public init(distance: Int = 1) {
        self.distance = max(0, min(distance, RTPRedundancy.maxBlocks - 1))
        previous.reserveCapacity(self.distance + 1)
        blocks.reserveCapacity(self.distance)
    }

    /// Writes the RED payload for `primary` (timestamp `timestamp`) into `out` (cleared first)
    /// and remembers `primary` for the next ones.
    public mutating func encode(_ primary: UnsafeRawBufferPointer, timestamp: UInt32, payloadType: UInt8, into out: inout [UInt8]) {
        out.removeAll(keepingCapacity: true)
        blocks.removeAll(keepingCapacity: true)
        for p in previous {
            let offset = timestamp &- p.timestamp
            if offset > 0, offset <= RTPRedundancy.maxOffset { blocks.append((p.bytes, offset)) }
        }
        RTPRedundancy.write(primary: primary, payloadType: payloadType, redundant: blocks, into: &out)
        // Let go of the shared buffers before the oldest is overwritten (no copy-on-write).
        blocks.removeAll(keepingCapacity: true)
        remember(primary, timestamp: timestamp)
    }

    /// A frame sent without redundancy still counts as the one before the next.
    public mutating func remember(_ primary: UnsafeRawBufferPointer, timestamp: UInt32) {
        guard distance > 0 else { return }
        if previous.count == distance {
            // Reuse the oldest buffer for the newest frame.
            var oldest = previous.removeFirst().bytes
            oldest.removeAll(keepingCapacity: true)
            oldest.append(contentsOf: primary)
            previous.append((oldest, timestamp))
        } else {
            previous.append((Array(primary), timestamp))
        }
    }
}
