import SessionCore

/// A parsed RTP packet that copies nothing: the fixed-header fields, plus offsets into the
/// caller's buffer for the CSRC list, the header extension and the payload (RFC 3550 §5.1).
/// The ranges are only meaningful for the buffer that was parsed.
public struct RTPPacketView: Sendable, Equatable {
    public var marker: Bool
    public var payloadType: UInt8
    public var sequenceNumber: UInt16
    public var timestamp: UInt32
    public var ssrc: UInt32
    public var csrcCount: Int
    /// The "defined by profile" field when the X bit is set (0xBEDE, 0x100x, or other).
    public var extensionProfile: UInt16?
    /// The extension elements, after the 4-byte extension header; empty without X.
    public var extensionRange: Range<Int>
    /// The payload, with any padding already removed.
    public var payloadRange: Range<Int>
    /// Padding bytes at the end (the count byte included); 0 when P is clear.
    public var paddingLength: Int

    public var hasPadding: Bool { paddingLength > 0 }
    public var headerLength: Int { payloadRange.lowerBound }
    public var packetLength: Int { payloadRange.upperBound + paddingLength }
    public var payloadLength: Int { payloadRange.count }

    public static let fixedHeaderLength = 12

    /// Parses a whole packet (one datagram after SRTP unprotect).
    public static func parse(_ bytes: UnsafeRawBufferPointer) throws(RTPError) -> RTPPacketView {
        guard bytes.count >= fixedHeaderLength else { throw .truncatedHeader }
        let b0 = bytes[0]
        let version = b0 >> 6
        guard version == 2 else { throw .badVersion(version) }
        let hasPadding = b0 & 0x20 != 0
        let hasExtension = b0 & 0x10 != 0
        let cc = Int(b0 & 0x0F)
        var r = ByteReader(bytes, offset: 1)
        // The count check above makes these reads succeed; the fallbacks are never taken.
        let b1 = r.u8() ?? 0
        let seq = r.u16() ?? 0
        let ts = r.u32() ?? 0
        let ssrc = r.u32() ?? 0
        guard r.skip(4 * cc) else { throw .truncatedCSRCs }

        var profile: UInt16?
        var extRange = r.offset..<r.offset
        if hasExtension {
            // RFC 3550 §5.3.1: a 16-bit profile field and a length in 32-bit words.
            guard let p = r.u16(), let words = r.u16() else { throw .extensionPastEnd }
            guard let range = r.range(Int(words) * 4) else { throw .extensionPastEnd }
            profile = p
            extRange = range
        }

        let payloadStart = r.offset
        var end = bytes.count
        var paddingLength = 0
        if hasPadding {
            let available = end - payloadStart
            guard available > 0 else { throw .paddingLargerThanPayload(padding: 0, available: 0) }
            let count = Int(bytes[end - 1])
            guard count > 0 else { throw .zeroPadding }
            guard count <= available else { throw .paddingLargerThanPayload(padding: count, available: available) }
            paddingLength = count
            end -= count
        }
        return RTPPacketView(
            marker: b1 & 0x80 != 0, payloadType: b1 & 0x7F, sequenceNumber: seq, timestamp: ts,
            ssrc: ssrc, csrcCount: cc, extensionProfile: profile, extensionRange: extRange,
            payloadRange: payloadStart..<end, paddingLength: paddingLength)
    }

    /// Parses a packet held in an array (the ranges then index that array).
    public static func parse(_ bytes: [UInt8]) throws(RTPError) -> RTPPacketView {
        let result: Result<RTPPacketView, RTPError> = bytes.withUnsafeBytes { raw in
            do throws(RTPError) { return .success(try parse(raw)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    /// The CSRC at `index`, or nil past the list.
    public func csrc(at index: Int, in bytes: UnsafeRawBufferPointer) -> UInt32? {
        guard index >= 0, index < csrcCount else { return nil }
        var r = ByteReader(bytes, offset: Self.fixedHeaderLength + 4 * index)
        return r.u32()
    }

    /// The payload bytes (without padding) as a view into `bytes`.
    public func payload(in bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        guard payloadRange.upperBound <= bytes.count else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(rebasing: bytes[payloadRange])
    }

    /// The header-extension elements; yields nothing when there is no extension or its
    /// profile is neither RFC 8285 form.
    public func extensions(in bytes: UnsafeRawBufferPointer) -> RTPHeaderExtensionIterator {
        RTPHeaderExtensionIterator(bytes: bytes, profile: extensionProfile, range: extensionRange)
    }

    /// The value of the first element with `id`, or nil (absent, or the block is malformed).
    public func extensionValue(id: UInt8, in bytes: UnsafeRawBufferPointer) -> Range<Int>? {
        var it = extensions(in: bytes)
        while true {
            do throws(RTPError) {
                guard let e = try it.next() else { return nil }
                if e.id == id { return e.range }
            } catch {
                return nil
            }
        }
    }

    /// A text extension such as `sdes:mid` or `sdes:rtp-stream-id` (RFC 8843 §15.1), or nil.
    /// Allocates a String: meant for demultiplexing a not-yet-known SSRC, not for every packet.
    public func extensionString(id: UInt8, in bytes: UnsafeRawBufferPointer) -> String? {
        guard let range = extensionValue(id: id, in: bytes) else { return nil }
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }

    /// The fixed-header fields as a writable value (allocates only when CSRCs are present).
    public func header(in bytes: UnsafeRawBufferPointer) -> RTPHeader {
        var csrcs: [UInt32] = []
        for i in 0..<csrcCount { if let c = csrc(at: i, in: bytes) { csrcs.append(c) } }
        return RTPHeader(marker: marker, payloadType: payloadType, sequenceNumber: sequenceNumber,
                         timestamp: timestamp, ssrc: ssrc, csrcs: csrcs)
    }
}

/// RTP and RTCP share a 5-tuple under rtcp-mux; the second byte tells them apart
/// (RFC 5761 §4: RTCP packet types 192–223 sit where RTP's M+PT would be 64–95).
public enum RTPDemux {
    public static func isRTCP(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard bytes.count >= 2 else { return false }
        return (192...223).contains(bytes[1])
    }

    public static func isRTCP(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { isRTCP($0) }
    }
}
