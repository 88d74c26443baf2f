import SessionCore

/// The VP8 payload descriptor that starts every VP8 RTP payload (RFC 7741 §4.2):
///
///     |X|R|N|S|R| PID |        required
///     |I|L|T|K| RSV   |        if X
///     |M| PictureID   |        if I (a second byte when M: 15-bit PictureID)
///     | TL0PICIDX     |        if L
///     |TID|Y| KEYIDX  |        if T or K
public struct VP8PayloadDescriptor: Sendable, Equatable {
    /// N: the frame can be discarded without affecting others.
    public var nonReference: Bool
    /// S: the payload starts a VP8 partition.
    public var startOfPartition: Bool
    /// PID: the partition index (0–7).
    public var partitionIndex: UInt8
    /// 7- or 15-bit PictureID when I is set.
    public var pictureID: UInt16?
    /// Whether the PictureID was (or is to be) sent in 15 bits (M=1).
    public var longPictureID: Bool
    public var tl0PicIndex: UInt8?
    /// TID, when T is set.
    public var temporalLayer: UInt8?
    /// Y: layer sync, meaningful only with T.
    public var layerSync: Bool
    /// KEYIDX, when K is set.
    public var keyIndex: UInt8?
    /// Bytes the descriptor occupies at the start of the payload.
    public var length: Int

    public init(nonReference: Bool = false, startOfPartition: Bool, partitionIndex: UInt8 = 0,
                pictureID: UInt16? = nil, longPictureID: Bool = true, tl0PicIndex: UInt8? = nil,
                temporalLayer: UInt8? = nil, layerSync: Bool = false, keyIndex: UInt8? = nil) {
        self.nonReference = nonReference
        self.startOfPartition = startOfPartition
        self.partitionIndex = partitionIndex & 0x07
        self.pictureID = pictureID
        self.longPictureID = longPictureID
        self.tl0PicIndex = tl0PicIndex
        self.temporalLayer = temporalLayer
        self.layerSync = layerSync
        self.keyIndex = keyIndex
        self.length = 0
        self.length = encodedLength
    }

    /// The first packet of a frame: start of partition 0 (§4.3: only there does the VP8
    /// payload header follow).
    public var isFrameStart: Bool { startOfPartition && partitionIndex == 0 }

    public var encodedLength: Int {
        var n = 1
        let x = pictureID != nil || tl0PicIndex != nil || temporalLayer != nil || keyIndex != nil
        if x { n += 1 }
        if pictureID != nil { n += longPictureID ? 2 : 1 }
        if tl0PicIndex != nil { n += 1 }
        if temporalLayer != nil || keyIndex != nil { n += 1 }
        return n
    }

    /// Parses the descriptor at the start of `payload`. Throws when no VP8 data follows it.
    public static func parse(_ payload: UnsafeRawBufferPointer) throws(VP8Error) -> VP8PayloadDescriptor {
        var r = ByteReader(payload)
        guard let b0 = r.u8() else { throw .emptyPayload }
        var d = VP8PayloadDescriptor(nonReference: b0 & 0x20 != 0, startOfPartition: b0 & 0x10 != 0,
                                     partitionIndex: b0 & 0x07)
        if b0 & 0x80 != 0 {
            guard let x = r.u8() else { throw .truncatedDescriptor }
            if x & 0x80 != 0 {
                guard let p = r.u8() else { throw .truncatedDescriptor }
                if p & 0x80 != 0 {
                    guard let low = r.u8() else { throw .truncatedDescriptor }
                    d.pictureID = UInt16(p & 0x7F) << 8 | UInt16(low)
                    d.longPictureID = true
                } else {
                    d.pictureID = UInt16(p)
                    d.longPictureID = false
                }
            }
            if x & 0x40 != 0 {
                guard let t = r.u8() else { throw .truncatedDescriptor }
                d.tl0PicIndex = t
            }
            if x & 0x30 != 0 {
                guard let tk = r.u8() else { throw .truncatedDescriptor }
                if x & 0x20 != 0 {
                    d.temporalLayer = tk >> 6
                    d.layerSync = tk & 0x20 != 0
                }
                if x & 0x10 != 0 { d.keyIndex = tk & 0x1F }
            }
        }
        d.length = r.offset
        guard r.remaining > 0 else { throw .emptyPayload }
        return d
    }

    public static func parse(_ payload: [UInt8]) throws(VP8Error) -> VP8PayloadDescriptor {
        let result: Result<VP8PayloadDescriptor, VP8Error> = payload.withUnsafeBytes { raw in
            do throws(VP8Error) { return .success(try parse(raw)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    public func write(to out: inout [UInt8]) {
        let hasT = temporalLayer != nil
        let hasK = keyIndex != nil
        let x = pictureID != nil || tl0PicIndex != nil || hasT || hasK
        out.append((x ? 0x80 : 0) | (nonReference ? 0x20 : 0) | (startOfPartition ? 0x10 : 0) | (partitionIndex & 0x07))
        guard x else { return }
        out.append((pictureID != nil ? 0x80 : 0) | (tl0PicIndex != nil ? 0x40 : 0) | (hasT ? 0x20 : 0) | (hasK ? 0x10 : 0))
        if let p = pictureID {
            if longPictureID {
                out.append(0x80 | UInt8(truncatingIfNeeded: p >> 8) & 0x7F)
                out.append(UInt8(truncatingIfNeeded: p))
            } else {
                out.append(UInt8(truncatingIfNeeded: p) & 0x7F)
            }
        }
        if let t = tl0PicIndex { out.append(t) }
        if hasT || hasK {
            out.append(((temporalLayer ?? 0) & 0x3) << 6 | (layerSync ? 0x20 : 0) | ((keyIndex ?? 0) & 0x1F))
        }
    }
}

/// The VP8 payload header at the start of a frame's first partition (RFC 7741 §4.3,
/// RFC 6386 §9.1).
public enum VP8FrameHeader {
    /// P (bit 0 of the first byte) is 0 for a key frame. Only meaningful on the bytes that
    /// follow a descriptor with S=1 and PID=0.
    public static func isKeyframe(_ data: UnsafeRawBufferPointer) -> Bool {
        guard let first = data.first else { return false }
        return first & 0x01 == 0
    }

    public static func isKeyframe(_ data: [UInt8]) -> Bool {
        data.withUnsafeBytes { isKeyframe($0) }
    }

    /// Width and height from a key frame's header: 3-byte frame tag, start code 9d 01 2a,
    /// then 14-bit width and height with 2-bit scaling each (RFC 6386 §9.1). Nil otherwise.
    public static func keyframeSize(_ data: UnsafeRawBufferPointer) -> (width: Int, height: Int)? {
        guard data.count >= 10, isKeyframe(data),
              data[3] == 0x9D, data[4] == 0x01, data[5] == 0x2A else { return nil }
        let w = Int(data[6]) | Int(data[7]) << 8
        let h = Int(data[8]) | Int(data[9]) << 8
        return (w & 0x3FFF, h & 0x3FFF)
    }
}
