import SessionCore

/// SDES (RFC 3550 §6.5): per source, a list of typed text items; WebRTC sends only CNAME.
public struct RTCPSourceDescription: Sendable, Equatable {
    public struct Item: Sendable, Equatable {
        public var type: UInt8
        public var text: String

        public static let cname: UInt8 = 1

        public init(type: UInt8, text: String) {
            self.type = type
            self.text = text
        }
    }

    public struct Chunk: Sendable, Equatable {
        public var ssrc: UInt32
        public var items: [Item]

        public init(ssrc: UInt32, items: [Item]) {
            self.ssrc = ssrc
            self.items = items
        }

        public var cname: String? { items.first { $0.type == Item.cname }?.text }
    }

    public var chunks: [Chunk]

    public init(chunks: [Chunk]) { self.chunks = chunks }

    public init(ssrc: UInt32, cname: String) {
        chunks = [Chunk(ssrc: ssrc, items: [Item(type: Item.cname, text: cname)])]
    }

    static func parse(count: UInt8, body: UnsafeRawBufferPointer) throws(RTCPError) -> RTCPSourceDescription {
        var r = ByteReader(body)
        var chunks: [Chunk] = []
        for _ in 0..<count {
            guard let ssrc = r.u32() else { throw .malformedSDES }
            var items: [Item] = []
            while true {
                guard let type = r.u8() else { throw .malformedSDES }
                if type == 0 {
                    // The null item ends the chunk; the rest up to 32 bits is padding (§6.5).
                    let pad = (4 - r.offset % 4) % 4
                    guard r.skip(min(pad, r.remaining)) else { throw .malformedSDES }
                    break
                }
                guard let length = r.u8(), let range = r.range(Int(length)) else { throw .malformedSDES }
                items.append(Item(type: type, text: String(decoding: UnsafeRawBufferPointer(rebasing: body[range]), as: UTF8.self)))
            }
            chunks.append(Chunk(ssrc: ssrc, items: items))
        }
        return RTCPSourceDescription(chunks: chunks)
    }

    /// Items longer than 255 bytes are cut at 255 bytes; at most 31 chunks are written.
    public func write(to out: inout [UInt8]) {
        let n = min(chunks.count, 31)
        let start = RTCPHeaderWriter.begin(count: UInt8(n), packetType: RTCPPacketType.sourceDescription, out: &out)
        for c in chunks.prefix(n) {
            out.appendU32(c.ssrc)
            for item in c.items {
                let bytes = item.text.utf8.prefix(255)
                out.append(item.type)
                out.append(UInt8(bytes.count))
                out.append(contentsOf: bytes)
            }
            // At least one null octet, then up to the 32-bit boundary.
            out.append(0)
            while (out.count - start) % 4 != 0 { out.append(0) }
        }
        RTCPHeaderWriter.end(start: start, out: &out)
    }
}
