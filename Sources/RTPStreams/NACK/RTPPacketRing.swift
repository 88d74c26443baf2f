import SessionCore

/// The last N packets sent, by sequence number, in one preallocated block: what a NACK is
/// answered from (the original packet is resent as is; no RTX is negotiated).
struct RTPPacketRing {
    private struct Slot {
        var sequence: UInt16 = 0
        var valid = false
        var length = 0
        var lastSent: Instant?
        /// False for parity: kept only until it is polled, never resent or probed with.
        var resendable = true
    }

    let capacity: Int
    let slotSize: Int
    private var slots: [Slot]
    private var storage: [UInt8]

    /// - Parameter capacity: a power of two ≤ 32768, so a slot index is the low bits of the
    ///   sequence number and wrap-around keeps each number in its own slot.
    init(capacity: Int, slotSize: Int) {
        var c = 1
        while c < capacity, c < 32_768 { c <<= 1 }
        self.capacity = c
        self.slotSize = slotSize
        slots = [Slot](repeating: Slot(), count: c)
        storage = [UInt8](repeating: 0, count: c * slotSize)
    }

    private func index(_ seq: UInt16) -> Int { Int(seq) & (capacity - 1) }

    /// Stores a packet (callers keep `packet.count <= slotSize`; longer packets are not stored).
    mutating func store(_ seq: UInt16, _ packet: [UInt8], sentAt now: Instant, resendable: Bool = true) {
        let i = index(seq)
        guard packet.count <= slotSize else { slots[i].valid = false; return }
        slots[i] = Slot(sequence: seq, valid: true, length: packet.count, lastSent: now, resendable: resendable)
        let base = i * slotSize
        storage.withUnsafeMutableBytes { dst in
            packet.withUnsafeBytes { src in
                UnsafeMutableRawBufferPointer(rebasing: dst[base..<(base + src.count)]).copyMemory(from: src)
            }
        }
    }

    func contains(_ seq: UInt16) -> Bool {
        let s = slots[index(seq)]
        return s.valid && s.sequence == seq
    }

    /// Held, and media (a NACK or a probe may send it again).
    func isResendable(_ seq: UInt16) -> Bool {
        contains(seq) && slots[index(seq)].resendable
    }

    func lastSent(_ seq: UInt16) -> Instant? {
        contains(seq) ? slots[index(seq)].lastSent : nil
    }

    mutating func markSent(_ seq: UInt16, at now: Instant) {
        if contains(seq) { slots[index(seq)].lastSent = now }
    }

    /// Replaces `out`'s contents with the stored packet; false when it is no longer held.
    func copy(_ seq: UInt16, into out: inout [UInt8]) -> Bool {
        guard contains(seq) else { return false }
        let i = index(seq)
        let base = i * slotSize
        out.removeAll(keepingCapacity: true)
        storage.withUnsafeBytes { src in
            out.rtpAppend(UnsafeRawBufferPointer(rebasing: src[base..<(base + slots[i].length)]))
        }
        return true
    }

    /// The stored length of `seq`, nil when the ring no longer holds it.
    func length(_ seq: UInt16) -> Int? {
        let s = slots[index(seq)]
        return s.valid && s.sequence == seq ? s.length : nil
    }

    var storageCapacity: Int { storage.capacity }
}
