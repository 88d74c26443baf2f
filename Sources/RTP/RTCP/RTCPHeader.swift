/// RTCP packet types (RFC 3550 §12.1, RFC 4585 §6.1).
public enum RTCPPacketType {
    public static let senderReport: UInt8 = 200
    public static let receiverReport: UInt8 = 201
    public static let sourceDescription: UInt8 = 202
    public static let bye: UInt8 = 203
    public static let application: UInt8 = 204
    public static let transportFeedback: UInt8 = 205   // RTPFB
    public static let payloadFeedback: UInt8 = 206     // PSFB
    public static let extendedReport: UInt8 = 207
}

/// Feedback message types (FMT) inside RTPFB and PSFB.
public enum RTCPFeedbackFormat {
    public static let genericNack: UInt8 = 1            // RTPFB, RFC 4585 §6.2.1
    public static let transportWideCC: UInt8 = 15       // RTPFB, draft-holmer-rmcat-transport-wide-cc-extensions-01
    public static let pictureLossIndication: UInt8 = 1  // PSFB, RFC 4585 §6.3.1
    public static let fullIntraRequest: UInt8 = 4       // PSFB, RFC 5104 §4.3.1
    public static let applicationLayer: UInt8 = 15      // PSFB, RFC 4585 §6.4 (REMB lives here)
}

/// Writes the common header (RFC 3550 §6.4.1) and patches the length once the body is known.
enum RTCPHeaderWriter {
    /// Appends V=2, P=0, the 5-bit count/FMT and the type; returns where the packet starts.
    static func begin(count: UInt8, packetType: UInt8, out: inout [UInt8]) -> Int {
        let start = out.count
        out.append(0x80 | (count & 0x1F))
        out.append(packetType)
        out.appendU16(0)
        return start
    }

    /// Pads the body with zeros to 32 bits and sets the length (words minus one).
    static func end(start: Int, out: inout [UInt8]) {
        while (out.count - start) % 4 != 0 { out.append(0) }
        let words = (out.count - start) / 4 - 1
        out.setU16(UInt16(truncatingIfNeeded: words), at: start + 2)
    }
}
