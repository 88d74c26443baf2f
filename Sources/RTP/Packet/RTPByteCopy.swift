extension Array where Element == UInt8 {
    /// Appends raw bytes with one memory copy. `append(contentsOf:)` on an
    /// `UnsafeRawBufferPointer` goes element by element, several times slower for a packet.
    package mutating func rtpAppend(_ bytes: UnsafeRawBufferPointer) {
        guard !bytes.isEmpty else { return }
        bytes.withMemoryRebound(to: UInt8.self) { append(contentsOf: $0) }
    }

    /// Appends `count` bytes written by `fill` in one copy, from a stack buffer: cheaper than
    /// one `append` per byte for headers.
    mutating func rtpAppend(count: Int, _ fill: (UnsafeMutableBufferPointer<UInt8>) -> Void) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: count) { buffer in
            buffer.initialize(repeating: 0)
            fill(buffer)
            append(contentsOf: buffer)
        }
    }
}

extension UnsafeMutableBufferPointer where Element == UInt8 {
    /// Big-endian store; callers keep `offset + 4 <= count`.
    func rtpStore(_ v: UInt32, at offset: Int) {
        self[offset] = UInt8(truncatingIfNeeded: v >> 24)
        self[offset + 1] = UInt8(truncatingIfNeeded: v >> 16)
        self[offset + 2] = UInt8(truncatingIfNeeded: v >> 8)
        self[offset + 3] = UInt8(truncatingIfNeeded: v)
    }
}
