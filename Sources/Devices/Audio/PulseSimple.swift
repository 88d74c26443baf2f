import CPulse
import Media
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// A PulseAudio (or PipeWire-pulse) stream through pa_simple: S16LE, 48 kHz, 20 ms fragments.
/// Calls block for at most one fragment.
final class PulseStream {
    let device: String
    let capture: Bool
    let sampleRate: Int
    let channels: Int
    private let stream: OpaquePointer

    /// `server` nil means the default server ($PULSE_SERVER, then the user's socket);
    /// `device` nil means the default source or sink. No server gives `.pulse(... "connect" ...)`.
    init(server: String?, device: String?, capture: Bool, sampleRate: Int, channels: Int, name: String) throws(DeviceError) {
        var spec = pa_sample_spec(format: PA_SAMPLE_S16LE, rate: UInt32(sampleRate), channels: UInt8(channels))
        let fragment = UInt32(sampleRate / 50 * channels * 2)
        var attr = pa_buffer_attr(maxlength: UInt32.max, tlength: capture ? UInt32.max : fragment * 4,
                                  prebuf: UInt32.max, minreq: UInt32.max, fragsize: capture ? fragment : UInt32.max)
        var error: Int32 = 0
        let label = device ?? (capture ? "default source" : "default sink")
        guard let s = pa_simple_new(server, "kioskd", capture ? PA_STREAM_RECORD : PA_STREAM_PLAYBACK, device, name,
                                    &spec, nil, &attr, &error) else {
            throw Self.error(error, device: label, operation: "connect")
        }
        stream = s
        self.device = label
        self.capture = capture
        self.sampleRate = sampleRate
        self.channels = channels
    }

    deinit { pa_simple_free(stream) }

    static func error(_ code: Int32, device: String, operation: String) -> DeviceError {
        let message = pa_strerror(code).map { String(cString: $0) } ?? "error \(code)"
        if code == Int32(PA_ERR_NOENTITY.rawValue) { return .notFound(device: device) }
        if code == Int32(PA_ERR_ACCESS.rawValue) { return .permissionDenied(device: device) }
        return .pulse(device: device, operation: operation, code: code, message: message)
    }

    func read(into buffer: inout [Int16]) throws(DeviceError) {
        var error: Int32 = 0
        let rc = buffer.withUnsafeMutableBytes { pa_simple_read(stream, $0.baseAddress, $0.count, &error) }
        if rc < 0 { throw Self.error(error, device: device, operation: "read") }
    }

    func write(_ samples: [Int16]) throws(DeviceError) {
        var error: Int32 = 0
        let rc = samples.withUnsafeBytes { pa_simple_write(stream, $0.baseAddress, $0.count, &error) }
        if rc < 0 { throw Self.error(error, device: device, operation: "write") }
    }

    func drain() {
        var error: Int32 = 0
        _ = pa_simple_drain(stream, &error)
    }
}

/// A PulseAudio source (e.g. "alsa_input...", "null.monitor") as a `Microphone`.
public final class PulseMicrophone: Microphone {
    public let id: String
    public let sampleRate: Int
    public let channels: Int
    private let stream: PulseStream
    private var buffer: [Int16]
    private var running = false

    public init(server: String? = nil, device: String? = nil, sampleRate: Int = 48_000, channels: Int = 1) throws(DeviceError) {
        stream = try PulseStream(server: server, device: device, capture: true, sampleRate: sampleRate, channels: channels,
                                 name: "kioskd microphone")
        id = "pulse:\(device ?? "default")"
        self.sampleRate = sampleRate
        self.channels = channels
        buffer = [Int16](repeating: 0, count: sampleRate / 50 * channels)
    }

    public func start() throws(DeviceError) { running = true }
    public func stop() { running = false }

    /// Blocks until 20 ms are recorded (pa_simple has no timeout; the server delivers every 20 ms).
    public func read(now: Int64 = 0, timeoutMillis: Int = 20) throws(DeviceError) -> AudioFrame? {
        guard running else { throw .notStarted(device: stream.device) }
        try stream.read(into: &buffer)
        return AudioFrame(sampleRate: sampleRate, channels: channels, samples: buffer, timestampNanos: ALSAPCM.monotonicNanos())
    }
}

/// A PulseAudio sink as a `Speaker`.
public final class PulseSpeaker: Speaker {
    public let id: String
    public let sampleRate: Int
    public let channels: Int
    private let stream: PulseStream
    private var running = false

    public init(server: String? = nil, device: String? = nil, sampleRate: Int = 48_000, channels: Int = 1) throws(DeviceError) {
        stream = try PulseStream(server: server, device: device, capture: false, sampleRate: sampleRate, channels: channels,
                                 name: "kioskd speaker")
        id = "pulse:\(device ?? "default")"
        self.sampleRate = sampleRate
        self.channels = channels
    }

    public var pacesWrites: Bool { true }

    public func start() throws(DeviceError) { running = true }

    public func stop() {
        if running { stream.drain() }
        running = false
    }

    public func write(_ frame: AudioFrame) throws(DeviceError) {
        guard running else { throw .notStarted(device: stream.device) }
        guard frame.channels == channels, frame.sampleRate == sampleRate else {
            throw .conversionFailed(device: stream.device, reason: "frame is \(frame.sampleRate) Hz \(frame.channels) ch, stream \(sampleRate) Hz \(channels) ch")
        }
        try stream.write(frame.samples)
    }
}
