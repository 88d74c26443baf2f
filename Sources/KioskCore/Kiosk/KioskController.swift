import Foundation
import Logging
import Render
import SessionDriver
import Signaling

/// Drives `KioskFlow`: feeds it the call's events, touches and a clock tick, and performs what
/// it returns (screens, signaling intents, devices). Inputs are processed strictly one at a
/// time, in arrival order, even when performing an action produces a new input.
public actor KioskController {
    let call: KioskCall
    let media: MediaPipeline
    let screen: ScreenLoop
    let logger: Logger
    private let notifyStatus: @Sendable (String) -> Void
    private var flow: KioskFlow
    private var queue: [KioskFlow.Input] = []
    private var processing = false
    private var lastStatus = ""
    /// Where the visit in progress is noted (nil: nowhere, e.g. the demo).
    private let visits: VisitStore?

    /// The call's events, in order; `KioskCall`'s observer writes here.
    nonisolated let callEvents: AsyncStream<CallEvent>
    private nonisolated let callEventSink: AsyncStream<CallEvent>.Continuation

    public init(call: KioskCall, media: MediaPipeline, screen: ScreenLoop, settings: KioskFlow.Settings = KioskFlow.Settings(),
                callEvents: (AsyncStream<CallEvent>, AsyncStream<CallEvent>.Continuation),
                logger: Logger, visits: VisitStore? = nil, notifyStatus: @escaping @Sendable (String) -> Void = { _ in }) {
        self.visits = visits
        self.call = call
        self.media = media
        self.screen = screen
        self.logger = logger
        self.notifyStatus = notifyStatus
        (self.callEvents, self.callEventSink) = callEvents
        flow = KioskFlow(settings: settings, now: MonotonicClock.now())
    }

    /// Runs the kiosk until cancelled: the screen, signaling and the call, and a 250 ms tick.
    public func run() async {
        screen.start()
        await input(.tick)
        if let record = visits?.load() {
            logger.notice("visit in progress before kioskd stopped; resuming it once the practice confirms",
                          metadata: ["appointment": "\(record.appointmentId)"])
            await input(.resumeVisit(appointmentId: record.appointmentId))
        }
        let call = self.call
        let callTask = Task { await call.run() }
        let events = Task {
            for await event in callEvents { await self.input(.call(event)) }
        }
        // A camera that goes away mid-session (or comes back), in the order the capture thread saw it.
        let (deviceEvents, deviceSink) = AsyncStream<MediaPipeline.DeviceEvent>.makeStream()
        media.setDeviceObserver { deviceSink.yield($0) }
        let devices = Task {
            for await event in deviceEvents {
                switch event {
                case .camera(let available): await self.input(.cameraAvailability(available))
                }
            }
        }
        while !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(250))
            if flow.phase == .deviceCheck { await input(.audioLevel(media.microphoneLevel)) }
            await input(.tick)
        }
        events.cancel()
        media.setDeviceObserver(nil)
        deviceSink.finish()
        devices.cancel()
        // A stop (SIGTERM) in a visit is the patient leaving: the practice hears it at once,
        // and the note goes, so the next start does not walk back in.
        await call.stop(leaving: flow.visitInProgress)
        visits?.clear()
        callTask.cancel()
        media.stop()
        media.closeDevices()
        screen.stop()
    }

    /// A touch at screen pixel (x, y): hit-tests what is on screen, then tells the flow.
    @discardableResult
    public func tap(x: Int, y: Int) async -> KioskButton? {
        let button = screen.button(atX: x, y: y)
        await input(.touched)
        if let button {
            logger.info("button pressed", metadata: ["button": "\(button.rawValue)"])
            await input(.pressed(button))
        }
        return button
    }

    var phase: KioskFlow.Phase { flow.phase }
    var appointmentId: String? { flow.appointment?.id }
    var ownMediaState: SignalingMediaState { flow.ownMediaState }
    var remoteMediaState: SignalingMediaState { flow.remote }

    func input(_ i: KioskFlow.Input) async {
        queue.append(i)
        guard !processing else { return }
        processing = true
        while !queue.isEmpty {
            let next = queue.removeFirst()
            for action in flow.handle(next, at: MonotonicClock.now()) {
                await perform(action)
            }
        }
        processing = false
    }

    private func perform(_ action: KioskFlow.Action) async {
        switch action {
        case .show(let p):
            screen.show(p)
            logger.info("screen", metadata: ["screen": "\(p.name)"])
        case .consent(let id):
            await call.setConsent(id)
        case .signal(let intent):
            await call.send(intent)
        case .openDevices:
            do {
                try await media.openDevices()
                queue.append(.devicesOpened(camera: media.cameraName, microphone: media.microphoneName))
            } catch {
                logger.error("cannot open the camera or microphone", metadata: ["error": "\(error)"])
                switch error {
                case .camera(let why): queue.append(.devicesFailed(.noCamera(why)))
                case .microphone(let why): queue.append(.devicesFailed(.noMicrophone(why)))
                }
            }
        case .closeDevices:
            media.closeDevices()
        case .stopCall:
            await call.hangUp()
        case .setCamera(let on):
            media.setCameraEnabled(on)
        case .setMicrophone(let muted):
            media.setMicrophoneMuted(muted)
        case .reconnectSignaling:
            await call.link.reconnectNow()
        case .rememberVisit(let id, let closesAt):
            guard let visits else { return }
            guard let id else { return visits.clear() }
            do {
                try visits.save(VisitRecord(appointmentId: id, closesAt: closesAt, notedAt: Date()))
            } catch {
                logger.warning("cannot note the visit; a restart would need the patient's tap", metadata: ["error": "\(error)"])
            }
        case .status(let text):
            guard text != lastStatus else { return }
            lastStatus = text
            notifyStatus(text)
            logger.notice("\(text)")
        }
    }
}
