import Media

/// A camera that draws `TestPattern` at the requested size and rate. It never reads a clock:
/// the caller passes `now`, and frame n is due at start + n / fps. Same inputs, same frames.
public final class SyntheticCamera: Camera {
    public let id: String
    public let mode: CameraMode
    public private(set) var statistics = CaptureStatistics()
    private var originNanos: Int64?
    private var nextIndex = 0
    private var running = false
    /// Added to each frame's time for the stamp drawn into it: set to the wall clock's
    /// offset from the caller's monotonic clock, the stamps read as wall-clock milliseconds
    /// that a browser on the same machine can compare with its own (glass-to-glass latency).
    public var stampOffsetNanos: Int64 = 0

    public init(request: CameraRequest = CameraRequest(), id: String = "synthetic") {
        self.id = id
        // I420 needs even sizes for whole chroma samples; keep the request otherwise.
        mode = CameraMode(width: max(2, request.width & ~1), height: max(2, request.height & ~1),
                          fpsNumerator: max(1, request.fps), pixelFormat: "I420")
    }

    public func start() throws(DeviceError) {
        running = true
        originNanos = nil
        nextIndex = 0
        statistics = CaptureStatistics()
    }

    public func stop() { running = false }

    /// When the next frame is due (nil before the first call after start()).
    public var nextDeadlineNanos: Int64? {
        originNanos.map { $0 + frameTime(nextIndex) }
    }

    public var nextWakeNanos: Int64? { nextDeadlineNanos }

    public func nextFrame(now: Int64, timeoutMillis: Int = 0) throws(DeviceError) -> VideoFrame? {
        guard running else { throw .notStarted(device: id) }
        let origin = originNanos ?? now
        originNanos = origin
        guard now >= origin + frameTime(nextIndex) else { return nil }
        // The latest slot that has passed; slots skipped because the caller was late are drops.
        var index = nextIndex
        while now >= origin + frameTime(index + 1) { index += 1 }
        let timestamp = origin + frameTime(index)
        statistics.record(timestampNanos: timestamp, dropped: index - nextIndex)
        nextIndex = index + 1
        return TestPattern.render(index: index, timestampNanos: timestamp, stampNanos: timestamp &+ stampOffsetNanos,
                                  width: mode.width, height: mode.height)
    }

    private func frameTime(_ index: Int) -> Int64 {
        Int64(index) * 1_000_000_000 * Int64(mode.fpsDenominator) / Int64(mode.fpsNumerator)
    }
}
