@testable import RTPStreams
import Testing

@Suite struct StreamJitterBufferTests {
    /// One single-packet VP8 frame payload.
    private func vp8(key: Bool, _ tag: UInt8) -> [UInt8] { [0x10, key ? 0x50 : 0x51, tag] }

    private func insert(_ jb: inout RTPVideoJitterBuffer, seq: Int64, ts: UInt32, key: Bool, at ms: Int64) throws {
        _ = try vp8(key: key, UInt8(truncatingIfNeeded: seq)).withUnsafeBytes { raw in
            try jb.insert(extendedSequence: seq, timestamp: ts, marker: true, payload: raw, at: .rtpMS(ms))
        }
    }

    private func wantsKeyframe(_ jb: inout RTPVideoJitterBuffer) -> Bool { jb.takeKeyframeRequest() }

    private func drain(_ jb: inout RTPVideoJitterBuffer, at ms: Int64) -> [RTPVideoJitterEvent] {
        var out: [UInt8] = []
        var events: [RTPVideoJitterEvent] = []
        while let e = jb.pop(at: .rtpMS(ms), into: &out) { events.append(e) }
        return events
    }

    private func kinds(_ events: [RTPVideoJitterEvent]) -> [String] {
        events.map {
            switch $0 {
            case .frame(let f): return "frame\(f.firstSequence)\(f.isKeyframe ? "K" : "")"
            case .dropped(let d): return "drop\(d.sequences.lowerBound):\(d.reason)"
            }
        }
    }

    @Test func lossHoldsLaterFramesThenDropsUntilTheNextKeyframe() throws {
        var jb = RTPVideoJitterBuffer(maxDelay: .milliseconds(150))
        try insert(&jb, seq: 0, ts: 0, key: true, at: 0)
        #expect(kinds(drain(&jb, at: 0)) == ["frame0K"])
        // Seq 1 is lost; 2 and 3 wait behind it.
        try insert(&jb, seq: 2, ts: 6000, key: false, at: 66)
        try insert(&jb, seq: 3, ts: 9000, key: false, at: 100)
        #expect(drain(&jb, at: 100).isEmpty)
        #expect(jb.deadline == .rtpMS(216))
        #expect(!wantsKeyframe(&jb))
        #expect(drain(&jb, at: 215).isEmpty)
        // The deadline passes: the hole is given up, and the delta frames behind it too.
        #expect(kinds(drain(&jb, at: 216)) == ["drop1:incomplete", "drop2:missingReference", "drop3:missingReference"])
        #expect(wantsKeyframe(&jb))
        #expect(!wantsKeyframe(&jb))
        try insert(&jb, seq: 4, ts: 12000, key: false, at: 230)
        #expect(kinds(drain(&jb, at: 230)) == ["drop4:missingReference"])
        try insert(&jb, seq: 5, ts: 15000, key: true, at: 260)
        try insert(&jb, seq: 6, ts: 18000, key: false, at: 290)
        #expect(kinds(drain(&jb, at: 290)) == ["frame5K", "frame6"])
        #expect(!jb.waitingForKeyframe)
    }

    @Test func aLatePacketWithinTheDeadlineCompletesTheFrame() throws {
        var jb = RTPVideoJitterBuffer()
        try insert(&jb, seq: 10, ts: 0, key: true, at: 0)
        try insert(&jb, seq: 12, ts: 6000, key: false, at: 60)
        #expect(kinds(drain(&jb, at: 60)) == ["frame10K"])
        try insert(&jb, seq: 11, ts: 3000, key: false, at: 120)
        #expect(kinds(drain(&jb, at: 120)) == ["frame11", "frame12"])
        #expect(!wantsKeyframe(&jb))
    }

    @Test func aStreamThatStartsWithDeltaFramesAsksForAKeyframe() throws {
        var jb = RTPVideoJitterBuffer()
        try insert(&jb, seq: 0, ts: 0, key: false, at: 0)
        #expect(kinds(drain(&jb, at: 0)) == ["drop0:missingReference"])
        #expect(wantsKeyframe(&jb))
    }

    @Test func audioComesOutInOrderAndGapsAreReportedAfterTheDelay() {
        var jb = RTPAudioJitterBuffer(delay: .milliseconds(40))
        var out: [UInt8] = []
        func put(_ seq: Int64, at ms: Int64) -> RTPAudioJitterBuffer.InsertResult {
            [UInt8(seq)].withUnsafeBytes { jb.insert(extendedSequence: seq, timestamp: UInt32(seq * 960), marker: false, payload: $0, at: .rtpMS(ms)) }
        }
        func drain(at ms: Int64) -> [String] {
            var r: [String] = []
            while let e = jb.pop(at: .rtpMS(ms), into: &out) {
                switch e {
                case .packet(let p): r.append("p\(p.sequence):\(out)")
                case .gap(let n): r.append("gap\(n)")
                }
            }
            return r
        }
        #expect(put(0, at: 0) == .inserted)
        #expect(drain(at: 0) == ["p0:[0]"])
        // 2 before 1: reordered, 1 arrives within the delay.
        _ = put(2, at: 40)
        #expect(drain(at: 40).isEmpty)
        _ = put(1, at: 45)
        #expect(drain(at: 45) == ["p1:[1]", "p2:[2]"])
        // 3 never comes.
        _ = put(4, at: 80)
        #expect(jb.deadline == .rtpMS(120))
        #expect(drain(at: 119).isEmpty)
        #expect(drain(at: 120) == ["gap1", "p4:[4]"])
        #expect(put(3, at: 130) == .late)
        #expect(put(5, at: 140) == .inserted && put(5, at: 141) == .duplicate)
    }

    @Test func audioPaddingPacketsAreSkippedSilently() {
        var jb = RTPAudioJitterBuffer()
        var out: [UInt8] = []
        for (seq, payload) in [(Int64(0), [UInt8(1)]), (1, []), (2, [3])] {
            _ = payload.withUnsafeBytes { jb.insert(extendedSequence: seq, timestamp: 0, marker: false, payload: $0, at: .zero) }
        }
        var events: [RTPAudioJitterEvent] = []
        while let e = jb.pop(at: .zero, into: &out) { events.append(e) }
        #expect(events.count == 2)
        #expect(events.allSatisfy { if case .packet = $0 { return true } else { return false } })
        #expect(out == [3])
    }

    @Test func audioJumpBeyondCapacityIsOneGap() {
        var jb = RTPAudioJitterBuffer(delay: .milliseconds(40), capacity: 16)
        var out: [UInt8] = []
        _ = [UInt8(0)].withUnsafeBytes { jb.insert(extendedSequence: 0, timestamp: 0, marker: false, payload: $0, at: .zero) }
        _ = jb.pop(at: .zero, into: &out)
        _ = [UInt8(1)].withUnsafeBytes { jb.insert(extendedSequence: 1000, timestamp: 0, marker: true, payload: $0, at: .zero) }
        #expect(jb.pop(at: .zero, into: &out) == .gap(lostPackets: 999))
        guard case .packet(let p) = jb.pop(at: .zero, into: &out) else { Issue.record("no packet"); return }
        #expect(p.sequence == 1000 && p.marker)
    }
}
