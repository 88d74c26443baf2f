import Media
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// What a camera was opened with, after negotiation with the device.
public struct CameraMode: Sendable, Equatable, Codable {
    public var width: Int
    public var height: Int
    /// Frames per second as a rational (V4L2 reports intervals such as 1001/30000).
    public var fpsNumerator: Int
    public var fpsDenominator: Int
    /// The device's pixel format as a fourcc string ("YUYV", "NV12", "MJPG", ...); "I420" for synthetic.
    public var pixelFormat: String

    public init(width: Int, height: Int, fpsNumerator: Int, fpsDenominator: Int = 1, pixelFormat: String) {
        self.width = width
        self.height = height
        self.fpsNumerator = fpsNumerator
        self.fpsDenominator = fpsDenominator
        self.pixelFormat = pixelFormat
    }

    public var fps: Double { fpsDenominator == 0 ? 0 : Double(fpsNumerator) / Double(fpsDenominator) }
}

/// What the caller asks for; the camera picks the nearest it supports.
public struct CameraRequest: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var fps: Int
    /// A fourcc to insist on (an error if the camera lacks it); nil lets the camera choose
    /// (YUYV, then NV12, then MJPEG, then YU12).
    public var pixelFormat: String?

    public init(width: Int = 640, height: Int = 480, fps: Int = 30, pixelFormat: String? = nil) {
        self.width = width
        self.height = height
        self.fps = fps
        self.pixelFormat = pixelFormat
    }
}

/// Delivery figures since start(): what the pre-call check and metrics show.
public struct CaptureStatistics: Sendable, Equatable {
    public var framesDelivered: Int = 0
    /// Frames the producer skipped (V4L2 sequence gaps; synthetic frames whose slot passed).
    public var framesDropped: Int = 0
    public var firstTimestampNanos: Int64?
    public var lastTimestampNanos: Int64?
    /// Time spent dequeuing, converting and requeueing (not waiting), summed over all frames.
    public var processingNanos: Int64 = 0

    public init() {}

    /// Mean CPU-side cost per delivered frame in milliseconds.
    public var processingMillisPerFrame: Double {
        framesDelivered == 0 ? 0 : Double(processingNanos) / Double(framesDelivered) / 1e6
    }

    /// Delivered frames per second between the first and the last frame's timestamps.
    public var deliveredFPS: Double {
        guard let a = firstTimestampNanos, let b = lastTimestampNanos, b > a, framesDelivered > 1 else { return 0 }
        return Double(framesDelivered - 1) * 1e9 / Double(b - a)
    }

    mutating func record(timestampNanos: Int64, dropped: Int) {
        framesDelivered += 1
        framesDropped += dropped
        if firstTimestampNanos == nil { firstTimestampNanos = timestampNanos }
        lastTimestampNanos = timestampNanos
    }
}

/// A source of I420 pictures. Real (V4L2) and synthetic cameras share it. One owner drives
/// it from one thread; it is not safe to call from two threads at once.
public protocol Camera: AnyObject {
    /// Stable identity (see docs/devices.md): survives reboots and replugging into the same port.
    var id: String { get }
    var mode: CameraMode { get }
    var statistics: CaptureStatistics { get }
    func start() throws(DeviceError)
    func stop()
    /// The next frame. A real camera waits up to `timeoutMillis` for the device (nil on
    /// timeout) and stamps frames with the driver's monotonic timestamp; a synthetic camera
    /// never waits and returns the frame due at `now` (nanoseconds, caller's monotonic clock).
    func nextFrame(now: Int64, timeoutMillis: Int) throws(DeviceError) -> VideoFrame?
    /// Appends the descriptors that turn ready when `nextFrame` has a frame (a V4L2 node's):
    /// a capture loop waits on them instead of on a timer. None: the camera has no descriptor.
    func appendPollDescriptors(to fds: inout [pollfd])
    /// The monotonic time by which `nextFrame` should be called again whatever the
    /// descriptors say (a synthetic frame's slot, a reconnect attempt); nil: no such time.
    var nextWakeNanos: Int64? { get }
    /// The camera delivers: false while a camera that survives unplugging is away.
    var isAvailable: Bool { get }
}

/// A source of 20 ms blocks of 16-bit PCM.
public protocol Microphone: AnyObject {
    var id: String { get }
    var sampleRate: Int { get }
    var channels: Int { get }
    func start() throws(DeviceError)
    func stop()
    /// The next 20 ms frame: a real microphone waits up to `timeoutMillis` (nil on timeout); a
    /// synthetic one returns the frame due at `now` (nanoseconds) without waiting.
    func read(now: Int64, timeoutMillis: Int) throws(DeviceError) -> AudioFrame?
    /// As the camera's: what a capture loop waits on. With neither descriptors nor a wake
    /// time, `read` itself waits for the device (ALSA in snd_pcm_wait, PulseAudio in its blocking read).
    func appendPollDescriptors(to fds: inout [pollfd])
    var nextWakeNanos: Int64? { get }
}

/// A sink for 16-bit PCM. `write` blocks only as long as the device's buffer is full.
public protocol Speaker: AnyObject {
    var id: String { get }
    var sampleRate: Int { get }
    var channels: Int { get }
    func start() throws(DeviceError)
    func stop()
    func write(_ frame: AudioFrame) throws(DeviceError)
    /// `write` waits while the device's buffer is full, so the device's clock paces whoever
    /// writes (ALSA, PulseAudio). A sink that takes everything at once (synthetic) is paced
    /// by its writer's own timer.
    var pacesWrites: Bool { get }
    /// Times the device ran dry and was restarted (ALSA's xruns); 0 where the device cannot tell.
    var underruns: Int { get }
}

extension Camera {
    public func appendPollDescriptors(to fds: inout [pollfd]) {}
    public var nextWakeNanos: Int64? { nil }
    public var isAvailable: Bool { true }
}

extension Microphone {
    public func appendPollDescriptors(to fds: inout [pollfd]) {}
    public var nextWakeNanos: Int64? { nil }
}

extension Speaker {
    public var pacesWrites: Bool { false }
    public var underruns: Int { 0 }
}
