import CV4L2
import Devices
import Foundation

/// Creates a multitouch (protocol B) panel through uinput, finds it by enumeration, injects
/// a tap, and expects a tap event at the mapped screen coordinates.
enum TouchCheck {
    static let name = "kiosk-lab-touch"
    static let screen = (width: 1024, height: 768)

    static func run() {
        let device: UInputPanel
        do {
            device = try UInputPanel(name: name)
        } catch {
            check("touch_tap", false, "\(error)")
            return
        }
        var panel: TouchInfo?
        for _ in 0..<40 where panel == nil {
            panel = EvdevTouch.panels().first { $0.name == name }
            if panel == nil { usleep(50_000) }
        }
        guard let panel else {
            check("touch_tap", false, "panel \(name) did not appear under /dev/input")
            return
        }
        do {
            let touch = try EvdevTouch(path: panel.path, screenWidth: screen.width, screenHeight: screen.height)
            let (rawX, rawY): (Int32, Int32) = (1024, 3072)
            device.tap(rawX: rawX, rawY: rawY)
            var events: [TouchTracker.Event] = []
            var tap: (Int, Int)?
            let t0 = monotonicNanos()
            while tap == nil && monotonicNanos() - t0 < 2_000_000_000 {
                if let e = try touch.next(timeoutMillis: 100) {
                    events.append(e)
                    if case .tap(let x, let y, _) = e { tap = (x, y) }
                }
            }
            let expected = (256, 575)  // 1024/4095 * 1023, 3072/4095 * 767
            check("touch_tap", tap.map { $0 == expected } ?? false,
                  "\(panel.path) \(panel.id) mt=\(panel.multitouch) range=\(panel.maxX)x\(panel.maxY) tap=\(tap.map { "\($0.0),\($0.1)" } ?? "none") expected=\(expected.0),\(expected.1) events=\(events.count)")
        } catch {
            check("touch_tap", false, "\(error)")
        }
    }
}

/// A multitouch (protocol B) panel created through uinput, 0...4095 on both axes; destroyed
/// with the value. For the touch check and for tapping a running kioskd (`touch-tap`).
final class UInputPanel {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static let maximum: Int32 = 4095
    let fd: Int32

    init(name: String) throws {
        fd = open("/dev/uinput", O_WRONLY | O_NONBLOCK)
        guard fd >= 0 else { throw Failure(description: "open /dev/uinput: \(String(cString: strerror(errno)))") }
        var ok = true
        for ev in [EV_SYN, EV_KEY, EV_ABS] { ok = ok && kiosk_ioctl_int(fd, kiosk_UI_SET_EVBIT(), ev) == 0 }
        ok = ok && kiosk_ioctl_int(fd, kiosk_UI_SET_KEYBIT(), BTN_TOUCH) == 0
        ok = ok && kiosk_ioctl_int(fd, kiosk_UI_SET_PROPBIT(), INPUT_PROP_DIRECT) == 0
        let axes: [(Int32, Int32)] = [(ABS_X, Self.maximum), (ABS_Y, Self.maximum), (ABS_MT_SLOT, 9), (ABS_MT_POSITION_X, Self.maximum),
                                      (ABS_MT_POSITION_Y, Self.maximum), (ABS_MT_TRACKING_ID, 65535)]
        for (axis, maximum) in axes {
            ok = ok && kiosk_ioctl_int(fd, kiosk_UI_SET_ABSBIT(), axis) == 0
            var setup = uinput_abs_setup()
            setup.code = UInt16(axis)
            setup.absinfo.maximum = maximum
            ok = ok && kiosk_v4l2_ioctl(fd, kiosk_UI_ABS_SETUP(), &setup) == 0
        }
        var setup = uinput_setup()
        setup.id.bustype = UInt16(BUS_VIRTUAL)
        setup.id.vendor = 0x1209
        setup.id.product = 0x7001
        withUnsafeMutableBytes(of: &setup.name) { raw in
            for (i, b) in name.utf8.enumerated() where i < raw.count - 1 { raw[i] = b }
        }
        ok = ok && kiosk_v4l2_ioctl(fd, kiosk_UI_DEV_SETUP(), &setup) == 0
        ok = ok && kiosk_ioctl_int(fd, kiosk_UI_DEV_CREATE(), 0) == 0
        guard ok else {
            let e = errno
            close(fd)
            throw Failure(description: "uinput setup failed: \(String(cString: strerror(e)))")
        }
    }

    deinit {
        _ = kiosk_ioctl_int(fd, kiosk_UI_DEV_DESTROY(), 0)
        close(fd)
    }

    /// A finger down and up 60 ms later at raw panel coordinates.
    func tap(rawX: Int32, rawY: Int32) {
        send([(EV_ABS, ABS_MT_SLOT, 0), (EV_ABS, ABS_MT_TRACKING_ID, 7), (EV_ABS, ABS_MT_POSITION_X, rawX),
              (EV_ABS, ABS_MT_POSITION_Y, rawY), (EV_KEY, BTN_TOUCH, 1), (EV_ABS, ABS_X, rawX), (EV_ABS, ABS_Y, rawY),
              (EV_SYN, SYN_REPORT, 0)])
        usleep(60_000)
        send([(EV_ABS, ABS_MT_TRACKING_ID, -1), (EV_KEY, BTN_TOUCH, 0), (EV_SYN, SYN_REPORT, 0)])
    }

    /// The raw coordinate that maps to screen pixel `p` of `size` (the inverse of the
    /// calibration kioskd applies: raw / 4095 × (size − 1), rounded).
    static func raw(_ p: Int, of size: Int) -> Int32 {
        Int32((Double(p) * Double(maximum) / Double(size - 1)).rounded())
    }

    private func send(_ events: [(Int32, Int32, Int32)]) {
        var list = events.map { e -> input_event in
            var ev = input_event()
            ev.type = UInt16(e.0)
            ev.code = UInt16(e.1)
            ev.value = e.2
            return ev
        }
        _ = list.withUnsafeMutableBytes { write(fd, $0.baseAddress, $0.count) }
    }
}
