import Foundation
import Logging
import Media
import Render
import SessionCore
import SessionDriver
import Synchronization
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// The one thread that owns the display. It draws when something changed — the
/// presentation, a new remote or self frame while video shows, a screenshot asked for — and
/// the display can take a scene (on DRM: no drawn frame already waiting for the flip in
/// flight, so at most one draw per flip; a self frame alone at most every 28 ms, as the
/// clinician's frames bring the latest self view with them); otherwise it sleeps on its wake signal and the
/// display's descriptors (page flips, hotplug). Never on a timer, but for a display without
/// flips, which is drawn at most 60 times a second. Hit tests and screenshots answer from
/// what was actually drawn.
public final class ScreenLoop: Sendable {
    private struct Shared {
        var presentation: KioskPresentation?
        var changed = false
        /// A frame arrived that the presentation shows: the clinician's, the patient's own.
        var newFrame = false
        var newSelfFrame = false
        var layout: ScreenLayout?
        var presentedName = ""
        var framesPresented = 0
        var running = false
        var screenshotWaiters: [CheckedContinuation<[UInt8], Never>] = []
        var drawWaiters: [CheckedContinuation<Void, Never>] = []
    }

    private let shared = Mutex(Shared())
    private let wake = WakeSignal()
    private let size: Mutex<PixelSize>
    private let openDisplay: @Sendable () -> (any Display)?
    private let media: MediaPipeline
    private let logger: Logger
    /// How often a display without flip events is drawn at most.
    static let unpacedIntervalNanos: Int64 = 16_666_667
    /// A new self frame with nothing else new waits this long after the last draw (a 30 fps
    /// camera's frames are 33 ms apart, so alone they still all show).
    static let selfViewIntervalNanos: Int64 = 28_000_000
    /// While the clinician's video shows, its frames bring the self view along; a self frame
    /// alone draws only when theirs are late (measured: drawing self frames between theirs
    /// took a call from 26 to about 35 compositions a second, +0.5 CPU-s per 20 s).
    static let selfViewInCallIntervalNanos: Int64 = 50_000_000
    /// How often opening a display is retried while there is none and no DRM uevent came
    /// (a uevent retries at once: a card's driver loading, a connector plugged).
    static let reopenIntervalNanos: Int64 = 30_000_000_000

    /// `openDisplay` runs on the loop's thread (which then owns the display), again on a DRM uevent (30 s at the latest)
    /// while it returns nil. Until a display opens, hit tests use `assumedSize`.
    public init(openDisplay: @escaping @Sendable () -> (any Display)?, assumedSize: PixelSize = PixelSize(width: 1920, height: 1080),
                media: MediaPipeline, logger: Logger) {
        self.openDisplay = openDisplay
        size = Mutex(assumedSize)
        self.media = media
        self.logger = logger
    }

    /// The screen's size in pixels (touch coordinates are in this space).
    public var outputSize: PixelSize { size.withLock { $0 } }

    func start() {
        let already = shared.withLock { s -> Bool in
            defer { s.running = true }
            return s.running
        }
        guard !already else { return }
        media.setFrameObserver { [weak self] in self?.frameArrived($0) }
        Thread { self.loop() }.start()
    }

    func stop() {
        shared.withLock { $0.running = false }
        media.setFrameObserver(nil)
        wake.signal()
    }

    func show(_ p: KioskPresentation) {
        shared.withLock { s in
            s.presentation = p
            s.changed = true
        }
        wake.signal()
    }

    /// From a media thread: a new remote or self frame. Wakes the loop only when it is shown.
    private func frameArrived(_ source: MediaPipeline.FrameSource) {
        let shown = shared.withLock { s -> Bool in
            guard let p = s.presentation else { return false }
            switch source {
            case .remote where p.remoteVideo: s.newFrame = true
            case .selfView where p.selfVideo: s.newSelfFrame = true
            default: return false
            }
            return true
        }
        if shown { wake.signal() }
    }

    /// The button under (x, y) on the screen last drawn.
    func button(atX x: Int, y: Int) -> KioskButton? {
        shared.withLock { $0.layout }?.button(atX: x, y: y)
    }

    public var layout: ScreenLayout? { shared.withLock { $0.layout } }
    public var presentedName: String { shared.withLock { $0.presentedName } }
    var framesPresented: Int { shared.withLock { $0.framesPresented } }

    /// A PNG of the next drawn frame (composed the same way, in software).
    public func screenshot() async -> [UInt8] {
        await withCheckedContinuation { c in
            if !queueForNextDraw({ $0.screenshotWaiters.append(c) }) { c.resume(returning: []) }
        }
    }

    /// Returns once the screen has been drawn afresh (what was presented before this call is on it).
    /// At once when the loop is not running (nothing would draw).
    func nextDraw() async {
        await withCheckedContinuation { c in
            if !queueForNextDraw({ $0.drawWaiters.append(c) }) { c.resume() }
        }
    }

    /// Adds a waiter (`add`) and asks for a draw; false when the loop is not running, so the
    /// caller answers at once.
    private func queueForNextDraw(_ add: (inout Shared) -> Void) -> Bool {
        let running = shared.withLock { s -> Bool in
            guard s.running else { return false }
            add(&s)
            s.changed = true
            return true
        }
        if running { wake.signal() }
        return running
    }

    private func loop() {
        var display: (any Display)?
        var nextOpen = MonotonicClock.now().nanoseconds
        let shooter = Compositor(painter: try? ScreenPainter())
        var shot = XRGBImage(width: outputSize.width, height: outputSize.height)
        var fds: [pollfd] = []
        var hotplug: DRMHotplugMonitor?
        var dirty = false
        var lastDrawn: Int64 = 0
        var waiters: [CheckedContinuation<[UInt8], Never>] = []
        var drawWaiters: [CheckedContinuation<Void, Never>] = []
        // The capture stamps of presented scenes' remote frames (nil: none), oldest first, and
        // the display's shown count they follow: each is read off when its scene is shown.
        var stamps = StampsInFlight()
        // A new self frame alone redraws at most every `selfViewIntervalNanos` (50 ms in a
        // call): the clinician's frames, which redraw at once, carry the latest self view with
        // them, so a call is composed about 30 times a second rather than once per frame of
        // either (60).
        var selfPending = false
        var lastStamp: Int64?
        var shownSoFar = 0
        while true {
            var now = MonotonicClock.now().nanoseconds
            if display == nil, now >= nextOpen {
                nextOpen = now + Self.reopenIntervalNanos
                display = openDisplay()
                // Until one opens, the kernel's DRM uevents say when to try again.
                hotplug = display == nil ? (hotplug ?? (try? DRMHotplugMonitor())) : nil
                if let d = display {
                    size.withLock { $0 = d.outputSize }
                    shot = XRGBImage(width: d.outputSize.width, height: d.outputSize.height)
                    dirty = true
                }
            }
            let (running, presentation) = shared.withLock { s in
                if s.changed || s.newFrame { dirty = true }
                if s.newSelfFrame { selfPending = true }
                s.changed = false
                s.newFrame = false
                s.newSelfFrame = false
                waiters.append(contentsOf: s.screenshotWaiters)
                s.screenshotWaiters.removeAll(keepingCapacity: true)
                drawWaiters.append(contentsOf: s.drawWaiters)
                s.drawWaiters.removeAll(keepingCapacity: true)
                return (s.running, s.presentation)
            }
            if !running || presentation == nil {
                for w in waiters { w.resume(returning: []) }
                for w in drawWaiters { w.resume() }
                waiters.removeAll(keepingCapacity: true)
                drawWaiters.removeAll(keepingCapacity: true)
                if !running { return }
            }
            fds.removeAll(keepingCapacity: true)
            fds.append(wake.pollEntry)
            display?.appendPollDescriptors(to: &fds)
            let flipPaced = fds.count > 1
            if let hotplug { fds.append(pollfd(fd: hotplug.fd, events: Int16(POLLIN), revents: 0)) }
            now = MonotonicClock.now().nanoseconds
            let unpacedDue = lastDrawn + Self.unpacedIntervalNanos
            let selfInterval = presentation?.remoteVideo == true ? Self.selfViewInCallIntervalNanos : Self.selfViewIntervalNanos
            if selfPending, now - lastDrawn >= selfInterval { dirty = true }
            if dirty, let presentation, display?.readyForScene ?? true, flipPaced || now >= unpacedDue {
                let remote = draw(presentation, on: display, shot: &shot, shooter: shooter, waiters: &waiters)
                if let display {
                    // A frame counts when it is first shown: redrawn under a new self view it is not new.
                    var stamp = remote.flatMap(GlassToGlass.stamp(of:))
                    if let s = stamp { if s == lastStamp { stamp = nil } else { lastStamp = s } }
                    stamps.append(stamp)
                    shownSoFar = noteShown(display, stamps: &stamps, after: shownSoFar)
                }
                dirty = false
                selfPending = false
                lastDrawn = now
                for w in drawWaiters { w.resume() }
                drawWaiters.removeAll(keepingCapacity: true)
            }
            // Milliseconds to the earliest deadline, a second at most.
            var timeout: Int64 = 1000
            func until(_ deadline: Int64) { timeout = min(timeout, max(0, (deadline - now) / 1_000_000 + 1)) }
            if display == nil { until(nextOpen) }
            if dirty, !flipPaced { until(unpacedDue) }
            if selfPending, !dirty { until(lastDrawn + selfInterval) }
            guard poll(&fds, nfds_t(fds.count), Int32(timeout)) > 0 else { continue }
            if fds[0].revents != 0 { wake.drain() }
            if let h = hotplug, fds.last?.revents ?? 0 != 0, h.drainAnyDRM() > 0 { nextOpen = MonotonicClock.now().nanoseconds }
            if flipPaced, fds[1...].contains(where: { $0.revents != 0 }), let display {
                do { try display.handleEvents() } catch {
                    logger.error("display events failed", metadata: ["error": "\(error)"])
                }
                shownSoFar = noteShown(display, stamps: &stamps, after: shownSoFar)
            }
        }
    }

    /// Scenes shown since `before`: the stamp of each (its remote frame's) is a glass-to-glass
    /// sample now. Returns the display's shown count.
    private func noteShown(_ display: any Display, stamps: inout StampsInFlight, after before: Int) -> Int {
        let shown = display.scenesShown
        for _ in before..<max(before, shown) {
            guard let stamp = stamps.popFirst() else { break }
            if let stamp { media.remoteFrameShown(stamp: stamp) }
        }
        return shown
    }

    /// The stamps of scenes drawn and not yet shown: at most the one flipping and the one
    /// waiting for it. A commit that failed never flips, so an older stamp is dropped rather
    /// than paired with a later scene's flip.
    struct StampsInFlight {
        private var slots: (Int64?, Int64?) = (nil, nil)
        private(set) var count = 0

        mutating func append(_ stamp: Int64?) {
            if count == 2 { _ = popFirst() }
            if count == 0 { slots.0 = stamp } else { slots.1 = stamp }
            count += 1
        }

        mutating func popFirst() -> Int64?? {
            guard count > 0 else { return nil }
            let first = slots.0
            slots = (slots.1, nil)
            count -= 1
            return .some(first)
        }
    }

    /// Draws and returns the remote frame drawn, if any.
    @discardableResult
    private func draw(_ presentation: KioskPresentation, on display: (any Display)?, shot: inout XRGBImage,
                      shooter: Compositor, waiters: inout [CheckedContinuation<[UInt8], Never>]) -> VideoFrame? {
        let scene = Scene(remote: presentation.remoteVideo ? media.latestRemoteFrame : nil,
                          selfView: presentation.selfVideo ? media.latestSelfFrame : nil,
                          screen: presentation.screen)
        do {
            try display?.present(scene)
        } catch {
            logger.error("cannot draw the screen", metadata: ["error": "\(error)"])
        }
        let layout = ScreenLayout(screen: presentation.screen, output: outputSize)
        shared.withLock { s in
            s.layout = layout
            s.presentedName = presentation.name
            s.framesPresented += 1
        }
        guard !waiters.isEmpty else { return scene.remote }
        shot.withCanvas { canvas in _ = shooter.compose(scene, into: canvas) }
        let png = PNGEncoder.encode(shot)
        for w in waiters { w.resume(returning: png) }
        waiters.removeAll(keepingCapacity: true)
        return scene.remote
    }
}
