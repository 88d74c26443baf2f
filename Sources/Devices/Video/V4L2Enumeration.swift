import CV4L2
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Lists video capture nodes with their formats, sizes and frame rates.
public enum V4L2Enumeration {
    /// Sizes offered for stepwise/continuous ranges (the common camera sizes inside the range).
    static let commonSizes = [(320, 240), (640, 360), (640, 480), (800, 600), (1280, 720), (1920, 1080)]

    /// Every video capture node under `devDirectory`, with stable ids. Nodes that cannot be
    /// opened (busy, no permission) are still listed, without formats.
    public static func cameras(devDirectory: String = "/dev") -> [CameraInfo] {
        let links = udevLinks()
        var found: [(info: CameraInfo, index: Int)] = []
        for name in SysFS.list(devDirectory) where name.hasPrefix("video") {
            let path = devDirectory + "/" + name
            guard let info = try? describe(path: path, links: links[SysFS.realPath(path) ?? path] ?? []) else { continue }
            let index = Int(SysFS.read("/sys/class/video4linux/\(name)/index") ?? "") ?? 0
            found.append((info, index))
        }
        // Two capture nodes of one device share bus_info: number them by their sysfs index.
        var seen: [String: Int] = [:]
        return found.sorted { ($0.info.busInfo, $0.index) < ($1.info.busInfo, $1.index) }.map { entry in
            var info = entry.info
            let n = seen[info.busInfo, default: 0]
            seen[info.busInfo] = n + 1
            if n > 0 { info.id += "#\(n)" }
            return info
        }.sorted { SysFS.naturalOrder($0.path, $1.path) }
    }

    /// Describes one node; nil when it is not a video capture node (metadata, output, m2m).
    public static func describe(path: String, links: [String] = []) throws(DeviceError) -> CameraInfo? {
        let node = try V4L2Node(path: path)
        let cap = try node.queryCapability()
        guard cap.isVideoCapture else { return nil }
        let bus = cap.busInfo.isEmpty ? path : cap.busInfo
        // Platform/PCI cameras are part of the kiosk; USB ones may be plugged in (or internal: configure the id).
        let builtIn = !bus.hasPrefix("usb")
        return CameraInfo(id: "v4l2:\(bus)", path: path, name: cap.cardName, driver: cap.driverName, busInfo: bus,
                          links: links, builtIn: builtIn, formats: formats(node))
    }

    static func formats(_ node: V4L2Node) -> [CameraFormatInfo] {
        var result: [CameraFormatInfo] = []
        for index in 0..<64 {
            var desc = v4l2_fmtdesc()
            desc.index = UInt32(index)
            desc.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
            guard node.tryIoctl(kiosk_VIDIOC_ENUM_FMT(), &desc) == 0 else { break }
            let fourcc = FourCC.string(desc.pixelformat)
            result.append(CameraFormatInfo(
                fourcc: fourcc, description: v4l2_capability.text(desc.description),
                compressed: desc.flags & UInt32(V4L2_FMT_FLAG_COMPRESSED) != 0,
                supported: PixelConverter.supportedFourCCs.contains(fourcc),
                sizes: sizes(node, pixelFormat: desc.pixelformat)))
        }
        return result
    }

    static func sizes(_ node: V4L2Node, pixelFormat: UInt32) -> [CameraSizeInfo] {
        var result: [CameraSizeInfo] = []
        for index in 0..<64 {
            var e = v4l2_frmsizeenum()
            e.index = UInt32(index)
            e.pixel_format = pixelFormat
            guard node.tryIoctl(kiosk_VIDIOC_ENUM_FRAMESIZES(), &e) == 0 else { break }
            if e.type == V4L2_FRMSIZE_TYPE_DISCRETE.rawValue {
                let w = Int(e.discrete.width), h = Int(e.discrete.height)
                result.append(CameraSizeInfo(width: w, height: h, fps: rates(node, pixelFormat, w, h)))
            } else {
                let s = e.stepwise
                for (w, h) in commonSizes where w >= s.min_width && w <= s.max_width && h >= s.min_height && h <= s.max_height
                    && (s.step_width <= 1 || (w - Int(s.min_width)) % Int(s.step_width) == 0)
                    && (s.step_height <= 1 || (h - Int(s.min_height)) % Int(s.step_height) == 0) {
                    result.append(CameraSizeInfo(width: w, height: h, fps: rates(node, pixelFormat, w, h)))
                }
                break
            }
        }
        return result
    }

    static func rates(_ node: V4L2Node, _ pixelFormat: UInt32, _ width: Int, _ height: Int) -> [Double] {
        var result: [Double] = []
        for index in 0..<64 {
            var e = v4l2_frmivalenum()
            e.index = UInt32(index)
            e.pixel_format = pixelFormat
            e.width = UInt32(width)
            e.height = UInt32(height)
            guard node.tryIoctl(kiosk_VIDIOC_ENUM_FRAMEINTERVALS(), &e) == 0 else { break }
            if e.type == V4L2_FRMIVAL_TYPE_DISCRETE.rawValue {
                if e.discrete.numerator > 0 { result.append(rounded(Double(e.discrete.denominator) / Double(e.discrete.numerator))) }
            } else {
                let s = e.stepwise
                if s.min.numerator > 0 { result.append(rounded(Double(s.min.denominator) / Double(s.min.numerator))) }
                if s.max.numerator > 0 { result.append(rounded(Double(s.max.denominator) / Double(s.max.numerator))) }
                break
            }
        }
        return Array(Set(result)).sorted(by: >)
    }

    private static func rounded(_ fps: Double) -> Double { (fps * 1000).rounded() / 1000 }

    /// realpath(node) → the udev symlinks naming it.
    static func udevLinks() -> [String: [String]] {
        var map: [String: [String]] = [:]
        for dir in ["/dev/v4l/by-id", "/dev/v4l/by-path"] {
            for name in SysFS.list(dir) {
                let link = dir + "/" + name
                if let target = SysFS.realPath(link) { map[target, default: []].append(link) }
            }
        }
        return map
    }
}
