import CALSA
import Media
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// An open ALSA PCM (S16_LE interleaved) in non-blocking mode: reads and writes wait with
/// `snd_pcm_wait` up to a timeout and recover from xruns (counted in `xruns`).
final class ALSAPCM {
    let device: String
    let capture: Bool
    let sampleRate: Int
    let channels: Int
    private(set) var xruns = 0
    private let pcm: OpaquePointer

    init(device: String, capture: Bool, sampleRate: Int, channels: Int, latencyMicros: Int = 80_000) throws(DeviceError) {
        _ = kiosk_alsa_silence_errors()
        var handle: OpaquePointer?
        // NONBLOCK also makes a busy hw: device fail at once with EBUSY instead of waiting.
        var rc = snd_pcm_open(&handle, device, capture ? SND_PCM_STREAM_CAPTURE : SND_PCM_STREAM_PLAYBACK, SND_PCM_NONBLOCK)
        guard rc >= 0, let handle else { throw Self.openError(rc, device: device) }
        rc = snd_pcm_set_params(handle, SND_PCM_FORMAT_S16_LE, SND_PCM_ACCESS_RW_INTERLEAVED, UInt32(channels),
                                UInt32(sampleRate), 1, UInt32(latencyMicros))
        guard rc >= 0 else {
            snd_pcm_close(handle)
            throw Self.error(rc, device: device, operation: "set_params(\(sampleRate) Hz, \(channels) ch)")
        }
        pcm = handle
        self.device = device
        self.capture = capture
        self.sampleRate = sampleRate
        self.channels = channels
    }

    deinit { snd_pcm_close(pcm) }

    static func openError(_ rc: Int32, device: String) -> DeviceError {
        switch -rc {
        case ENOENT, ENODEV, ENXIO: return .notFound(device: device)
        case EBUSY: return .busy(device: device)
        case EACCES, EPERM: return .permissionDenied(device: device)
        default: return error(rc, device: device, operation: "open")
        }
    }

    static func error(_ rc: Int32, device: String, operation: String) -> DeviceError {
        switch -rc {
        case ENODEV: return .vanished(device: device)
        default: return .alsa(device: device, operation: operation, code: rc, message: String(cString: snd_strerror(rc)))
        }
    }

    func start() throws(DeviceError) {
        var rc = snd_pcm_prepare(pcm)
        if rc >= 0, capture { rc = snd_pcm_start(pcm) }
        if rc < 0 { throw Self.error(rc, device: device, operation: "start") }
    }

    func drop() { snd_pcm_drop(pcm) }


    /// Lets queued playback finish (blocking), then stops.
    func drain() {
        snd_pcm_nonblock(pcm, 0)
        snd_pcm_drain(pcm)
        snd_pcm_nonblock(pcm, 1)
    }

    /// Reads into `buffer[filled...]` until it is full or `timeoutMillis` passed; returns the new fill level (samples).
    func read(into buffer: inout [Int16], filled: Int, timeoutMillis: Int) throws(DeviceError) -> Int {
        var filled = filled
        let deadline = Self.monotonicMillis() + timeoutMillis
        while filled < buffer.count {
            let framesWanted = (buffer.count - filled) / channels
            let n = buffer.withUnsafeMutableBufferPointer { p in
                snd_pcm_readi(pcm, p.baseAddress! + filled, snd_pcm_uframes_t(framesWanted))  // non-empty: filled < count
            }
            if n > 0 { filled += Int(n) * channels; continue }
            if n == 0 || n == -Int(EAGAIN) {
                let left = deadline - Self.monotonicMillis()
                if left <= 0 { break }
                try wait(left)
                continue
            }
            try recover(Int32(n), operation: "read")
        }
        return filled
    }

    /// Writes all of `samples`, waiting for room up to `timeoutMillis` at a time.
    func write(_ samples: [Int16], timeoutMillis: Int = 1000) throws(DeviceError) {
        var offset = 0
        while offset < samples.count {
            let n = samples.withUnsafeBufferPointer { p in
                snd_pcm_writei(pcm, p.baseAddress! + offset, snd_pcm_uframes_t((samples.count - offset) / channels))  // non-empty: offset < count
            }
            if n > 0 { offset += Int(n) * channels; continue }
            if n == 0 || n == -Int(EAGAIN) {
                let rc = snd_pcm_wait(pcm, Int32(timeoutMillis))
                if rc == 0 { throw .system(device: device, operation: "write (device not consuming)", errno: ETIMEDOUT) }
                if rc < 0 { try recover(rc, operation: "wait") }
                continue
            }
            try recover(Int32(n), operation: "write")
        }
    }

    private func wait(_ millis: Int) throws(DeviceError) {
        let rc = snd_pcm_wait(pcm, Int32(clamping: millis))
        if rc < 0 { try recover(rc, operation: "wait") }
    }

    /// Overrun/underrun (EPIPE) and suspend (ESTRPIPE) are recovered and counted; anything else is thrown.
    private func recover(_ rc: Int32, operation: String) throws(DeviceError) {
        guard rc == -EPIPE || rc == -ESTRPIPE else { throw Self.error(rc, device: device, operation: operation) }
        xruns += 1
        let r = snd_pcm_recover(pcm, rc, 1)
        if r < 0 { throw Self.error(r, device: device, operation: "recover") }
        if capture { _ = snd_pcm_start(pcm) }
    }

    static func monotonicMillis() -> Int {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return ts.tv_sec * 1000 + ts.tv_nsec / 1_000_000
    }

    static func monotonicNanos() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }
}

/// An ALSA capture device ("default", "hw:CARD=Loopback,DEV=1", "plughw:1,0", ...) giving 20 ms
/// frames. It offers its loop no descriptors: `read` waits in `snd_pcm_wait` (a poll on the
/// PCM's own descriptors, whose readiness only ALSA can interpret for plugins like dsnoop)
/// until a whole frame is in, so its loop turns once per 20 ms.
public final class ALSAMicrophone: Microphone {
    public let id: String
    public let sampleRate: Int
    public let channels: Int
    private let pcm: ALSAPCM
    private var buffer: [Int16]
    private var filled = 0
    private var running = false

    public init(device: String = "default", sampleRate: Int = 48_000, channels: Int = 1, latencyMillis: Int = 80) throws(DeviceError) {
        pcm = try ALSAPCM(device: device, capture: true, sampleRate: sampleRate, channels: channels,
                          latencyMicros: latencyMillis * 1000)
        id = "alsa:\(device)"
        self.sampleRate = sampleRate
        self.channels = channels
        buffer = [Int16](repeating: 0, count: sampleRate / 50 * channels)
    }

    /// Overruns recovered since open.
    public var xruns: Int { pcm.xruns }

    public func start() throws(DeviceError) {
        try pcm.start()
        filled = 0
        running = true
    }

    public func stop() {
        pcm.drop()
        running = false
    }

    public func read(now: Int64 = 0, timeoutMillis: Int) throws(DeviceError) -> AudioFrame? {
        guard running else { throw .notStarted(device: pcm.device) }
        filled = try pcm.read(into: &buffer, filled: filled, timeoutMillis: timeoutMillis)
        guard filled == buffer.count else { return nil }
        filled = 0
        return AudioFrame(sampleRate: sampleRate, channels: channels, samples: buffer, timestampNanos: ALSAPCM.monotonicNanos())
    }
}

/// An ALSA playback device. `write` blocks while the device buffer (about 80 ms) is full.
public final class ALSASpeaker: Speaker {
    public let id: String
    public let sampleRate: Int
    public let channels: Int
    private let pcm: ALSAPCM
    private var running = false

    /// `latencyMillis` is the device buffer: larger survives a busy CPU, smaller answers sooner.
    public init(device: String = "default", sampleRate: Int = 48_000, channels: Int = 1, latencyMillis: Int = 80) throws(DeviceError) {
        pcm = try ALSAPCM(device: device, capture: false, sampleRate: sampleRate, channels: channels,
                          latencyMicros: latencyMillis * 1000)
        id = "alsa:\(device)"
        self.sampleRate = sampleRate
        self.channels = channels
    }

    /// Underruns recovered since open.
    public var xruns: Int { pcm.xruns }
    public var pacesWrites: Bool { true }
    public var underruns: Int { pcm.xruns }

    public func start() throws(DeviceError) {
        try pcm.start()
        running = true
    }

    /// Plays what is queued, then stops.
    public func stop() {
        if running { pcm.drain() }
        running = false
    }

    public func write(_ frame: AudioFrame) throws(DeviceError) {
        guard running else { throw .notStarted(device: pcm.device) }
        guard frame.channels == channels, frame.sampleRate == sampleRate else {
            throw .conversionFailed(device: pcm.device, reason: "frame is \(frame.sampleRate) Hz \(frame.channels) ch, device \(sampleRate) Hz \(channels) ch")
        }
        try pcm.write(frame.samples)
    }
}
