import Devices
import Foundation
import Media

/// Unbinds the vivid platform device through sysfs while capturing, then binds it again:
/// the capture must report the loss, the monitor removed/added events, and frames must come
/// back within 2 s of the bind, in the same process.
enum HotplugCheck {
    static func run(vivid: CameraInfo?) {
        guard let vivid else {
            check("hotplug", false, "no vivid camera")
            return
        }
        // vivid-000 is the platform device vivid.0.
        let platform = "vivid." + String(Int(vivid.busInfo.split(separator: "-").last ?? "0") ?? 0)
        let driver = "/sys/bus/platform/drivers/vivid"
        do {
            let monitor = try HotplugMonitor()  // before the camera is opened: nothing can slip past
            monitor.seedExistingNodes()
            let camera = ReconnectingCamera(id: vivid.id, request: CameraRequest(width: 640, height: 480, fps: 30), retryMillis: 200)
            try camera.start()
            var before = 0
            let t0 = monotonicNanos()
            while monotonicNanos() - t0 < 1_000_000_000 {
                if try camera.nextFrame(now: monotonicNanos(), timeoutMillis: 100) != nil { before += 1 }
            }
            var events: [String] = []
            func drainMonitor() -> HotplugEvent? {
                var addedCamera: HotplugEvent?
                while let e = try? monitor.next(timeoutMillis: 0) {
                    events.append("\(e.kind.rawValue):\(e.devnode)")
                    if e.deviceClass == .camera && e.kind == .added { addedCamera = e }
                }
                return addedCamera
            }
            guard writeSysfs(driver + "/unbind", platform) else {
                check("hotplug", false, "cannot write \(driver)/unbind")
                return
            }
            var lost: DeviceError?
            let tUnbind = monotonicNanos()
            while lost == nil && monotonicNanos() - tUnbind < 3_000_000_000 {
                _ = try camera.nextFrame(now: monotonicNanos(), timeoutMillis: 100)
                while let e = camera.pollEvent() { if case .lost(let err) = e { lost = err } }
            }
            _ = drainMonitor()
            let removedSeen = events.contains { $0.hasPrefix("removed:/dev/video") }
            if let lost {
                check("error_vanished", lost == .vanished(device: vivid.path), "capture during unbind: \(lost)")
            } else {
                check("error_vanished", false, "no loss reported within 3 s of unbind")
            }
            usleep(300_000)
            guard writeSysfs(driver + "/bind", platform) else {
                check("hotplug", false, "cannot write \(driver)/bind")
                return
            }
            let tBind = monotonicNanos()
            var resumedAfter: Int64?
            var after = 0
            while monotonicNanos() - tBind < 5_000_000_000 && after < 10 {
                if drainMonitor() != nil { camera.deviceChanged() }
                if try camera.nextFrame(now: monotonicNanos(), timeoutMillis: 50) != nil {
                    if resumedAfter == nil { resumedAfter = monotonicNanos() - tBind }
                    after += 1
                }
            }
            _ = drainMonitor()
            camera.stop()
            let addedSeen = events.contains { $0.hasPrefix("added:/dev/video") }
            let resumeMs = resumedAfter.map { Double($0) / 1e6 } ?? -1
            check("hotplug", removedSeen && addedSeen && lost != nil && resumedAfter != nil && resumeMs < 2000 && after >= 10,
                  "frames_before=\(before) lost=\(lost.map { "\($0)" } ?? "none") events=\(events) resumed_after_ms=\(fmt(resumeMs)) frames_after=\(after)")
        } catch {
            check("hotplug", false, "\(error)")
        }
    }
}
