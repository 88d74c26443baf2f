import SessionCore

/// One packet of an RTCP compound, decoded. Types this code does not act on (APP, XR,
/// other feedback formats) come back as `.unknown` and are tolerated, not errors.
public enum RTCPPacket: Sendable, Equatable {
    case senderReport(RTCPSenderReport)
    case receiverReport(RTCPReceiverReport)
    case sourceDescription(RTCPSourceDescription)
    case bye(RTCPBye)
    case nack(RTCPNack)
    case pictureLossIndication(RTCPPictureLossIndication)
    case fullIntraRequest(RTCPFullIntraRequest)
    case receiverEstimatedMaxBitrate(RTCPReceiverEstimatedMaxBitrate)
    case transportFeedback(RTCPTransportFeedback)
    /// `format` is the 5-bit count/FMT field of the header.
    case unknown(packetType: UInt8, format: UInt8)

    /// Parses a whole compound (RFC 3550 §6.1), or a single reduced-size packet (RFC 5506 §3:
    /// no requirement that it starts with SR/RR or carries SDES).
    public static func parseCompound(_ bytes: UnsafeRawBufferPointer) throws(RTCPError) -> [RTCPPacket] {
        var it = RTCPCompoundIterator(bytes)
        var packets: [RTCPPacket] = []
        while let p = try it.next() { packets.append(p) }
        return packets
    }

    public static func parseCompound(_ bytes: [UInt8]) throws(RTCPError) -> [RTCPPacket] {
        let result: Result<[RTCPPacket], RTCPError> = bytes.withUnsafeBytes { raw in
            do throws(RTCPError) { return .success(try parseCompound(raw)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    /// Appends the packet to `out` (a compound is consecutive writes). `.unknown` writes nothing.
    public func write(to out: inout [UInt8]) {
        switch self {
        case .senderReport(let p): p.write(to: &out)
        case .receiverReport(let p): p.write(to: &out)
        case .sourceDescription(let p): p.write(to: &out)
        case .bye(let p): p.write(to: &out)
        case .nack(let p): p.write(to: &out)
        case .pictureLossIndication(let p): p.write(to: &out)
        case .fullIntraRequest(let p): p.write(to: &out)
        case .receiverEstimatedMaxBitrate(let p): p.write(to: &out)
        case .transportFeedback(let p): p.write(to: &out)
        case .unknown: break
        }
    }

    static func parse(count: UInt8, packetType: UInt8, body: UnsafeRawBufferPointer) throws(RTCPError) -> RTCPPacket {
        typealias T = RTCPPacketType
        typealias F = RTCPFeedbackFormat
        switch packetType {
        case T.senderReport:
            return .senderReport(try RTCPSenderReport.parse(count: count, body: body))
        case T.receiverReport:
            return .receiverReport(try RTCPReceiverReport.parse(count: count, body: body))
        case T.sourceDescription:
            return .sourceDescription(try RTCPSourceDescription.parse(count: count, body: body))
        case T.bye:
            return .bye(try RTCPBye.parse(count: count, body: body))
        case T.transportFeedback where count == F.genericNack:
            return .nack(try RTCPNack.parse(body: body))
        case T.transportFeedback where count == F.transportWideCC:
            return .transportFeedback(try RTCPTransportFeedback.parse(body: body))
        case T.payloadFeedback where count == F.pictureLossIndication:
            var r = ByteReader(body)
            guard let sender = r.u32(), let media = r.u32() else { throw .truncatedPacket(packetType: packetType) }
            return .pictureLossIndication(RTCPPictureLossIndication(senderSSRC: sender, mediaSSRC: media))
        case T.payloadFeedback where count == F.fullIntraRequest:
            return .fullIntraRequest(try RTCPFullIntraRequest.parse(body: body))
        case T.payloadFeedback where count == F.applicationLayer:
            if let remb = try RTCPReceiverEstimatedMaxBitrate.parse(body: body) { return .receiverEstimatedMaxBitrate(remb) }
            return .unknown(packetType: packetType, format: count)
        default:
            return .unknown(packetType: packetType, format: count)
        }
    }
}

/// Walks a compound packet one RTCP packet at a time, decoding each. After an error it
/// yields nothing more.
public struct RTCPCompoundIterator {
    private let bytes: UnsafeRawBufferPointer
    private var offset = 0

    public init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    public mutating func next() throws(RTCPError) -> RTCPPacket? {
        guard offset < bytes.count else { return nil }
        let available = bytes.count - offset
        guard available >= 4 else { offset = bytes.count; throw .truncatedHeader }
        let b0 = bytes[offset]
        let version = b0 >> 6
        guard version == 2 else { offset = bytes.count; throw .badVersion(version) }
        let packetType = bytes[offset + 1]
        let words = Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
        let length = (words + 1) * 4
        guard length <= available else {
            offset = bytes.count
            throw .lengthMismatch(declared: length, available: available)
        }
        var bodyEnd = offset + length
        if b0 & 0x20 != 0 {
            // Padding (RFC 3550 §6.4.1): the last octet counts the padding, itself included.
            let pad = Int(bytes[bodyEnd - 1])
            guard pad > 0, pad <= length - 4 else { offset = bytes.count; throw .badPadding }
            bodyEnd -= pad
        }
        let body = UnsafeRawBufferPointer(rebasing: bytes[(offset + 4)..<bodyEnd])
        offset += length
        do throws(RTCPError) {
            return try RTCPPacket.parse(count: b0 & 0x1F, packetType: packetType, body: body)
        } catch {
            offset = bytes.count
            throw error
        }
    }
}
