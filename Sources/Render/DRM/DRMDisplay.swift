import CDRM
import Glibc
import Media

/// Where the self view is drawn.
public enum CompositionPath: String, Sendable, Codable {
    /// The self view has its own overlay plane; only the remote picture and UI are composed.
    case overlayPlane = "overlay-plane"
    /// Everything is composed in software into the primary plane's buffer.
    case software
}

public struct DRMDisplayConfig: Sendable {
    /// A card node, or nil for the first card with a connected display.
    public var devicePath: String?
    /// Where to look for cards when `devicePath` is nil.
    public var deviceDirectory: String
    /// A connector name such as "HDMI-A-1", or nil for the first connected one.
    public var connector: String?
    /// "1280x720" or "1280x720@60", or nil for the preferred mode.
    public var mode: String?
    /// false: always compose in software (e.g. to compare with the plane path).
    public var allowOverlayPlane: Bool
    public var compositor: CompositorConfig
    /// Listen for DRM hotplug uevents in `dispatchEvents`.
    public var watchHotplug: Bool

    public init(devicePath: String? = nil, deviceDirectory: String = "/dev/dri", connector: String? = nil, mode: String? = nil, allowOverlayPlane: Bool = true,
                compositor: CompositorConfig = CompositorConfig(), watchHotplug: Bool = true) {
        self.devicePath = devicePath
        self.deviceDirectory = deviceDirectory
        self.connector = connector
        self.mode = mode
        self.allowOverlayPlane = allowOverlayPlane
        self.compositor = compositor
        self.watchHotplug = watchHotplug
    }
}

/// Counters a test or `kioskd status` can read.
public struct DRMDisplayStats: Sendable, Equatable {
    /// Page-flip commits accepted by the kernel.
    public var commits = 0
    /// Page-flip events received.
    public var flips = 0
    /// Commits refused with EBUSY (a flip was still pending: a pacing bug).
    public var busy = 0
    /// Commits refused otherwise.
    public var failedCommits = 0
    /// Scenes replaced by a newer one before they could be committed (latest wins).
    public var coalesced = 0
    public var modesets = 0
    public var hotplugEvents = 0
    /// Falls back from the overlay plane to software after a refused commit.
    public var overlayFallbacks = 0
    public var flipIntervalTotalMs = 0.0
    public var flipIntervalCount = 0
    public var flipIntervalMaxMs = 0.0
    public var meanFlipIntervalMs: Double { flipIntervalCount == 0 ? 0 : flipIntervalTotalMs / Double(flipIntervalCount) }
}

/// The kiosk screen through DRM/KMS: atomic modesetting, TEST_ONLY-probed plane layout,
/// page flips paced by flip events with one commit in flight, triple-buffered dumb buffers
/// released only after the flip that replaces them, and hotplug re-probing.
/// Not thread-safe: one thread owns it and calls `present` and `dispatchEvents`.
public final class DRMDisplay: Display {
    public let device: DRMDevice
    public let config: DRMDisplayConfig
    public let compositor: Compositor
    public private(set) var connector: KMSConnector
    public private(set) var mode: KMSMode
    public private(set) var crtc: UInt32 = 0
    public private(set) var primaryPlane: UInt32 = 0
    public private(set) var overlayPlane: UInt32?
    public private(set) var path: CompositionPath = .software
    public private(set) var stats = DRMDisplayStats()
    public private(set) var screenLayout: ScreenLayout?
    /// The connector is connected and the CRTC lit.
    public private(set) var isActive = false
    /// The last error raised while handling events (a commit of a pending scene).
    public private(set) var lastError: DRMError?
    public var log: (String) -> Void

    private struct Slot {
        var primary: DumbBuffer
        var overlay: DumbBuffer?
        var overlayRect: PixelRect?
    }

    private var slots: [Slot] = []
    private var active: Int?
    private var queued: Int?
    private var pendingSlot: Int?
    private var eventFDs: [pollfd] = []
    private var lastScene = Scene()
    private var modeBlob: UInt32 = 0
    private var propCache: [UInt32: [String: UInt32]] = [:]
    private var hotplug: DRMHotplugMonitor?
    private var lastFlipSeconds: Double?
    private var writebackBuffer: DumbBuffer?
    private var writebackAttached = false

    public var outputSize: PixelSize { PixelSize(width: mode.width, height: mode.height) }

    public init(config: DRMDisplayConfig = DRMDisplayConfig(), compositor: Compositor? = nil,
                log: @escaping (String) -> Void = { _ in }) throws(DRMError) {
        self.config = config
        self.log = log
        self.compositor = compositor ?? Compositor(config: config.compositor)
        let dev: DRMDevice
        if let p = config.devicePath { dev = try DRMDevice(path: p) } else { dev = try DRMDevice.firstConnected(in: config.deviceDirectory) }
        device = dev
        guard dev.atomic else { throw .capability(name: "ATOMIC", errno: EOPNOTSUPP) }
        try dev.becomeMaster()
        let (c, m) = try Self.choose(dev.resources(), config: config, path: dev.path)
        connector = c
        mode = m
        if config.watchHotplug { hotplug = try? DRMHotplugMonitor() }
        try setUp()
    }

    deinit {
        if modeBlob != 0 { drmModeDestroyPropertyBlob(device.fd, modeBlob) }
    }

    // MARK: choosing

    static func choose(_ res: KMSResources, config: DRMDisplayConfig, path: String) throws(DRMError) -> (KMSConnector, KMSMode) {
        let candidates = res.connectors.filter { !$0.isWriteback }
        let c: KMSConnector
        if let name = config.connector {
            guard let found = candidates.first(where: { $0.name == name }) else { throw .connectorNotFound(name: name) }
            guard found.connected, !found.modes.isEmpty else { throw .noConnectedConnector(path: path) }
            c = found
        } else {
            guard let found = candidates.first(where: { $0.connected && !$0.modes.isEmpty }) else { throw .noConnectedConnector(path: path) }
            c = found
        }
        guard let m = pickMode(c.modes, wanted: config.mode) else { throw .modeNotFound(connector: c.name, mode: config.mode ?? "preferred") }
        return (c, m)
    }

    /// "WxH" or "WxH@Hz" from `modes`, else the preferred mode, else the first.
    static func pickMode(_ modes: [KMSMode], wanted: String?) -> KMSMode? {
        guard let wanted else { return modes.first(where: \.preferred) ?? modes.first }
        let parts = wanted.split(separator: "@")
        let dims = parts.first?.split(separator: "x").compactMap { Int($0) } ?? []
        guard dims.count == 2 else { return nil }
        let hz = parts.count > 1 ? Double(parts[1]) : nil
        let sized = modes.filter { $0.width == dims[0] && $0.height == dims[1] }
        if let hz { return sized.min { abs($0.refreshHz - hz) < abs($1.refreshHz - hz) } }
        return sized.first(where: \.preferred) ?? sized.first
    }

    // MARK: modeset

    /// Picks CRTC and planes, allocates buffers, probes the plane layout with TEST_ONLY
    /// commits, then modesets showing the last scene.
    private func setUp() throws(DRMError) {
        let res = try device.resources()
        let xrgb = kiosk_DRM_FORMAT_XRGB8888()
        var crtcIndex: Int?
        if connector.currentCRTC != 0, let i = res.crtcs.firstIndex(of: connector.currentCRTC),
           connector.possibleCRTCs & (1 << UInt32(i)) != 0 {
            crtcIndex = i
        } else {
            crtcIndex = res.crtcs.indices.first { connector.possibleCRTCs & (1 << UInt32($0)) != 0 }
        }
        guard let ci = crtcIndex else { throw .noCRTC(connector: connector.name) }
        crtc = res.crtcs[ci]
        let mine = res.planes.filter { $0.possibleCRTCs & (1 << UInt32(ci)) != 0 && $0.formats.contains(xrgb) }
        guard let primary = mine.first(where: { $0.kind == .primary }) else { throw .noPrimaryPlane(crtc: crtc) }
        primaryPlane = primary.id
        overlayPlane = config.allowOverlayPlane ? mine.first(where: { $0.kind == .overlay })?.id : nil
        let strays = res.planes.filter { $0.kind == .overlay && $0.crtcID == crtc && $0.id != overlayPlane }.map(\.id)

        if modeBlob != 0 { drmModeDestroyPropertyBlob(device.fd, modeBlob); modeBlob = 0 }
        var info = mode.info
        guard drmModeCreatePropertyBlob(device.fd, &info, MemoryLayout<drmModeModeInfo>.size, &modeBlob) == 0 else {
            throw .commit(errno: Glibc.errno, testOnly: false)
        }
        var newSlots: [Slot] = []
        for _ in 0..<3 { newSlots.append(Slot(primary: try DumbBuffer(device: device, width: mode.width, height: mode.height))) }

        // Rank the layouts (libcamera kms_sink style): self view on an overlay plane, else
        // software composition. The first one the driver accepts in TEST_ONLY wins.
        path = .software
        if let overlay = overlayPlane {
            let probeRect = CompositionLayout(output: outputSize, remote: nil, selfView: config.compositor.selfViewSize,
                                              config: config.compositor).selfView
            if let r = probeRect {
                newSlots[0].overlay = try DumbBuffer(device: device, width: r.width, height: r.height)
                newSlots[0].overlayRect = r
                let req = request(newSlots[0], modeset: true, strays: strays)
                let rc = req.commit(flags: UInt32(DRM_MODE_ATOMIC_TEST_ONLY | DRM_MODE_ATOMIC_ALLOW_MODESET))
                if rc == 0 {
                    path = .overlayPlane
                } else {
                    log("render: overlay plane \(overlay) refused by TEST_ONLY (\(String(cString: strerror(rc))))")
                }
                newSlots[0].overlayRect = nil
            }
        }
        log("render: \(device.path) \(connector.name) \(mode.width)x\(mode.height)@\(Int(mode.refreshHz.rounded())) crtc \(crtc) primary \(primaryPlane) overlay \(overlayPlane.map(String.init) ?? "none") path \(path.rawValue)")

        draw(lastScene, into: &newSlots[0])
        let req = request(newSlots[0], modeset: true, strays: strays)
        var rc = req.commit(flags: UInt32(DRM_MODE_ATOMIC_ALLOW_MODESET))
        if rc != 0, path == .overlayPlane {
            fallBackToSoftware(reason: rc)
            draw(lastScene, into: &newSlots[0])
            rc = request(newSlots[0], modeset: true, strays: strays).commit(flags: UInt32(DRM_MODE_ATOMIC_ALLOW_MODESET))
        }
        guard rc == 0 else { throw .commit(errno: rc, testOnly: false) }
        // The old buffers are no longer on screen once the blocking modeset returned.
        slots = newSlots
        active = 0
        queued = nil
        pendingSlot = nil
        isActive = true
        stats.modesets += 1
    }

    private func fallBackToSoftware(reason rc: Int32) {
        log("render: overlay commit refused (\(String(cString: strerror(rc)))); composing the self view in software")
        path = .software
        stats.overlayFallbacks += 1
    }

    private func request(_ slot: Slot, modeset: Bool, strays: [UInt32] = []) -> AtomicRequest {
        let req = AtomicRequest(device: device, cache: &propCache)
        if modeset {
            req.set(crtc, type: UInt32(DRM_MODE_OBJECT_CRTC), "MODE_ID", UInt64(modeBlob))
            req.set(crtc, type: UInt32(DRM_MODE_OBJECT_CRTC), "ACTIVE", 1)
            req.set(connector.id, type: UInt32(DRM_MODE_OBJECT_CONNECTOR), "CRTC_ID", UInt64(crtc))
            for s in strays { req.disablePlane(s) }
        }
        req.plane(primaryPlane, crtc: crtc, fb: slot.primary.fbID, dst: PixelRect(x: 0, y: 0, width: mode.width, height: mode.height),
                  srcWidth: mode.width, srcHeight: mode.height)
        if let overlay = overlayPlane {
            if path == .overlayPlane, let r = slot.overlayRect, let b = slot.overlay {
                req.plane(overlay, crtc: crtc, fb: b.fbID, dst: r, srcWidth: b.width, srcHeight: b.height)
            } else {
                req.disablePlane(overlay)
            }
        }
        propCache = req.resolvedCache
        return req
    }

    /// Composes `scene` into a slot that is neither on screen nor queued.
    private func draw(_ scene: Scene, into slot: inout Slot) {
        let layout = compositor.layout(for: scene, output: outputSize)
        let onPlane = path == .overlayPlane && scene.selfView != nil && layout.selfView != nil
        compositor.compose(scene, into: slot.primary.canvas, selfViewOnPlane: onPlane)
        slot.overlayRect = nil
        guard onPlane, let me = scene.selfView, let r = layout.selfView else { return }
        if slot.overlay?.width != r.width || slot.overlay?.height != r.height {
            slot.overlay = try? DumbBuffer(device: device, width: r.width, height: r.height)
        }
        guard let b = slot.overlay else { return }
        compositor.drawSelfView(me, into: b.canvas)
        slot.overlayRect = r
    }

    // MARK: presenting

    public func present(_ scene: Scene) throws {
        try presentScene(scene)
    }

    /// Typed-throwing `present`. While a flip is in flight the scene is drawn at once into a
    /// free buffer (drawing overlaps the wait) and committed when the flip completes; a newer
    /// scene redraws that same buffer (latest wins, counted as coalesced).
    public func presentScene(_ scene: Scene) throws(DRMError) {
        lastScene = scene
        screenLayout = scene.screen.map { ScreenLayout(screen: $0, output: outputSize) }
        guard isActive else { return }
        if pendingSlot != nil { stats.coalesced += 1 }
        guard let slot = pendingSlot ?? slots.indices.first(where: { $0 != active && $0 != queued }) else { return }
        draw(scene, into: &slots[slot])
        pendingSlot = slot
        if queued == nil { try commitPending() }
    }

    /// Commits the pending buffer as a page flip (only called with no flip in flight).
    private func commitPending() throws(DRMError) {
        guard let slot = pendingSlot, queued == nil else { return }
        let flags = UInt32(DRM_MODE_ATOMIC_NONBLOCK) | UInt32(DRM_MODE_PAGE_FLIP_EVENT)
        var rc = request(slots[slot], modeset: false).commit(flags: flags, userData: Unmanaged.passUnretained(self).toOpaque())
        if rc == EINVAL, path == .overlayPlane {
            fallBackToSoftware(reason: rc)
            draw(lastScene, into: &slots[slot])
            rc = request(slots[slot], modeset: false).commit(flags: flags, userData: Unmanaged.passUnretained(self).toOpaque())
        }
        switch rc {
        case 0:
            queued = slot
            pendingSlot = nil
            stats.commits += 1
        case EBUSY:
            stats.busy += 1 // stays pending; retried after the next event
        default:
            pendingSlot = nil
            stats.failedCommits += 1
            throw .commit(errno: rc, testOnly: false)
        }
    }

    fileprivate func flipCompleted(seconds: UInt32, microseconds: UInt32) {
        stats.flips += 1
        let t = Double(seconds) + Double(microseconds) / 1e6
        if let last = lastFlipSeconds {
            let ms = (t - last) * 1000
            stats.flipIntervalTotalMs += ms
            stats.flipIntervalCount += 1
            stats.flipIntervalMaxMs = max(stats.flipIntervalMaxMs, ms)
        }
        lastFlipSeconds = t
        // The flip that put `queued` on screen has completed: the old active buffer is free.
        if let q = queued { active = q }
        queued = nil
        do throws(DRMError) { try commitPending() } catch { lastError = error }
    }

    /// Starts the flip statistics afresh (e.g. before a measured run).
    public func resetStatistics() {
        stats = DRMDisplayStats()
        lastFlipSeconds = nil
    }

    /// A drawn frame waits for the flip in flight to complete.
    public var hasPendingFrame: Bool { pendingSlot != nil }

    public var readyForScene: Bool { pendingSlot == nil }
    public var scenesShown: Int { stats.flips }

    public func appendPollDescriptors(to fds: inout [pollfd]) {
        fds.append(pollfd(fd: device.fd, events: Int16(POLLIN), revents: 0))
        if let h = hotplug { fds.append(pollfd(fd: h.fd, events: Int16(POLLIN), revents: 0)) }
    }

    public func handleEvents() throws { try dispatchEvents(timeoutMilliseconds: 0) }

    /// A commit is in flight (or a scene is waiting for it).
    public var isBusy: Bool { queued != nil || pendingSlot != nil }

    /// Waits up to `timeoutMilliseconds` for page-flip and hotplug events and handles them.
    /// Returns the number of file descriptors that had events (0 on timeout).
    @discardableResult
    public func dispatchEvents(timeoutMilliseconds: Int32) throws(DRMError) -> Int {
        // Reused: no allocation per flip.
        eventFDs.removeAll(keepingCapacity: true)
        appendPollDescriptors(to: &eventFDs)
        let n = poll(&eventFDs, nfds_t(eventFDs.count), timeoutMilliseconds)
        let fds = eventFDs
        if n < 0 { return Glibc.errno == EINTR ? 0 : -1 }
        if fds[0].revents & Int16(POLLIN) != 0 {
            var ctx = drmEventContext()
            ctx.version = 3 // page_flip_handler2
            ctx.page_flip_handler2 = { _, _, sec, usec, _, data in
                guard let data else { return }
                Unmanaged<DRMDisplay>.fromOpaque(data).takeUnretainedValue().flipCompleted(seconds: sec, microseconds: usec)
            }
            drmHandleEvent(device.fd, &ctx)
        }
        if queued == nil, pendingSlot != nil { try commitPending() } // after an EBUSY
        if fds.count > 1, fds[1].revents & Int16(POLLIN) != 0, let h = hotplug {
            let card = device.path.split(separator: "/").last.map(String.init) ?? ""
            let events = h.read().filter { $0.card == card }
            if !events.isEmpty { try handleHotplug() }
        }
        return Int(n)
    }

    /// Handles events until no flip is in flight, or throws `.timeout`.
    public func waitForIdle(timeoutMilliseconds: Int = 2000) throws(DRMError) {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: .milliseconds(timeoutMilliseconds))
        while isBusy {
            guard clock.now < deadline else { throw .timeout("page flip") }
            try dispatchEvents(timeoutMilliseconds: 50)
        }
    }

    // MARK: hotplug

    /// Re-probes after a connector change: lights the display again (new modeset, new
    /// buffers) when it comes back or changes, turns the CRTC off when it goes away.
    public func handleHotplug() throws(DRMError) {
        stats.hotplugEvents += 1
        if queued != nil { try? waitForIdle(timeoutMilliseconds: 1000) }
        let res = try device.resources()
        let now = res.connectors.first { $0.id == connector.id }
        if let now, now.connected, !now.modes.isEmpty {
            let wantedMode = Self.pickMode(now.modes, wanted: config.mode)
            if isActive, let m = wantedMode, m == mode { log("render: hotplug on \(connector.name): no change"); return }
            log("render: hotplug: \(now.name) connected, modesetting again")
            let (c, m) = try Self.choose(res, config: config, path: device.path)
            connector = c
            mode = m
            pendingSlot = nil
            try setUp()
        } else if let other = try? Self.choose(res, config: config, path: device.path), config.connector == nil {
            log("render: hotplug: \(connector.name) gone, switching to \(other.0.name)")
            connector = other.0
            mode = other.1
            pendingSlot = nil
            try setUp()
        } else if isActive {
            log("render: hotplug: \(connector.name) disconnected, display off")
            let req = AtomicRequest(device: device, cache: &propCache)
            req.set(connector.id, type: UInt32(DRM_MODE_OBJECT_CONNECTOR), "CRTC_ID", 0)
            req.set(crtc, type: UInt32(DRM_MODE_OBJECT_CRTC), "ACTIVE", 0)
            req.set(crtc, type: UInt32(DRM_MODE_OBJECT_CRTC), "MODE_ID", 0)
            req.disablePlane(primaryPlane)
            if let o = overlayPlane { req.disablePlane(o) }
            if writebackAttached, let wb = res.connectors.first(where: \.isWriteback) {
                req.set(wb.id, type: UInt32(DRM_MODE_OBJECT_CONNECTOR), "CRTC_ID", 0)
                writebackAttached = false
            }
            propCache = req.resolvedCache
            let rc = req.commit(flags: UInt32(DRM_MODE_ATOMIC_ALLOW_MODESET))
            if rc != 0 { log("render: turning the CRTC off failed: \(String(cString: strerror(rc)))") }
            isActive = false
            pendingSlot = nil
            active = nil
            queued = nil
        }
    }

    // MARK: inspection

    /// Reads back exactly what the CRTC shows through the writeback connector (vkms): one
    /// blocking commit of the current picture plus WRITEBACK_FB_ID, then waits for its
    /// out-fence. Test hook for the lab; the daemon is DRM master, so it must do the read-back.
    public func captureWriteback(timeoutMilliseconds: Int32 = 5000) throws(DRMError) -> XRGBImage {
        guard device.writeback, let wb = try device.resources().connectors.first(where: \.isWriteback) else { throw .noWriteback }
        try waitForIdle()
        guard isActive, let a = active else { throw .noConnectedConnector(path: device.path) }
        if writebackBuffer?.width != mode.width || writebackBuffer?.height != mode.height {
            writebackBuffer = try DumbBuffer(device: device, width: mode.width, height: mode.height)
        }
        guard let out = writebackBuffer else { throw .noWriteback }
        var fence: Int32 = -1
        let rc = withUnsafeMutablePointer(to: &fence) { fp -> Int32 in
            let req = request(slots[a], modeset: false)
            let t = UInt32(DRM_MODE_OBJECT_CONNECTOR)
            var flags: UInt32 = 0
            if !writebackAttached {
                req.set(wb.id, type: t, "CRTC_ID", UInt64(crtc))
                flags |= UInt32(DRM_MODE_ATOMIC_ALLOW_MODESET)
            }
            req.set(wb.id, type: t, "WRITEBACK_FB_ID", UInt64(out.fbID))
            req.set(wb.id, type: t, "WRITEBACK_OUT_FENCE_PTR", UInt64(UInt(bitPattern: fp)))
            propCache = req.resolvedCache
            return req.commit(flags: flags)
        }
        guard rc == 0 else { throw .commit(errno: rc, testOnly: false) }
        writebackAttached = true
        guard fence >= 0 else { throw .fence("no out-fence returned") }
        defer { close(fence) }
        var pfd = pollfd(fd: fence, events: Int16(POLLIN), revents: 0)
        guard poll(&pfd, 1, timeoutMilliseconds) == 1 else { throw .fence("not signalled within \(timeoutMilliseconds) ms") }
        return out.snapshot()
    }

    /// Current plane states as the kernel reports them (which plane shows which FB).
    public func planeStates() throws(DRMError) -> [KMSPlane] {
        try device.resources().planes
    }
}
