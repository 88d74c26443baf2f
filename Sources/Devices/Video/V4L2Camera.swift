import CV4L2
import Media
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// A V4L2 capture node streaming through mmap'd buffers, converted to I420.
/// Opening negotiates the nearest size and rate the device offers; `start` queues the buffers
/// and turns the stream on; `nextFrame` polls, dequeues, converts and requeues.
public final class V4L2Camera: Camera {
    public let id: String
    public let path: String
    public private(set) var mode: CameraMode
    public private(set) var statistics = CaptureStatistics()
    private let node: V4L2Node
    private let fourcc: String
    private var bytesPerLine: Int
    private var buffers: [(pointer: UnsafeMutableRawPointer, length: Int)] = []
    private var streaming = false
    private var lastSequence: UInt32?
    private var jpeg: JPEGDecoder?
    public static let bufferCount = 6

    /// Opens `path` and negotiates `request`. Throws `.notFound`, `.permissionDenied`,
    /// `.notACaptureDevice`, `.unsupportedFormat` (a requested fourcc the camera lacks, or no
    /// format kioskd can convert), or `.system` naming the ioctl.
    public init(path: String, request: CameraRequest = CameraRequest(), id: String? = nil) throws(DeviceError) {
        let node = try V4L2Node(path: path)
        let cap = try node.queryCapability()
        guard cap.isVideoCapture else { throw .notACaptureDevice(device: path) }
        self.node = node
        self.path = path
        self.id = id ?? "v4l2:\(cap.busInfo.isEmpty ? path : cap.busInfo)"
        let formats = V4L2Enumeration.formats(node)
        let choice = try Self.choose(formats: formats, request: request, device: path)
        guard let code = FourCC.code(choice.fourcc) else {
            throw .unsupportedFormat(device: path, requested: choice.fourcc, available: formats.map(\.fourcc))
        }
        var fmt = v4l2_format()
        fmt.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
        fmt.fmt.pix.width = UInt32(choice.width)
        fmt.fmt.pix.height = UInt32(choice.height)
        fmt.fmt.pix.pixelformat = code
        fmt.fmt.pix.field = V4L2_FIELD_NONE.rawValue
        try node.ioctl(kiosk_VIDIOC_S_FMT(), "VIDIOC_S_FMT", &fmt)
        let actual = FourCC.string(fmt.fmt.pix.pixelformat)
        guard PixelConverter.supportedFourCCs.contains(actual) else {
            throw .unsupportedFormat(device: path, requested: choice.fourcc, available: [actual])
        }
        fourcc = actual
        bytesPerLine = Int(fmt.fmt.pix.bytesperline)
        var parm = v4l2_streamparm()
        parm.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
        parm.parm.capture.timeperframe = v4l2_fract(numerator: 1, denominator: UInt32(max(1, choice.fps)))
        // Drivers without frame-rate control reject S_PARM; the rate they run at is then read back below.
        _ = node.tryIoctl(kiosk_VIDIOC_S_PARM(), &parm)
        var got = v4l2_streamparm()
        got.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
        var num = 1, den = max(1, request.fps)
        if node.tryIoctl(kiosk_VIDIOC_G_PARM(), &got) == 0, got.parm.capture.timeperframe.numerator > 0 {
            // timeperframe is seconds per frame; fps is its inverse.
            num = Int(got.parm.capture.timeperframe.denominator)
            den = Int(got.parm.capture.timeperframe.numerator)
        } else {
            (num, den) = (den, num)
        }
        mode = CameraMode(width: Int(fmt.fmt.pix.width), height: Int(fmt.fmt.pix.height),
                          fpsNumerator: num, fpsDenominator: den, pixelFormat: actual)
        if actual == "MJPG" || actual == "JPEG" { jpeg = try JPEGDecoder() }
    }

    deinit { stop() }

    /// Picks the format and size nearest the request: sizes by relative area difference, rates
    /// that fall short of the request penalised, ties broken by the cheaper format.
    static func choose(formats: [CameraFormatInfo], request: CameraRequest, device: String) throws(DeviceError)
        -> (fourcc: String, width: Int, height: Int, fps: Int) {
        let candidates: [CameraFormatInfo]
        if let wanted = request.pixelFormat {
            guard let f = formats.first(where: { $0.fourcc == wanted }), f.supported else {
                throw .unsupportedFormat(device: device, requested: wanted, available: formats.map(\.fourcc))
            }
            candidates = [f]
        } else {
            candidates = PixelConverter.supportedFourCCs.compactMap { c in formats.first { $0.fourcc == c } }
            guard !candidates.isEmpty else {
                throw .unsupportedFormat(device: device, requested: PixelConverter.supportedFourCCs.joined(separator: "|"),
                                         available: formats.map(\.fourcc))
            }
        }
        let area = Double(max(1, request.width * request.height))
        var best: (score: Double, fourcc: String, width: Int, height: Int, fps: Int)?
        for (rank, f) in candidates.enumerated() {
            // A format without enumerable sizes: let S_FMT adjust the request.
            let sizes = f.sizes.isEmpty ? [CameraSizeInfo(width: request.width, height: request.height, fps: [])] : f.sizes
            for s in sizes {
                let sizeScore = abs(Double(s.width * s.height) - area) / area
                let fps = s.fps.min { abs($0 - Double(request.fps)) < abs($1 - Double(request.fps)) } ?? Double(request.fps)
                let fpsScore = max(0, Double(request.fps) - fps) / Double(max(1, request.fps))
                let score = sizeScore + fpsScore + Double(rank) * 0.01
                if best == nil || score < best?.score ?? .infinity {
                    best = (score, f.fourcc, s.width, s.height, Int(fps.rounded()))
                }
            }
        }
        guard let best else {
            throw .unsupportedFormat(device: device, requested: request.pixelFormat ?? "any", available: formats.map(\.fourcc))
        }
        return (best.fourcc, best.width, best.height, best.fps)
    }

    /// Allocates and maps the buffers and turns the stream on. ENOSPC here (no USB bandwidth)
    /// is `.busBandwidthExceeded`.
    public func start() throws(DeviceError) {
        guard !streaming else { return }
        var req = v4l2_requestbuffers()
        req.count = UInt32(Self.bufferCount)
        req.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
        req.memory = V4L2_MEMORY_MMAP.rawValue
        try node.ioctl(kiosk_VIDIOC_REQBUFS(), "VIDIOC_REQBUFS", &req)
        do throws(DeviceError) {
            for i in 0..<Int(req.count) {
                var buf = v4l2_buffer()
                buf.index = UInt32(i)
                buf.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
                buf.memory = V4L2_MEMORY_MMAP.rawValue
                try node.ioctl(kiosk_VIDIOC_QUERYBUF(), "VIDIOC_QUERYBUF", &buf)
                let p = mmap(nil, Int(buf.length), PROT_READ | PROT_WRITE, MAP_SHARED, node.fd, off_t(buf.m.offset))
                guard let p, p != MAP_FAILED else { throw V4L2Node.error(errno, device: path, operation: "mmap") }
                buffers.append((p, Int(buf.length)))
                try node.ioctl(kiosk_VIDIOC_QBUF(), "VIDIOC_QBUF", &buf)
            }
            var type = Int32(V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue)
            try node.ioctl(kiosk_VIDIOC_STREAMON(), "VIDIOC_STREAMON", &type)
        } catch {
            releaseBuffers()
            throw error
        }
        streaming = true
        lastSequence = nil
        statistics = CaptureStatistics()
    }

    public func stop() {
        if streaming {
            var type = Int32(V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue)
            _ = node.tryIoctl(kiosk_VIDIOC_STREAMOFF(), &type)
            streaming = false
        }
        releaseBuffers()
    }

    private func releaseBuffers() {
        for b in buffers { munmap(b.pointer, b.length) }
        let had = !buffers.isEmpty
        buffers.removeAll()
        if had {
            var req = v4l2_requestbuffers()
            req.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
            req.memory = V4L2_MEMORY_MMAP.rawValue
            _ = node.tryIoctl(kiosk_VIDIOC_REQBUFS(), &req)
        }
    }

    /// Waits up to `timeoutMillis` for a frame (nil on timeout). The frame carries the
    /// driver's timestamp (CLOCK_MONOTONIC); gaps in the driver's sequence count as drops.
    /// A device that disappears gives `.vanished`.
    public func appendPollDescriptors(to fds: inout [pollfd]) {
        fds.append(pollfd(fd: node.fd, events: Int16(POLLIN), revents: 0))
    }

    public func nextFrame(now: Int64 = 0, timeoutMillis: Int) throws(DeviceError) -> VideoFrame? {
        guard streaming else { throw .notStarted(device: path) }
        var pfd = pollfd(fd: node.fd, events: Int16(POLLIN), revents: 0)
        let rc = poll(&pfd, 1, Int32(clamping: timeoutMillis))
        if rc < 0 {
            if errno == EINTR { return nil }
            throw V4L2Node.error(errno, device: path, operation: "poll")
        }
        if rc == 0 { return nil }
        let t0 = ALSAPCM.monotonicNanos()
        var buf = v4l2_buffer()
        buf.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
        buf.memory = V4L2_MEMORY_MMAP.rawValue
        let err = node.tryIoctl(kiosk_VIDIOC_DQBUF(), &buf)
        if err == EAGAIN {
            // POLLERR without a buffer: the device is gone (vb2 reports unregistered nodes so).
            if pfd.revents & Int16(POLLERR | POLLHUP) != 0 { throw .vanished(device: path) }
            return nil
        }
        if err != 0 { throw V4L2Node.error(err, device: path, operation: "VIDIOC_DQBUF") }
        defer {
            _ = node.tryIoctl(kiosk_VIDIOC_QBUF(), &buf)
            statistics.processingNanos += ALSAPCM.monotonicNanos() - t0
        }
        let index = Int(buf.index)
        guard index < buffers.count else {
            throw .conversionFailed(device: path, reason: "driver returned buffer \(index) of \(buffers.count)")
        }
        let dropped = lastSequence.map { buf.sequence > $0 ? Int(buf.sequence - $0 - 1) : 0 } ?? 0
        lastSequence = buf.sequence
        let ts = Int64(buf.timestamp.tv_sec) * 1_000_000_000 + Int64(buf.timestamp.tv_usec) * 1000
        let used = buf.bytesused > 0 ? min(Int(buf.bytesused), buffers[index].length) : buffers[index].length
        let data = UnsafeRawBufferPointer(start: buffers[index].pointer, count: used)
        let frame = try PixelConverter.convert(data, fourcc: fourcc, width: mode.width, height: mode.height,
                                               bytesPerLine: bytesPerLine, timestampNanos: ts, jpeg: jpeg, device: path)
        statistics.record(timestampNanos: ts, dropped: dropped)
        return frame
    }
}
