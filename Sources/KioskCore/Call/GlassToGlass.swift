import Devices
import Media
import SessionDriver

/// Glass-to-glass latency, measured by the product: from the moment a frame was captured to
/// the moment it reached the screen. A synthetic camera draws its capture time into each frame
/// (`TestPattern`: wall-clock milliseconds modulo 10^9, on the same machine as the reader),
/// and so does the clinician page in its test mode; kioskd reads the stamps of the clinician's
/// frames it presents, at the page flip that shows them (off screen: when drawn), the page
/// reads the kiosk's at `requestVideoFrameCallback`'s expected display time.
public enum GlassToGlass {
    /// The wall clock's offset from the monotonic one: what a synthetic camera adds to its
    /// frames' times so their stamps read as wall-clock milliseconds.
    public static var stampOffsetNanos: Int64 { MonotonicClock.realtimeNanoseconds() - MonotonicClock.now().nanoseconds }

    /// Milliseconds from a stamp to `nowRealtimeNanos` (both modulo 10^9 ms).
    static func latencyMillis(stamp: Int64, nowRealtimeNanos: Int64) -> Int64 {
        let period: Int64 = 1_000_000_000
        return ((nowRealtimeNanos / 1_000_000 % period) - stamp % period + period) % period
    }

    /// What a stats reader gets: how many frames were measured and their median and 95th
    /// percentile (nil before any).
    public struct Summary: Codable, Equatable, Sendable {
        public var samples = 0
        public var p50Ms: Double?
        public var p95Ms: Double?
        public init() {}
    }

    /// The last `capacity` latencies (a minute of video), in a fixed ring.
    struct Recorder: Sendable {
        static let capacity = 1800
        /// Stamps read as more than this old are not a latency but a frame that is not stamped
        /// (digits that happened to match) or a clock far off: left out.
        static let plausibleMillis: Int64 = 10_000
        private var ring = [Int32](repeating: 0, count: capacity)
        private var next = 0
        private(set) var total = 0

        mutating func add(_ millis: Int64) {
            guard (0..<Self.plausibleMillis).contains(millis) else { return }
            ring[next] = Int32(millis)
            next = (next + 1) % Self.capacity
            total += 1
        }

        var summary: Summary {
            var s = Summary()
            s.samples = total
            let held = min(total, Self.capacity)
            guard held > 0 else { return s }
            let sorted = ring[0..<held].sorted()
            s.p50Ms = Double(sorted[(held - 1) / 2])
            s.p95Ms = Double(sorted[min(held - 1, held * 95 / 100)])
            return s
        }
    }

    /// The stamp in a presented frame, if it carries one.
    static func stamp(of frame: VideoFrame) -> Int64? { TestPattern.read(frame)?.millis }
}
