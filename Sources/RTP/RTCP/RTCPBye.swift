import SessionCore

/// BYE (RFC 3550 §6.6).
public struct RTCPBye: Sendable, Equatable {
    public var ssrcs: [UInt32]
    public var reason: String?

    public init(ssrcs: [UInt32], reason: String? = nil) {
        self.ssrcs = ssrcs
        self.reason = reason
    }

    static func parse(count: UInt8, body: UnsafeRawBufferPointer) throws(RTCPError) -> RTCPBye {
        var r = ByteReader(body)
        var ssrcs: [UInt32] = []
        for _ in 0..<count {
            guard let s = r.u32() else { throw .truncatedPacket(packetType: RTCPPacketType.bye) }
            ssrcs.append(s)
        }
        var reason: String?
        if let length = r.u8() {
            guard let range = r.range(Int(length)) else { throw .truncatedPacket(packetType: RTCPPacketType.bye) }
            reason = String(decoding: UnsafeRawBufferPointer(rebasing: body[range]), as: UTF8.self)
        }
        return RTCPBye(ssrcs: ssrcs, reason: reason)
    }

    public func write(to out: inout [UInt8]) {
        let n = min(ssrcs.count, 31)
        let start = RTCPHeaderWriter.begin(count: UInt8(n), packetType: RTCPPacketType.bye, out: &out)
        for s in ssrcs.prefix(n) { out.appendU32(s) }
        if let reason {
            let bytes = reason.utf8.prefix(255)
            out.append(UInt8(bytes.count))
            out.append(contentsOf: bytes)
        }
        RTCPHeaderWriter.end(start: start, out: &out)
    }
}
