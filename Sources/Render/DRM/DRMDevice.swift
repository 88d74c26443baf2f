import CDRM
import Glibc

/// An open DRM card (owns the file descriptor) with the client capabilities kioskd needs.
public final class DRMDevice {
    public let path: String
    public let fd: Int32
    public let driver: String
    /// Atomic modesetting is available (and enabled for this client).
    public private(set) var atomic = false
    /// Writeback connectors are visible to this client.
    public private(set) var writeback = false

    /// Opens `path` read-write, checks it is a DRM device, and enables universal planes,
    /// atomic and (where the driver has them) writeback connectors.
    public init(path: String) throws(DRMError) {
        let fd = Glibc.open(path, O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { throw .open(path: path, errno: Glibc.errno) }
        guard let v = drmGetVersion(fd) else {
            Glibc.close(fd)
            throw .notDRM(path: path)
        }
        driver = v.pointee.name.map { String(cString: $0) } ?? "?"
        drmFreeVersion(v)
        self.path = path
        self.fd = fd
        if drmSetClientCap(fd, UInt64(DRM_CLIENT_CAP_UNIVERSAL_PLANES), 1) != 0 {
            Glibc.close(fd)
            throw .capability(name: "UNIVERSAL_PLANES", errno: Glibc.errno)
        }
        atomic = drmSetClientCap(fd, UInt64(DRM_CLIENT_CAP_ATOMIC), 1) == 0
        writeback = atomic && drmSetClientCap(fd, UInt64(DRM_CLIENT_CAP_WRITEBACK_CONNECTORS), 1) == 0
    }

    deinit { Glibc.close(fd) }

    /// Becomes DRM master (the first opener already is; a display server holding it → EBUSY/EACCES).
    public func becomeMaster() throws(DRMError) {
        if drmIsMaster(fd) != 0 { return }
        guard drmSetMaster(fd) == 0 else { throw .master(path: path, errno: Glibc.errno) }
    }

    public var isMaster: Bool { drmIsMaster(fd) != 0 }

    /// Candidate card nodes in `directory`, sorted (card0, card1, …).
    public static func cardPaths(in directory: String = "/dev/dri") -> [String] {
        guard let dir = opendir(directory) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let ent = readdir(dir) {
            let name = withUnsafeBytes(of: ent.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name.hasPrefix("card") { names.append(name) }
        }
        return names.sorted { (Int($0.dropFirst(4)) ?? 0) < (Int($1.dropFirst(4)) ?? 0) }.map { "\(directory)/\($0)" }
    }

    /// The first card in `directory` with a connected (non-writeback) connector.
    public static func firstConnected(in directory: String = "/dev/dri") throws(DRMError) -> DRMDevice {
        for p in cardPaths(in: directory) {
            guard let dev = try? DRMDevice(path: p), let res = try? dev.resources() else { continue }
            if res.connectors.contains(where: { $0.connected && !$0.isWriteback }) { return dev }
        }
        throw .noDevice(searched: directory)
    }

    // MARK: properties

    /// Property name → (id, current value) of a KMS object.
    public func properties(of object: UInt32, type: UInt32) -> [String: (id: UInt32, value: UInt64)] {
        guard let p = drmModeObjectGetProperties(fd, object, type) else { return [:] }
        defer { drmModeFreeObjectProperties(p) }
        var out: [String: (id: UInt32, value: UInt64)] = [:]
        for i in 0..<Int(p.pointee.count_props) {
            guard let pr = drmModeGetProperty(fd, p.pointee.props[i]) else { continue }
            let name = withUnsafeBytes(of: pr.pointee.name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            out[name] = (pr.pointee.prop_id, p.pointee.prop_values[i])
            drmModeFreeProperty(pr)
        }
        return out
    }

    /// The bytes of a property blob (e.g. WRITEBACK_PIXEL_FORMATS).
    public func blob(_ id: UInt64) -> [UInt8] {
        guard id != 0, let b = drmModeGetPropertyBlob(fd, UInt32(truncatingIfNeeded: id)) else { return [] }
        defer { drmModeFreePropertyBlob(b) }
        guard let data = b.pointee.data else { return [] }
        return Array(UnsafeRawBufferPointer(start: data, count: Int(b.pointee.length)))
    }

    // MARK: resources

    /// Everything KMS exposes on this card, copied into Swift values.
    public func resources() throws(DRMError) -> KMSResources {
        guard let res = drmModeGetResources(fd) else { throw .resources(errno: Glibc.errno) }
        defer { drmModeFreeResources(res) }
        let crtcs = (0..<Int(res.pointee.count_crtcs)).map { res.pointee.crtcs[$0] }
        var encoders: [UInt32: UInt32] = [:] // encoder → possible CRTC mask
        for i in 0..<Int(res.pointee.count_encoders) {
            if let e = drmModeGetEncoder(fd, res.pointee.encoders[i]) {
                encoders[e.pointee.encoder_id] = e.pointee.possible_crtcs
                drmModeFreeEncoder(e)
            }
        }
        var connectors: [KMSConnector] = []
        for i in 0..<Int(res.pointee.count_connectors) {
            guard let c = drmModeGetConnector(fd, res.pointee.connectors[i]) else { continue }
            defer { drmModeFreeConnector(c) }
            let typeName = drmModeGetConnectorTypeName(c.pointee.connector_type).map { String(cString: $0) } ?? "Unknown"
            var mask: UInt32 = 0
            for e in 0..<Int(c.pointee.count_encoders) { mask |= encoders[c.pointee.encoders[e]] ?? 0 }
            let modes = (0..<Int(c.pointee.count_modes)).map { KMSMode(c.pointee.modes[$0]) }
            let props = properties(of: c.pointee.connector_id, type: UInt32(DRM_MODE_OBJECT_CONNECTOR))
            connectors.append(KMSConnector(
                id: c.pointee.connector_id, name: "\(typeName)-\(c.pointee.connector_type_id)",
                type: c.pointee.connector_type, connected: c.pointee.connection == DRM_MODE_CONNECTED,
                modes: modes, possibleCRTCs: mask, currentCRTC: props["CRTC_ID"].map { UInt32(truncatingIfNeeded: $0.value) } ?? 0,
                writebackFormats: props["WRITEBACK_PIXEL_FORMATS"].map { fourccs(blob($0.value)) } ?? []))
        }
        var planes: [KMSPlane] = []
        if let pr = drmModeGetPlaneResources(fd) {
            defer { drmModeFreePlaneResources(pr) }
            for i in 0..<Int(pr.pointee.count_planes) {
                guard let p = drmModeGetPlane(fd, pr.pointee.planes[i]) else { continue }
                defer { drmModeFreePlane(p) }
                let props = properties(of: p.pointee.plane_id, type: UInt32(DRM_MODE_OBJECT_PLANE))
                let kind: KMSPlane.Kind = switch props["type"]?.value {
                case UInt64(DRM_PLANE_TYPE_PRIMARY): .primary
                case UInt64(DRM_PLANE_TYPE_CURSOR): .cursor
                default: .overlay
                }
                planes.append(KMSPlane(
                    id: p.pointee.plane_id, kind: kind, possibleCRTCs: p.pointee.possible_crtcs,
                    formats: (0..<Int(p.pointee.count_formats)).map { p.pointee.formats[$0] },
                    crtcID: p.pointee.crtc_id, fbID: p.pointee.fb_id))
            }
        }
        return KMSResources(crtcs: crtcs, connectors: connectors, planes: planes)
    }

    private func fourccs(_ bytes: [UInt8]) -> [UInt32] {
        var out: [UInt32] = []
        var i = 0
        while i + 4 <= bytes.count {
            let b0 = UInt32(bytes[i]), b1 = UInt32(bytes[i + 1]) << 8
            let b2 = UInt32(bytes[i + 2]) << 16, b3 = UInt32(bytes[i + 3]) << 24
            out.append(b0 | b1 | b2 | b3)
            i += 4
        }
        return out
    }
}

/// A display mode (copied from drmModeModeInfo, which it can be turned back into).
public struct KMSMode: Sendable, Equatable {
    public var info: drmModeModeInfo
    public var width: Int { Int(info.hdisplay) }
    public var height: Int { Int(info.vdisplay) }
    public var preferred: Bool { info.type & UInt32(DRM_MODE_TYPE_PREFERRED) != 0 }
    public var name: String { withUnsafeBytes(of: info.name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) } }
    /// Refresh in Hz from the pixel clock (more exact than `vrefresh`).
    public var refreshHz: Double {
        let total = Double(info.htotal) * Double(info.vtotal)
        return total > 0 ? Double(info.clock) * 1000 / total : Double(info.vrefresh)
    }
    init(_ info: drmModeModeInfo) { self.info = info }

    public static func == (a: KMSMode, b: KMSMode) -> Bool {
        a.width == b.width && a.height == b.height && a.info.clock == b.info.clock && a.info.htotal == b.info.htotal
            && a.info.vtotal == b.info.vtotal && a.info.flags == b.info.flags
    }
}

extension drmModeModeInfo: @retroactive @unchecked Sendable {}

public struct KMSConnector: Sendable, Equatable {
    public var id: UInt32
    public var name: String
    public var type: UInt32
    public var connected: Bool
    public var modes: [KMSMode]
    public var possibleCRTCs: UInt32
    public var currentCRTC: UInt32
    public var writebackFormats: [UInt32]
    public var isWriteback: Bool { type == UInt32(DRM_MODE_CONNECTOR_WRITEBACK) }
}

public struct KMSPlane: Sendable, Equatable {
    public enum Kind: String, Sendable, Codable { case primary, overlay, cursor }
    public var id: UInt32
    public var kind: Kind
    public var possibleCRTCs: UInt32
    public var formats: [UInt32]
    public var crtcID: UInt32
    public var fbID: UInt32
}

public struct KMSResources: Sendable, Equatable {
    public var crtcs: [UInt32]
    public var connectors: [KMSConnector]
    public var planes: [KMSPlane]
}

/// "XR24" for a DRM fourcc.
public func fourccString(_ f: UInt32) -> String {
    String(decoding: (0..<4).map { UInt8(truncatingIfNeeded: f >> ($0 * 8)) }.map { $0 >= 32 && $0 < 127 ? $0 : 63 }, as: UTF8.self)
}
