import Media
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// A camera chosen by stable id that survives unplugging: when the device vanishes it reports
/// `.lost`, returns no frames (kioskd shows a placeholder and keeps the call), and reopens the
/// same camera when it is back: at once when the kernel announces a camera (its own uevent
/// monitor, whose descriptor its loop waits on while the camera is away, or `deviceChanged`),
/// every `retryMillis` for 5 s after a loss or an announcement (a node whose permissions udev
/// has not set yet is simply retried), every `idleRetryMillis` otherwise.
public final class ReconnectingCamera: Camera {
    public enum Event: Sendable, Equatable {
        case opened(path: String, mode: CameraMode)
        case lost(DeviceError)
        case openFailed(DeviceError)
    }

    public let id: String
    public let request: CameraRequest
    public let retryMillis: Int
    private let devDirectory: String
    private var camera: V4L2Camera?
    private var events: [Event] = []
    private var nextRetry: Int64 = 0
    private var running = false
    private var lastMode: CameraMode
    private var lastFailure: DeviceError?
    private var accumulated = CaptureStatistics()
    private var monitor: HotplugMonitor?
    /// Until then reopen attempts come every `retryMillis`, after it every `idleRetryMillis`.
    private var quickRetriesUntil: Int64 = 0
    /// Each attempt lists the video nodes and opens them to read their identity: while the
    /// camera stays away, the uevents say when to look, and this is only the fallback.
    public static let idleRetryMillis = 2000

    /// `id` is a stable id from `V4L2Enumeration` (or a node path).
    public init(id: String, request: CameraRequest = CameraRequest(), retryMillis: Int = 250, devDirectory: String = "/dev") {
        self.id = id
        self.request = request
        self.retryMillis = retryMillis
        self.devDirectory = devDirectory
        lastMode = CameraMode(width: request.width, height: request.height, fpsNumerator: request.fps, pixelFormat: "none")
    }

    public var mode: CameraMode { camera?.mode ?? lastMode }
    public var isConnected: Bool { camera != nil }
    public var isAvailable: Bool { camera != nil }
    /// Statistics of the current connection.
    public var statistics: CaptureStatistics { camera?.statistics ?? accumulated }

    public func appendPollDescriptors(to fds: inout [pollfd]) {
        if let camera { return camera.appendPollDescriptors(to: &fds) }
        if let monitor { fds.append(pollfd(fd: monitor.fd, events: Int16(POLLIN), revents: 0)) }
    }
    /// While the camera is away: the next reopen attempt.
    public var nextWakeNanos: Int64? { running && camera == nil ? nextRetry : nil }

    /// Kept for `pollEvent`, at most the last 32: a caller that never polls (kioskd reads
    /// `isAvailable`) must not grow them over years of replugging.
    private func record(_ event: Event) {
        if events.count == 32 { events.removeFirst() }
        events.append(event)
    }

    public func pollEvent() -> Event? { events.isEmpty ? nil : events.removeFirst() }

    /// A hotplug event for our class arrived: try to reopen on the next call.
    public func deviceChanged() { nextRetry = 0 }

    public func start() throws(DeviceError) {
        running = true
        nextRetry = 0
        monitor = try? HotplugMonitor()
        monitor?.seedExistingNodes()
        // The first open is tried at once so that a wrong configuration is reported to the caller.
        try connect(now: 0, report: false)
    }

    public func stop() {
        running = false
        camera?.stop()
        camera = nil
        monitor = nil
    }

    /// Reads what the kernel announced while the camera was away: a camera added means try
    /// now; so does a failed socket, which is then opened afresh.
    private func readAnnouncements(now: Int64) {
        guard let monitor else { return }
        do {
            while let e = try monitor.next(timeoutMillis: 0) {
                if e.deviceClass == .camera, e.kind == .added {
                    nextRetry = 0
                    quickRetriesUntil = now + 5_000_000_000
                }
            }
        } catch {
            // A socket that failed (events dropped while the camera was open, or worse) is
            // replaced by a fresh one: polled again, a lasting error would spin the loop.
            // Without one, the clock alone retries.
            nextRetry = 0
            self.monitor = try? HotplugMonitor()
            self.monitor?.seedExistingNodes()
        }
    }

    public func nextFrame(now: Int64, timeoutMillis: Int) throws(DeviceError) -> VideoFrame? {
        guard running else { throw .notStarted(device: id) }
        if camera == nil {
            readAnnouncements(now: now)
            if now >= nextRetry { try? connect(now: now, report: true) }
            if camera == nil { return nil }
        }
        do throws(DeviceError) {
            return try camera?.nextFrame(now: now, timeoutMillis: timeoutMillis)
        } catch {
            switch error {
            case .vanished, .notFound, .system:
                if let c = camera { accumulated = c.statistics }
                camera = nil
                record(.lost(error))
                nextRetry = now + Int64(retryMillis) * 1_000_000
                quickRetriesUntil = now + 5_000_000_000
                return nil
            default:
                throw error
            }
        }
    }

    private func connect(now: Int64, report: Bool) throws(DeviceError) {
        let quick = monitor == nil || now < quickRetriesUntil
        nextRetry = now + Int64(quick ? retryMillis : Self.idleRetryMillis) * 1_000_000
        let path: String
        if id.hasPrefix("/") {
            path = id
        } else if let info = V4L2Enumeration.cameras(devDirectory: devDirectory).first(where: { $0.id == id }) {
            path = info.path
        } else {
            let error = DeviceError.notFound(device: id)
            if report, lastFailure != error { record(.openFailed(error)) }
            lastFailure = error
            if !report { throw error }
            return
        }
        do throws(DeviceError) {
            let cam = try V4L2Camera(path: path, request: request, id: id)
            try cam.start()
            camera = cam
            lastMode = cam.mode
            lastFailure = nil
            record(.opened(path: path, mode: cam.mode))
        } catch {
            if report, lastFailure != error { record(.openFailed(error)) }
            lastFailure = error
            if !report { throw error }
        }
    }
}
