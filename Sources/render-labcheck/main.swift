// render-labcheck: the Render lab checks, run inside the lab VM against vkms (issue 5's
// "Done when"). Prints one `CHECK <name> ok|fail <detail>` line per check; exit 1 if any failed.
//   render-labcheck [--device /dev/dri/card0] [--out DIR] [--flips 300] [--skip-hotplug]
// (The compose benchmark is `make bench`: Benchmarks/, RenderBench.)
import Glibc
import Media
import Render

var devicePath: String?
var outDir: String?
var flipCount = 300
var hotplug = true
var args = CommandLine.arguments.dropFirst()
while let a = args.popFirst() {
    switch a {
    case "--device": devicePath = args.popFirst()
    case "--out": outDir = args.popFirst()
    case "--flips": flipCount = args.popFirst().flatMap { Int($0) } ?? flipCount
    case "--skip-hotplug": hotplug = false
    default: print("usage: render-labcheck [--device PATH] [--out DIR] [--flips N] [--skip-hotplug]"); exit(2)
    }
}

var failures = 0
@MainActor func check(_ name: String, _ ok: Bool, _ detail: String) {
    print("CHECK \(name) \(ok ? "ok" : "fail") \(detail)")
    fflush(nil)
    if !ok { failures += 1 }
}

func fmt(_ v: Double, _ digits: Int = 2) -> String {
    var p = 1.0
    for _ in 0..<digits { p *= 10 }
    let r = (v * p).rounded() / p
    return "\(r)"
}

/// Test pictures: a 16:9 remote with coloured quadrants (letterboxed on 4:3 screens) and a
/// self view whose halves swap when mirrored.
struct Colours {
    static let red = (y: UInt8(81), u: UInt8(90), v: UInt8(240))
    static let green = (y: UInt8(145), u: UInt8(54), v: UInt8(34))
    static let blue = (y: UInt8(41), u: UInt8(240), v: UInt8(110))
    static let white = (y: UInt8(235), u: UInt8(128), v: UInt8(128))
    static let yellow = (y: UInt8(210), u: UInt8(16), v: UInt8(146))
}

func frame(width: Int, height: Int, luma: Int = 0, _ f: (Int, Int) -> (y: UInt8, u: UInt8, v: UInt8)) -> VideoFrame {
    var planes = [UInt8](repeating: 0, count: VideoFrame.byteCount(width: width, height: height))
    let cw = VideoFrame.chromaWidth(width), ch = VideoFrame.chromaHeight(height)
    for y in 0..<height { for x in 0..<width { planes[y * width + x] = UInt8(clamping: Int(f(x, y).y) + luma) } }
    for y in 0..<ch { for x in 0..<cw {
        let c = f(2 * x, 2 * y)
        planes[width * height + y * cw + x] = c.u
        planes[width * height + cw * ch + y * cw + x] = c.v
    } }
    return VideoFrame(width: width, height: height, planes: planes)
}

let remote = frame(width: 640, height: 360) { x, y in
    switch (x < 320, y < 180) {
    case (true, true): Colours.red
    case (false, true): Colours.green
    case (true, false): Colours.blue
    case (false, false): Colours.white
    }
}
let me = frame(width: 320, height: 180) { x, _ in x < 160 ? Colours.yellow : Colours.blue }
let scene = Scene(remote: remote, selfView: me)
let compositorConfig = CompositorConfig(selfViewSize: PixelSize(width: 256, height: 144), selfViewMargin: 24, mirrorSelfView: true)

@MainActor func save(_ img: XRGBImage, _ name: String) {
    guard let outDir else { return }
    try? { () throws(RenderFileError) in try RenderFileError.writeFile(PNGEncoder.encode(img), to: "\(outDir)/\(name)") }()
}

/// Region checks on a read-back picture; returns problems (empty = pass).
func inspect(_ img: XRGBImage, layout: CompositionLayout) -> [String] {
    var problems: [String] = []
    func expect(_ rect: PixelRect, _ want: XRGB, _ what: String, tolerance: Int = 4) {
        let got = img.mean(of: rect)
        if got.distance(to: want) > tolerance { problems.append("\(what)=\(got)≠\(want)") }
    }
    guard let r = layout.remote, let s = layout.selfView else { return ["layout has no remote/self rect"] }
    // Remote fills the width with its 16:9 aspect (bars above and below on 4:3).
    let wantH = img.width * 9 / 16
    if abs(r.width - img.width) > 2 || abs(r.height - wantH) > 2 { problems.append("remote rect \(r) not aspect-fitted") }
    let qw = r.width / 2, qh = r.height / 2
    func quad(_ qx: Int, _ qy: Int) -> PixelRect {
        PixelRect(x: r.x + qx * qw + 8, y: r.y + qy * qh + 8, width: qw - 16, height: qh - 16)
    }
    // Avoid the self view when sampling the top-left quadrant.
    var tl = quad(0, 0)
    if tl.intersection(s.insetBy(-8)).isEmpty == false { tl = PixelRect(x: tl.x, y: s.maxY + 8, width: tl.width, height: tl.maxY - s.maxY - 8) }
    expect(tl, XRGB(r: 255, g: 0, b: 0), "remote_top_left")
    expect(quad(1, 0), XRGB(r: 0, g: 255, b: 0), "remote_top_right")
    expect(quad(0, 1), XRGB(r: 0, g: 0, b: 255), "remote_bottom_left")
    expect(quad(1, 1), XRGB(r: 255, g: 255, b: 255), "remote_bottom_right")
    if r.y > 4 {
        expect(PixelRect(x: s.maxX + 8, y: 0, width: img.width - s.maxX - 16, height: r.y - 2), .black, "top_bar", tolerance: 0)
        expect(PixelRect(x: 0, y: r.maxY + 2, width: img.width, height: img.height - r.maxY - 2), .black, "bottom_bar", tolerance: 0)
        if img.mean(of: PixelRect(x: r.x + r.width / 2, y: r.y + 2, width: 8, height: 4)) == .black { problems.append("remote does not start at y=\(r.y)") }
    }
    // Self view upper-left at the configured size, mirrored: the camera's right half (blue) on the left.
    if s != PixelRect(x: 24, y: 24, width: 256, height: 144) { problems.append("self view rect \(s)") }
    expect(PixelRect(x: s.x + 6, y: s.y + 6, width: s.width / 2 - 12, height: s.height - 12), XRGB(r: 0, g: 0, b: 255), "self_left(mirrored)")
    expect(PixelRect(x: s.x + s.width / 2 + 6, y: s.y + 6, width: s.width / 2 - 12, height: s.height - 12),
           XRGB(r: 255, g: 255, b: 0), "self_right(mirrored)", tolerance: 6)
    return problems
}

func mismatches(_ a: XRGBImage, _ b: XRGBImage, tolerance: Int) -> Int {
    guard a.width == b.width, a.height == b.height else { return -1 }
    var n = 0
    for i in 0..<a.pixels.count where XRGB(word: a.pixels[i]).distance(to: XRGB(word: b.pixels[i])) > tolerance { n += 1 }
    return n
}

// 1. Inventory.
let inventory = DisplayInventory.scan()
let card = inventory.cards.first
check("render_inventory", card != nil,
      card.map { c in
          "\(c.path) \(c.driver) atomic=\(c.atomic) connectors=" + c.connectors.map { "\($0.name):\($0.status)" }.joined(separator: ",")
              + " planes=" + c.planes.map { "\($0.type.rawValue)(\($0.formats.count))" }.joined(separator: ",")
      } ?? "no card: \(inventory.errors)")

@MainActor func makeDisplay(overlay: Bool) throws(DRMError) -> DRMDisplay {
    try DRMDisplay(config: DRMDisplayConfig(devicePath: devicePath, allowOverlayPlane: overlay, compositor: compositorConfig, watchHotplug: true),
                   log: { print("# \($0)") })
}

// 2. Software composition, read back through writeback.
var softwareImage: XRGBImage?
do {
    let d = try makeDisplay(overlay: false)
    try d.presentScene(scene)
    try d.waitForIdle()
    let img = try d.captureWriteback()
    save(img, "render-software.png")
    let layout = d.compositor.layout(for: scene, output: d.outputSize)
    var expected = XRGBImage(width: d.outputSize.width, height: d.outputSize.height)
    expected.withCanvas { d.compositor.compose(scene, into: $0) }
    let diff = mismatches(img, expected, tolerance: 0)
    let problems = inspect(img, layout: layout)
    softwareImage = img
    check("render_writeback_software", d.path == .software && problems.isEmpty && diff == 0,
          "mode=\(d.outputSize) path=\(d.path.rawValue) remote=\(layout.remote.map(\.description) ?? "-") self=\(layout.selfView.map(\.description) ?? "-") pixels_differing_from_offscreen=\(diff) \(problems.joined(separator: " "))")
} catch {
    check("render_writeback_software", false, "\(error)")
}

// 3. Overlay plane for the self view: plane state asserted, same picture as software.
do {
    let d = try makeDisplay(overlay: true)
    try d.presentScene(scene)
    try d.waitForIdle()
    let img = try d.captureWriteback()
    save(img, "render-overlay.png")
    let layout = d.compositor.layout(for: scene, output: d.outputSize)
    var planeOK = false
    var planeDetail = "no overlay plane"
    if let o = d.overlayPlane, let p = try d.planeStates().first(where: { $0.id == o }) {
        let props = d.device.properties(of: o, type: 0xEEEE_EEEE) // DRM_MODE_OBJECT_PLANE
        let rect = PixelRect(x: Int(props["CRTC_X"]?.value ?? 0), y: Int(props["CRTC_Y"]?.value ?? 0),
                             width: Int(props["CRTC_W"]?.value ?? 0), height: Int(props["CRTC_H"]?.value ?? 0))
        planeOK = p.fbID != 0 && p.crtcID == d.crtc && rect == layout.selfView
        planeDetail = "overlay_plane=\(o) fb=\(p.fbID) crtc=\(p.crtcID) at=\(rect)"
    }
    let diff = softwareImage.map { mismatches(img, $0, tolerance: 0) } ?? -1
    let problems = inspect(img, layout: layout)
    check("render_writeback_overlay", d.path == .overlayPlane && planeOK && diff == 0 && problems.isEmpty,
          "path=\(d.path.rawValue) \(planeDetail) pixels_differing_from_software=\(diff) \(problems.joined(separator: " "))")

    // 4. Page flips paced by flip events.
    d.resetStatistics()
    let before = d.stats
    let clock = ContinuousClock()
    let started = clock.now
    var frames: [Scene] = []
    for i in 0..<4 { frames.append(Scene(remote: frame(width: 640, height: 360, luma: i * 8) { _, _ in Colours.white }, selfView: me)) }
    var presented = 0
    var maxInFlight = 0
    var drawMs = 0.0
    while d.stats.flips - before.flips < flipCount {
        if !d.hasPendingFrame, presented < flipCount { // draw the next frame while the flip is in flight
            let t = clock.measure { try? d.presentScene(frames[presented % frames.count]) }
            drawMs += Double(t.components.seconds) * 1000 + Double(t.components.attoseconds) / 1e15
            presented += 1
        }
        maxInFlight = max(maxInFlight, d.stats.commits - d.stats.flips)
        if try d.dispatchEvents(timeoutMilliseconds: 1000) == 0 { break }
    }
    let wall = clock.now - started
    let wallMs = Double(wall.components.seconds) * 1000 + Double(wall.components.attoseconds) / 1e15
    let s = d.stats
    let flips = s.flips - before.flips, commits = s.commits - before.commits
    let intervals = s.flipIntervalCount - before.flipIntervalCount
    let mean = intervals > 0 ? (s.flipIntervalTotalMs - before.flipIntervalTotalMs) / Double(intervals) : 0
    check("render_flips", flips == flipCount && commits == flipCount && s.busy == 0 && s.failedCommits == 0 && maxInFlight <= 1,
          "flips=\(flips) commits=\(commits) ebusy=\(s.busy) failed=\(s.failedCommits) max_in_flight=\(maxInFlight) mean_flip_interval_ms=\(fmt(mean)) max_ms=\(fmt(s.flipIntervalMaxMs)) mode_refresh_hz=\(fmt(d.mode.refreshHz)) (\(fmt(1000 / d.mode.refreshHz)) ms) wall_fps=\(fmt(Double(flips) * 1000 / wallMs, 1)) mean_draw_ms=\(fmt(drawMs / Double(max(1, presented))))")

    // 5. Connector hotplug forced through sysfs: off → CRTC off, on → modeset and rendering resumes.
    if hotplug {
        let card = d.device.path.split(separator: "/").last.map(String.init) ?? "card0"
        let status = "/sys/class/drm/\(card)-\(d.connector.name)/status"
        func write(_ s: String) -> Bool {
            guard let f = fopen(status, "w") else { return false }
            defer { fclose(f) }
            return fputs(s, f) >= 0
        }
        func waitFor(_ cond: () -> Bool) throws(DRMError) -> Bool {
            for _ in 0..<60 where !cond() { try d.dispatchEvents(timeoutMilliseconds: 100) }
            return cond()
        }
        /// Forces the status; if the driver raises no uevent (vkms without output polling), asks
        /// the kernel for a synthetic "change" uevent of the card instead.
        func force(_ value: String, until cond: () -> Bool) throws(DRMError) -> String {
            guard write(value) else { return "write_failed" }
            for _ in 0..<20 where !cond() { try d.dispatchEvents(timeoutMilliseconds: 100) }
            if cond() { return "kernel" }
            guard let f = fopen("/sys/class/drm/\(card)/uevent", "w") else { return "none" }
            fputs("change", f)
            fclose(f)
            return try waitFor(cond) ? "synthetic" : "none"
        }
        let m0 = d.stats.modesets, h0 = d.stats.hotplugEvents
        var detail = ""
        let offEvent = try force("off") { !d.isActive }
        detail += "off:event=\(offEvent),active=\(d.isActive) "
        let onEvent = try force("on") { d.isActive }
        let ok = ["kernel", "synthetic"].contains(offEvent) && ["kernel", "synthetic"].contains(onEvent)
        detail += "on:event=\(onEvent),active=\(d.isActive) modesets+\(d.stats.modesets - m0) hotplug_events+\(d.stats.hotplugEvents - h0) "
        var resumed = false
        if d.isActive {
            let f0 = d.stats.flips
            for _ in 0..<3 { try d.presentScene(scene); try d.waitForIdle() }
            let img = try d.captureWriteback()
            save(img, "render-after-hotplug.png")
            let problems = inspect(img, layout: d.compositor.layout(for: scene, output: d.outputSize))
            resumed = d.stats.flips - f0 == 3 && problems.isEmpty
            detail += "flips_after=\(d.stats.flips - f0) \(problems.joined(separator: " "))"
        }
        _ = write("detect")
        check("render_hotplug", ok && resumed && d.stats.modesets > m0, "\(status) \(detail)")
    }
} catch {
    check("render_writeback_overlay", false, "\(error)")
}

print("CHECK render_summary \(failures == 0 ? "ok" : "fail") failed=\(failures)")
exit(failures == 0 ? 0 : 1)
