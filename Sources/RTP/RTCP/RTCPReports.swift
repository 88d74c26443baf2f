import SessionCore

/// Sender report (RFC 3550 §6.4.1). At most 31 report blocks are written.
public struct RTCPSenderReport: Sendable, Equatable {
    public var ssrc: UInt32
    public var ntpTime: NTPTimestamp
    public var rtpTimestamp: UInt32
    public var packetCount: UInt32
    /// Payload octets sent (headers and padding excluded).
    public var octetCount: UInt32
    public var reports: [RTCPReportBlock]

    public init(ssrc: UInt32, ntpTime: NTPTimestamp, rtpTimestamp: UInt32, packetCount: UInt32,
                octetCount: UInt32, reports: [RTCPReportBlock] = []) {
        self.ssrc = ssrc
        self.ntpTime = ntpTime
        self.rtpTimestamp = rtpTimestamp
        self.packetCount = packetCount
        self.octetCount = octetCount
        self.reports = reports
    }

    static func parse(count: UInt8, body: UnsafeRawBufferPointer) throws(RTCPError) -> RTCPSenderReport {
        var r = ByteReader(body)
        guard let ssrc = r.u32(), let ntp = r.u64(), let rtp = r.u32(), let packets = r.u32(),
              let octets = r.u32() else { throw .truncatedPacket(packetType: RTCPPacketType.senderReport) }
        var blocks: [RTCPReportBlock] = []
        blocks.reserveCapacity(Int(count))
        for _ in 0..<count {
            guard let b = RTCPReportBlock.parse(&r) else { throw .truncatedPacket(packetType: RTCPPacketType.senderReport) }
            blocks.append(b)
        }
        // Profile-specific extensions after the blocks are ignored.
        return RTCPSenderReport(ssrc: ssrc, ntpTime: NTPTimestamp(rawValue: ntp), rtpTimestamp: rtp,
                                packetCount: packets, octetCount: octets, reports: blocks)
    }

    public func write(to out: inout [UInt8]) {
        let n = min(reports.count, 31)
        let start = RTCPHeaderWriter.begin(count: UInt8(n), packetType: RTCPPacketType.senderReport, out: &out)
        out.appendU32(ssrc)
        out.appendU64(ntpTime.rawValue)
        out.appendU32(rtpTimestamp)
        out.appendU32(packetCount)
        out.appendU32(octetCount)
        for i in 0..<n { reports[i].write(to: &out) }
        RTCPHeaderWriter.end(start: start, out: &out)
    }
}

/// Receiver report (RFC 3550 §6.4.2). At most 31 report blocks are written.
public struct RTCPReceiverReport: Sendable, Equatable {
    public var ssrc: UInt32
    public var reports: [RTCPReportBlock]

    public init(ssrc: UInt32, reports: [RTCPReportBlock] = []) {
        self.ssrc = ssrc
        self.reports = reports
    }

    static func parse(count: UInt8, body: UnsafeRawBufferPointer) throws(RTCPError) -> RTCPReceiverReport {
        var r = ByteReader(body)
        guard let ssrc = r.u32() else { throw .truncatedPacket(packetType: RTCPPacketType.receiverReport) }
        var blocks: [RTCPReportBlock] = []
        blocks.reserveCapacity(Int(count))
        for _ in 0..<count {
            guard let b = RTCPReportBlock.parse(&r) else { throw .truncatedPacket(packetType: RTCPPacketType.receiverReport) }
            blocks.append(b)
        }
        return RTCPReceiverReport(ssrc: ssrc, reports: blocks)
    }

    public func write(to out: inout [UInt8]) {
        let n = min(reports.count, 31)
        let start = RTCPHeaderWriter.begin(count: UInt8(n), packetType: RTCPPacketType.receiverReport, out: &out)
        out.appendU32(ssrc)
        for i in 0..<n { reports[i].write(to: &out) }
        RTCPHeaderWriter.end(start: start, out: &out)
    }
}
