/// One element of an RFC 8285 header-extension block: its local ID (from `a=extmap`) and the
/// value's position in the parsed buffer.
public struct RTPHeaderExtensionElement: Sendable, Equatable {
    public var id: UInt8
    public var range: Range<Int>

    public init(id: UInt8, range: Range<Int>) {
        self.id = id
        self.range = range
    }
}

/// The two general header-extension forms of RFC 8285 (§4.2 one-byte, §4.3 two-byte).
public enum RTPHeaderExtensionForm: Sendable, Equatable {
    case oneByte
    case twoByte

    public static let oneByteProfile: UInt16 = 0xBEDE
    /// The two-byte profile is 0x100 followed by 4 application bits.
    public static let twoByteProfile: UInt16 = 0x1000

    public init?(profile: UInt16) {
        if profile == Self.oneByteProfile { self = .oneByte }
        else if profile & 0xFFF0 == Self.twoByteProfile { self = .twoByte }
        else { return nil }
    }
}

/// Walks the elements of a header-extension block. Padding bytes are skipped; a one-byte
/// ID of 15 ends the walk (RFC 8285 §4.2). An element running past the block throws.
public struct RTPHeaderExtensionIterator {
    private let bytes: UnsafeRawBufferPointer
    private let form: RTPHeaderExtensionForm?
    private var offset: Int
    private let end: Int

    init(bytes: UnsafeRawBufferPointer, profile: UInt16?, range: Range<Int>) {
        self.bytes = bytes
        self.form = profile.flatMap(RTPHeaderExtensionForm.init(profile:))
        self.offset = range.lowerBound
        self.end = min(range.upperBound, bytes.count)
    }

    public mutating func next() throws(RTPError) -> RTPHeaderExtensionElement? {
        guard let form else { return nil }
        while offset < end {
            let b = bytes[offset]
            if b == 0 { offset += 1; continue }  // padding between elements
            switch form {
            case .oneByte:
                let id = b >> 4
                if id == 15 { offset = end; return nil }
                let length = Int(b & 0x0F) + 1
                let start = offset + 1
                guard start + length <= end else { offset = end; throw .extensionElementPastEnd }
                offset = start + length
                return RTPHeaderExtensionElement(id: id, range: start..<(start + length))
            case .twoByte:
                guard offset + 2 <= end else { offset = end; throw .extensionElementPastEnd }
                let length = Int(bytes[offset + 1])
                let start = offset + 2
                guard start + length <= end else { offset = end; throw .extensionElementPastEnd }
                offset = start + length
                return RTPHeaderExtensionElement(id: b, range: start..<(start + length))
            }
        }
        return nil
    }
}

/// Writes an RFC 8285 header-extension block into the packet being built in `out`, right
/// after `RTPHeader.write`. Usage: `init` (sets X, writes the block header), any number of
/// `append`, then `finish` (pads to 32 bits and fills in the length).
public struct RTPHeaderExtensionWriter: Sendable {
    public let form: RTPHeaderExtensionForm
    private let blockStart: Int

    /// - Parameter packetStart: where the packet's first byte is in `out`.
    public init(form: RTPHeaderExtensionForm, packetStart: Int = 0, out: inout [UInt8]) {
        self.form = form
        self.blockStart = out.count
        if packetStart >= 0, packetStart < out.count { out[packetStart] |= 0x10 }
        out.appendU16(form == .oneByte ? RTPHeaderExtensionForm.oneByteProfile : RTPHeaderExtensionForm.twoByteProfile)
        out.appendU16(0)  // length, set by finish()
    }

    /// Appends one element.
    public mutating func append(id: UInt8, _ value: some Collection<UInt8>, to out: inout [UInt8]) throws(RTPError) {
        try appendElementHeader(id: id, length: value.count, to: &out)
        out.append(contentsOf: value)
    }

    /// Appends a two-byte big-endian element (a transport-wide sequence number), without the
    /// generic path (which allocates in a debug build).
    public mutating func append(id: UInt8, u16 value: UInt16, to out: inout [UInt8]) throws(RTPError) {
        try appendElementHeader(id: id, length: 2, to: &out)
        out.appendU16(value)
    }

    /// An element's id and length in the block's form (RFC 8285 §4.2, §4.3).
    private func appendElementHeader(id: UInt8, length: Int, to out: inout [UInt8]) throws(RTPError) {
        switch form {
        case .oneByte:
            guard (1...14).contains(id) else { throw .extensionIDOutOfRange(id) }
            guard (1...16).contains(length) else { throw .extensionValueLength(length) }
            out.append(id << 4 | UInt8(length - 1))
        case .twoByte:
            guard id >= 1 else { throw .extensionIDOutOfRange(id) }
            guard length <= 255 else { throw .extensionValueLength(length) }
            out.append(id)
            out.append(UInt8(length))
        }
    }

    /// Appends a text element such as `sdes:mid` (RFC 8843 §15.1), without allocating.
    public mutating func append(id: UInt8, string: String, to out: inout [UInt8]) throws(RTPError) {
        try append(id: id, string.utf8, to: &out)
    }

    /// Pads to a 32-bit boundary with zero bytes and writes the length in words.
    public func finish(_ out: inout [UInt8]) {
        guard blockStart + 4 <= out.count else { return }
        while (out.count - blockStart) % 4 != 0 { out.append(0) }
        let words = (out.count - blockStart - 4) / 4
        out.setU16(UInt16(truncatingIfNeeded: words), at: blockStart + 2)
    }
}
