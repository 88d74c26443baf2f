import SessionCore

extension DNSMessage {
    /// At most this many entries per section: a 9000-byte message cannot hold more useful ones.
    static let maxEntries = 64

    /// Reads a message from the link. Every malformed input is a typed error, never a trap.
    public static func parse(_ bytes: [UInt8]) throws(DNSMessageError) -> DNSMessage {
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(DNSMessageError) -> DNSMessage in try parse(ByteReader(raw)) }
        }
        return try result.get()
    }

    private static func parse(_ reader: ByteReader) throws(DNSMessageError) -> DNSMessage {
        var r = reader
        guard let id = r.u16(), let flags = r.u16(), let qd = r.u16(), let an = r.u16(), let ns = r.u16(),
              let ar = r.u16() else { throw .truncated("header") }
        guard [qd, an, ns, ar].allSatisfy({ Int($0) <= maxEntries }) else { throw .tooManyRecords }
        var message = DNSMessage(id: id, flags: flags)
        for _ in 0..<qd {
            let name = try readName(&r)
            guard let type = r.u16(), let cls = r.u16() else { throw .truncated("question") }
            message.questions.append(Question(name: name, type: type, unicastResponse: cls & 0x8000 != 0,
                                              recordClass: cls & 0x7FFF))
        }
        message.answers = try readRecords(&r, count: an)
        message.authorities = try readRecords(&r, count: ns)
        message.additionals = try readRecords(&r, count: ar)
        return message
    }

    private static func readRecords(_ r: inout ByteReader, count: UInt16) throws(DNSMessageError) -> [Record] {
        var records: [Record] = []
        for _ in 0..<count {
            let name = try readName(&r)
            guard let type = r.u16(), let cls = r.u16(), let ttl = r.u32(), let length = r.u16(),
                  let data = r.range(Int(length)) else { throw .truncated("record") }
            records.append(Record(name: name, type: type, cacheFlush: cls & 0x8000 != 0, recordClass: cls & 0x7FFF,
                                  ttl: ttl, data: Array(r.bytes[data])))
        }
        return records
    }

    /// RFC 1035 §4.1.4: labels, or a pointer to an earlier name. Pointers may only go
    /// backwards, so they cannot loop.
    private static func readName(_ r: inout ByteReader) throws(DNSMessageError) -> String {
        var labels: [String] = []
        var length = 0
        var cursor = r.offset
        var resumeAt: Int?
        var lowestTarget = r.offset
        while true {
            guard cursor < r.bytes.count else { throw .truncated("name") }
            let byte = r.bytes[cursor]
            switch byte & 0xC0 {
            case 0xC0:
                guard cursor + 1 < r.bytes.count else { throw .truncated("name") }
                let target = Int(byte & 0x3F) << 8 | Int(r.bytes[cursor + 1])
                guard target < lowestTarget else { throw .badName }
                lowestTarget = target
                if resumeAt == nil { resumeAt = cursor + 2 }
                cursor = target
            case 0x00:
                let count = Int(byte)
                if count == 0 {
                    _ = r.skip((resumeAt ?? cursor + 1) - r.offset)
                    return labels.joined(separator: ".")
                }
                guard cursor + 1 + count <= r.bytes.count else { throw .truncated("name") }
                length += count + 1
                guard length <= 255 else { throw .badName }
                let label = String(decoding: UnsafeRawBufferPointer(rebasing: r.bytes[(cursor + 1)..<(cursor + 1 + count)]),
                                   as: UTF8.self)
                labels.append(label.lowercased())
                cursor += 1 + count
            default:
                throw .badLabel
            }
        }
    }

    /// The message on the wire, names uncompressed. A name's labels over 63 bytes are cut.
    public func encoded() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(64 + 64 * (questions.count + answers.count + additionals.count))
        out.appendU16(id)
        out.appendU16(flags)
        for count in [questions.count, answers.count, authorities.count, additionals.count] {
            out.appendU16(UInt16(min(count, Self.maxEntries)))
        }
        for q in questions.prefix(Self.maxEntries) {
            Self.appendName(q.name, to: &out)
            out.appendU16(q.type)
            out.appendU16(q.recordClass | (q.unicastResponse ? 0x8000 : 0))
        }
        for section in [answers, authorities, additionals] {
            for record in section.prefix(Self.maxEntries) {
                Self.appendName(record.name, to: &out)
                out.appendU16(record.type)
                out.appendU16(record.recordClass | (record.cacheFlush ? 0x8000 : 0))
                out.appendU32(record.ttl)
                out.appendU16(UInt16(min(record.data.count, Int(UInt16.max))))
                out.append(contentsOf: record.data.prefix(Int(UInt16.max)))
            }
        }
        return out
    }

    private static func appendName(_ name: String, to out: inout [UInt8]) {
        for label in name.split(separator: ".", omittingEmptySubsequences: true) {
            let bytes = Array(label.utf8.prefix(63))
            out.append(UInt8(bytes.count))
            out.append(contentsOf: bytes)
        }
        out.append(0)
    }
}
