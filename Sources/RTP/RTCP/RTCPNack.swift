import SessionCore

/// Generic NACK (RFC 4585 §6.2.1): each FCI entry names a lost packet (PID) and, in a bitmask
/// (BLP), which of the 16 packets after it are lost too.
public struct RTCPNack: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var packetID: UInt16
        /// Bit i set: packet `packetID + i + 1` is lost as well.
        public var lostBitmask: UInt16

        public init(packetID: UInt16, lostBitmask: UInt16) {
            self.packetID = packetID
            self.lostBitmask = lostBitmask
        }
    }

    public var senderSSRC: UInt32
    public var mediaSSRC: UInt32
    public var entries: [Entry]

    public init(senderSSRC: UInt32, mediaSSRC: UInt32, entries: [Entry]) {
        self.senderSSRC = senderSSRC
        self.mediaSSRC = mediaSSRC
        self.entries = entries
    }

    /// Packs lost sequence numbers, given oldest first, into as few entries as the order allows.
    public init(senderSSRC: UInt32, mediaSSRC: UInt32, lost: some Sequence<UInt16>) {
        self.senderSSRC = senderSSRC
        self.mediaSSRC = mediaSSRC
        var entries: [Entry] = []
        for seq in lost {
            if var last = entries.last {
                let d = RTPSequence.distance(from: last.packetID, to: seq)
                if d == 0 { continue }
                if (1...16).contains(d) {
                    last.lostBitmask |= 1 << UInt16(d - 1)
                    entries[entries.count - 1] = last
                    continue
                }
            }
            entries.append(Entry(packetID: seq, lostBitmask: 0))
        }
        self.entries = entries
    }

    /// Every sequence number the packet reports lost, in entry order.
    public func forEachLost(_ body: (UInt16) -> Void) {
        for e in entries {
            body(e.packetID)
            for bit in 0..<16 where e.lostBitmask & (1 << UInt16(bit)) != 0 {
                body(e.packetID &+ UInt16(bit + 1))
            }
        }
    }

    public var lostSequenceNumbers: [UInt16] {
        var out: [UInt16] = []
        forEachLost { out.append($0) }
        return out
    }

    static func parse(body: UnsafeRawBufferPointer) throws(RTCPError) -> RTCPNack {
        var r = ByteReader(body)
        guard let sender = r.u32(), let media = r.u32() else { throw .truncatedPacket(packetType: RTCPPacketType.transportFeedback) }
        var entries: [Entry] = []
        entries.reserveCapacity(r.remaining / 4)
        while r.remaining >= 4, let pid = r.u16(), let blp = r.u16() {
            entries.append(Entry(packetID: pid, lostBitmask: blp))
        }
        return RTCPNack(senderSSRC: sender, mediaSSRC: media, entries: entries)
    }

    public func write(to out: inout [UInt8]) {
        let start = RTCPHeaderWriter.begin(count: RTCPFeedbackFormat.genericNack, packetType: RTCPPacketType.transportFeedback, out: &out)
        out.appendU32(senderSSRC)
        out.appendU32(mediaSSRC)
        for e in entries {
            out.appendU16(e.packetID)
            out.appendU16(e.lostBitmask)
        }
        RTCPHeaderWriter.end(start: start, out: &out)
    }
}
