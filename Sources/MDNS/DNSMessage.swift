import SessionCore

/// A DNS message (RFC 1035 §4) as Multicast DNS uses it (RFC 6762): enough to read a query
/// from the link and to write the answer for a name we own. Names are compared as lowercase
/// ASCII (RFC 6762 §16); compression pointers are read, never written.
public struct DNSMessage: Equatable, Sendable {
    public static let typeA: UInt16 = 1
    public static let typeAAAA: UInt16 = 28
    public static let typeANY: UInt16 = 255
    public static let classIN: UInt16 = 1

    public struct Question: Equatable, Sendable {
        public var name: String
        public var type: UInt16
        /// RFC 6762 §5.4: the top bit of the class asks for a unicast answer (QU).
        public var unicastResponse: Bool
        public var recordClass: UInt16

        public init(name: String, type: UInt16, unicastResponse: Bool = false, recordClass: UInt16 = DNSMessage.classIN) {
            self.name = name
            self.type = type
            self.unicastResponse = unicastResponse
            self.recordClass = recordClass
        }
    }

    public struct Record: Equatable, Sendable {
        public var name: String
        public var type: UInt16
        /// RFC 6762 §10.2: the top bit of the class says this record replaces cached ones.
        public var cacheFlush: Bool
        public var recordClass: UInt16
        public var ttl: UInt32
        public var data: [UInt8]

        public init(name: String, type: UInt16, cacheFlush: Bool = true, recordClass: UInt16 = DNSMessage.classIN,
                    ttl: UInt32, data: [UInt8]) {
            self.name = name
            self.type = type
            self.cacheFlush = cacheFlush
            self.recordClass = recordClass
            self.ttl = ttl
            self.data = data
        }

        /// The address an A or AAAA record holds.
        public var address: TransportAddress.IP? {
            switch (type, data.count) {
            case (DNSMessage.typeA, 4):
                return .v4(data.withUnsafeBytes { raw in var r = ByteReader(raw); return r.u32() ?? 0 })
            case (DNSMessage.typeAAAA, 16):
                return data.withUnsafeBytes { raw in
                    var r = ByteReader(raw)
                    return .v6(r.u64() ?? 0, r.u64() ?? 0)
                }
            default:
                return nil
            }
        }

        /// An A or AAAA record for `address`.
        public static func address(_ name: String, _ address: TransportAddress.IP, ttl: UInt32) -> Record {
            var data: [UInt8] = []
            switch address {
            case .v4(let v):
                data.appendU32(v)
                return Record(name: name, type: DNSMessage.typeA, ttl: ttl, data: data)
            case .v6(let hi, let lo):
                data.appendU64(hi)
                data.appendU64(lo)
                return Record(name: name, type: DNSMessage.typeAAAA, ttl: ttl, data: data)
            }
        }
    }

    public var id: UInt16
    public var flags: UInt16
    public var questions: [Question]
    public var answers: [Record]
    public var authorities: [Record]
    public var additionals: [Record]

    public init(id: UInt16 = 0, flags: UInt16 = 0, questions: [Question] = [], answers: [Record] = [],
                authorities: [Record] = [], additionals: [Record] = []) {
        self.id = id
        self.flags = flags
        self.questions = questions
        self.answers = answers
        self.authorities = authorities
        self.additionals = additionals
    }

    public var isResponse: Bool { flags & 0x8000 != 0 }
    public var opcode: UInt8 { UInt8((flags >> 11) & 0xF) }

    /// RFC 6762 §18: an authoritative response (QR and AA set).
    public static let responseFlags: UInt16 = 0x8400
}

/// Why bytes from the link are not a DNS message we can read.
public enum DNSMessageError: Error, Equatable, Sendable {
    /// Ended inside the named part.
    case truncated(String)
    /// A label longer than 63 bytes, or the reserved label types 0x40/0x80.
    case badLabel
    /// A name over 255 bytes, or compression pointers that loop or point forward.
    case badName
    /// More records than a link-local message carries (RFC 6762 §17: 9000 bytes).
    case tooManyRecords
}
