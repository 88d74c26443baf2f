/// Rebuilds lost RTP packets from ULPFEC parity (RFC 5109 level 0), as libwebrtc's receiver
/// does: it keeps the last packets received directly and the parity packets not yet used,
/// and whenever exactly one of the packets a parity packet covers is missing, XORs that one
/// back. A rebuilt packet is kept too, since it may complete another parity packet. Packets
/// that came as retransmissions are not given to it: their header extensions differ from the
/// ones the parity was computed over. Fixed slots, nothing allocated after `init`.
///
///     decoder.insertMedia(sequence:header:payloadType:body:)   // each media packet inside RED
///     try decoder.insertParity(sequence:ssrc:payload:)         // each FEC packet inside RED
///     while let seq = decoder.recover(into: &buffer) { ... }    // the packets now rebuilt
public struct ULPFECDecoder: Sendable {
    private struct MediaSlot {
        var sequence: Int64 = .min
        var length = 0
    }

    private struct ParitySlot {
        var sequence: Int64 = .min
        var base: Int64 = 0
        var mask: UInt64 = 0
        var protectionLength = 0
        var headerLength = 0
        var ssrc: UInt32 = 0
    }

    public let maxPacketSize: Int
    private var media: [MediaSlot]
    private var mediaBytes: [UInt8]
    private let mediaMask: Int
    private var parity: [ParitySlot]
    private var parityBytes: [UInt8]
    /// Something arrived since the last fruitless search.
    private var pending = false
    public private(set) var statistics = Statistics()

    public struct Statistics: Sendable, Equatable {
        public var parityPacketsReceived = 0
        /// Parity packets dropped unused: everything they cover arrived, or it is too old.
        public var parityPacketsDiscarded = 0
        public var packetsRecovered = 0
        /// Parity that did not add up (lengths beyond what it protects).
        public var recoveriesFailed = 0
    }

    /// - Parameters:
    ///   - mediaCapacity: packets kept (rounded up to a power of two, at least 64: a parity
    ///     packet covers up to 48).
    ///   - parityCapacity: parity packets waiting for a second loss to be repaired otherwise.
    public init(mediaCapacity: Int = 64, parityCapacity: Int = 16, maxPacketSize: Int = 1500) {
        var c = 64
        while c < mediaCapacity { c <<= 1 }
        self.maxPacketSize = maxPacketSize
        media = [MediaSlot](repeating: MediaSlot(), count: c)
        mediaBytes = [UInt8](repeating: 0, count: c * maxPacketSize)
        mediaMask = c - 1
        parity = [ParitySlot](repeating: ParitySlot(), count: max(1, parityCapacity))
        parityBytes = [UInt8](repeating: 0, count: max(1, parityCapacity) * maxPacketSize)
    }

    /// A media packet received directly, inside RED: `header` its RTP header as received,
    /// `payloadType` the type RED carried, `body` the bytes after the RED header (padding
    /// included). It is kept as the sender protected it: the header with the media payload
    /// type, then the body.
    public mutating func insertMedia(sequence: Int64, header: UnsafeRawBufferPointer, payloadType: UInt8,
                                     body: UnsafeRawBufferPointer) {
        let length = header.count + body.count
        guard header.count >= 12, length <= maxPacketSize else { return }
        let index = Int(sequence & Int64(mediaMask))
        let base = index * maxPacketSize
        mediaBytes.withUnsafeMutableBytes { dst in
            UnsafeMutableRawBufferPointer(rebasing: dst[base..<(base + header.count)]).copyMemory(from: header)
            UnsafeMutableRawBufferPointer(rebasing: dst[(base + header.count)..<(base + length)]).copyMemory(from: body)
            dst[base + 1] = dst[base + 1] & 0x80 | payloadType & 0x7F
        }
        media[index] = MediaSlot(sequence: sequence, length: length)
        pending = true
    }

    /// A parity packet: `payload` is what RED carried (FEC header, level-0 header, parity),
    /// `sequence` its own extended sequence number, `ssrc` the stream's (rebuilt packets get it).
    public mutating func insertParity(sequence: Int64, ssrc: UInt32, payload: UnsafeRawBufferPointer) throws(ULPFECError) {
        let header = try ULPFECPacket.parse(payload)
        let used = header.headerLength + header.protectionLength
        guard used <= maxPacketSize, 12 + header.protectionLength <= maxPacketSize else {
            throw .parityPastEnd(protectionLength: header.protectionLength, available: maxPacketSize - header.headerLength)
        }
        // The base is at or before the parity packet's own number (it follows what it protects).
        let back = Int64(UInt16(truncatingIfNeeded: sequence) &- header.sequenceBase)
        guard back <= Int64(mediaMask) else { throw .baseOutOfRange(back: Int(back)) }
        statistics.parityPacketsReceived += 1
        // Replace the oldest (or an empty) slot.
        var victim = 0
        for i in parity.indices where parity[i].sequence < parity[victim].sequence { victim = i }
        if parity[victim].sequence != .min { statistics.parityPacketsDiscarded += 1 }
        parity[victim] = ParitySlot(sequence: sequence, base: sequence - back, mask: header.mask,
                                    protectionLength: header.protectionLength, headerLength: header.headerLength, ssrc: ssrc)
        let base = victim * maxPacketSize
        parityBytes.withUnsafeMutableBytes { dst in
            UnsafeMutableRawBufferPointer(rebasing: dst[base..<(base + used)])
                .copyMemory(from: UnsafeRawBufferPointer(rebasing: payload[0..<used]))
        }
        pending = true
    }

    /// The next packet parity can rebuild now: its bytes replace `out`'s contents and its
    /// extended sequence number is returned. Nil when none can.
    public mutating func recover(into out: inout [UInt8]) -> Int64? {
        guard pending else { return nil }
        for p in parity.indices where parity[p].sequence != .min {
            let slot = parity[p]
            var missing: Int64 = .min
            var missingCount = 0
            var stale = false
            var m = slot.mask
            while m != 0 {
                let s = slot.base + Int64(m.trailingZeroBitCount)
                m &= m - 1
                let held = media[Int(s & Int64(mediaMask))].sequence
                if held == s { continue }
                if held > s { stale = true; break }
                missingCount += 1
                missing = s
            }
            if stale || missingCount == 0 {
                discard(p)
                continue
            }
            guard missingCount == 1 else { continue }
            parity[p].sequence = .min
            if rebuild(missing, from: slot, parityIndex: p, into: &out) {
                statistics.packetsRecovered += 1
                keep(out, as: missing)
                return missing
            }
            statistics.recoveriesFailed += 1
        }
        pending = false
        return nil
    }

    private mutating func discard(_ p: Int) {
        parity[p].sequence = .min
        statistics.parityPacketsDiscarded += 1
    }

    private func rebuild(_ missing: Int64, from slot: ParitySlot, parityIndex p: Int, into out: inout [UInt8]) -> Bool {
        let protection = slot.protectionLength
        out.removeAll(keepingCapacity: true)
        // A loop: appending `repeatElement` allocated per byte in the debug build.
        for _ in 0..<(12 + protection) { out.append(0) }
        // One closure, nothing captured by reference: a captured `var` is boxed on the heap.
        let length: Int? = out.withUnsafeMutableBytes { r in
            parityBytes.withUnsafeBytes { pb in
                mediaBytes.withUnsafeBytes { mb in
                    Self.xor(into: r, parity: pb, at: p * maxPacketSize, slot: slot, media: mb, slots: media,
                             mask: mediaMask, size: maxPacketSize, missing: missing)
                }
            }
        }
        guard let length, length + 12 <= 12 + protection else { return false }
        let total = length + 12
        out.removeLast(12 + protection - total)
        // Version 2; the sequence number and SSRC are the ones the parity names.
        out[0] = (out[0] | 0x80) & 0xBF
        let seq = UInt16(truncatingIfNeeded: missing)
        out[2] = UInt8(seq >> 8); out[3] = UInt8(truncatingIfNeeded: seq)
        out[8] = UInt8(slot.ssrc >> 24); out[9] = UInt8(truncatingIfNeeded: slot.ssrc >> 16)
        out[10] = UInt8(truncatingIfNeeded: slot.ssrc >> 8); out[11] = UInt8(truncatingIfNeeded: slot.ssrc)
        return true
    }

    /// The parity's recovery fields and bytes XORed with every other packet it covers, into
    /// `r`; returns the recovered length after the fixed header, nil when a packet is longer
    /// than the parity covers.
    private static func xor(into r: UnsafeMutableRawBufferPointer, parity pb: UnsafeRawBufferPointer, at f: Int,
                            slot: ParitySlot, media mb: UnsafeRawBufferPointer, slots: [MediaSlot], mask mediaMask: Int,
                            size: Int, missing: Int64) -> Int? {
        let protection = slot.protectionLength
        r[0] = pb[f]; r[1] = pb[f + 1]
        for k in 4..<8 { r[k] = pb[f + k] }
        var length = UInt16(pb[f + 8]) << 8 | UInt16(pb[f + 9])
        let parityStart = f + slot.headerLength
        for k in 0..<protection { r[12 + k] = pb[parityStart + k] }
        var m = slot.mask
        while m != 0 {
            let s = slot.base + Int64(m.trailingZeroBitCount)
            m &= m - 1
            guard s != missing else { continue }
            let i = Int(s & Int64(mediaMask))
            let n = slots[i].length
            guard n - 12 <= protection else { return nil }
            let base = i * size
            r[0] ^= mb[base]; r[1] ^= mb[base + 1]
            for k in 4..<8 { r[k] ^= mb[base + k] }
            length ^= UInt16(truncatingIfNeeded: n - 12)
            for k in 12..<n { r[k] ^= mb[base + k] }
        }
        return Int(length)
    }

    private mutating func keep(_ packet: [UInt8], as sequence: Int64) {
        guard packet.count <= maxPacketSize else { return }
        let index = Int(sequence & Int64(mediaMask))
        let base = index * maxPacketSize
        mediaBytes.withUnsafeMutableBytes { dst in
            packet.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: dst[base..<(base + packet.count)]).copyMemory(from: $0) }
        }
        media[index] = MediaSlot(sequence: sequence, length: packet.count)
    }
}
