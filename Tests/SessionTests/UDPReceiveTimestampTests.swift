import SessionCore
@testable import SessionDriver
import Testing
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Each datagram carries the kernel's arrival time (SO_TIMESTAMPNS), so the transport-wide
/// feedback reports when a packet came, not when the engine thread read it.
@Suite struct UDPReceiveTimestampTests {
    @Test func aDatagramCarriesTheKernelsArrivalTime() throws {
        let loopback = try #require(TransportAddress(host: "127.0.0.1", port: 0))
        let a = try UDPSocket(bindTo: loopback), b = try UDPSocket(bindTo: loopback)
        let before = MonotonicClock.realtimeNanoseconds()
        let payload: [UInt8] = [1, 2, 3, 4]
        #expect(payload.withUnsafeBytes { a.send($0, to: b.localAddress) })
        var fds = [pollfd(fd: b.fd, events: Int16(POLLIN), revents: 0)]
        #expect(poll(&fds, 1, 2000) == 1)
        let after = MonotonicClock.realtimeNanoseconds()
        var buffer = [UInt8](repeating: 0, count: 64)
        let got = try #require(buffer.withUnsafeMutableBytes { b.receive(into: $0) })
        #expect(got.count == 4 && Array(buffer[0..<4]) == payload && got.from == a.localAddress)
        let stamp = try #require(got.arrival, "the kernel stamped it")
        // The kernel's stamp and the vDSO's reading can disagree by microseconds in a VM (up to
        // 5.4 µs after the later reading, one in ten, on the lab's machines): a millisecond of slack.
        #expect(stamp >= before - 1_000_000 && stamp <= after + 1_000_000)
        #expect(buffer.withUnsafeMutableBytes { b.receive(into: $0) } == nil, "nothing else waiting")
    }

    /// The stamp becomes an `Instant` on the engine's clock: how long ago it came, back from
    /// `now`; `now` itself when there is none, or it is in the future or a second old (the wall
    /// clock was stepped between the two readings).
    @Test func anArrivalStampIsPlacedOnTheMonotonicClock() {
        let now = Instant(nanoseconds: 50_000_000_000)
        let real: Int64 = 1_800_000_000_000_000_000
        #expect(MonotonicClock.arrival(real - 3_000_000, now: now, realtime: real) == now - .milliseconds(3))
        #expect(MonotonicClock.arrival(nil, now: now, realtime: real) == now)
        #expect(MonotonicClock.arrival(real + 1, now: now, realtime: real) == now)
        #expect(MonotonicClock.arrival(real - 1_000_000_000, now: now, realtime: real) == now)
    }

    /// Control messages are walked by their lengths; another message before the timestamp
    /// is skipped, a truncated one ends the walk.
    @Test func theTimestampIsFoundAmongTheControlMessages() {
        func message(level: Int32, type: Int32, data: [UInt8]) -> [UInt8] {
            var m: [UInt8] = []
            withUnsafeBytes(of: 16 + data.count) { m += $0 }
            withUnsafeBytes(of: level) { m += $0 }
            withUnsafeBytes(of: type) { m += $0 }
            m += data
            while m.count % 8 != 0 { m.append(0) }
            return m
        }
        var spec: [UInt8] = []
        withUnsafeBytes(of: Int64(12)) { spec += $0 }
        withUnsafeBytes(of: Int64(345)) { spec += $0 }
        let other = message(level: 0, type: 8, data: [1, 2, 3, 4])
        let stamp = message(level: SOL_SOCKET, type: UDPSocket.soTimestampNS, data: spec)
        #expect((other + stamp).withUnsafeBytes { UDPSocket.timestamp(in: $0) } == 12_000_000_345)
        #expect(other.withUnsafeBytes { UDPSocket.timestamp(in: $0) } == nil)
        #expect(Array((other + stamp).prefix(30)).withUnsafeBytes { UDPSocket.timestamp(in: $0) } == nil)
    }
}
