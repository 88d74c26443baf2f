import Testing
@testable import Devices

@Suite struct TouchTrackerTests {
    typealias T = TouchTracker
    let cal = TouchCalibration(minX: 0, maxX: 4095, minY: 0, maxY: 4095, screenWidth: 1024, screenHeight: 768)
    let ms: Int64 = 1_000_000

    func drain(_ t: inout TouchTracker) -> [TouchTracker.Event] {
        var out: [TouchTracker.Event] = []
        while let e = t.poll() { out.append(e) }
        return out
    }

    @Test func multitouchProtocolBTap() {
        var t = TouchTracker(calibration: cal)
        for (code, value) in [(T.absMTSlot, 0), (T.absMTTrackingID, 7), (T.absMTPositionX, 1024), (T.absMTPositionY, 3072)] {
            t.handle(type: T.evAbs, code: code, value: Int32(value), timeNanos: 0)
        }
        t.handle(type: T.evKey, code: T.btnTouch, value: 1, timeNanos: 0)
        t.handle(type: T.evSyn, code: T.synReport, value: 0, timeNanos: 0)
        t.handle(type: T.evAbs, code: T.absMTTrackingID, value: -1, timeNanos: 80 * ms)
        t.handle(type: T.evSyn, code: T.synReport, value: 0, timeNanos: 80 * ms)
        #expect(drain(&t) == [.down(slot: 0, x: 256, y: 575, timeNanos: 0), .up(slot: 0, x: 256, y: 575, timeNanos: 80 * ms),
                              .tap(x: 256, y: 575, timeNanos: 80 * ms)])
    }

    @Test func twoFingersAreSeparateSlots() {
        var t = TouchTracker(calibration: cal)
        for (code, value) in [(T.absMTSlot, 0), (T.absMTTrackingID, 1), (T.absMTPositionX, 0), (T.absMTPositionY, 0),
                              (T.absMTSlot, 1), (T.absMTTrackingID, 2), (T.absMTPositionX, 4095), (T.absMTPositionY, 4095)] {
            t.handle(type: T.evAbs, code: code, value: Int32(value), timeNanos: 0)
        }
        t.handle(type: T.evSyn, code: T.synReport, value: 0, timeNanos: 0)
        #expect(drain(&t) == [.down(slot: 0, x: 0, y: 0, timeNanos: 0), .down(slot: 1, x: 1023, y: 767, timeNanos: 0)])
    }

    @Test func singleTouchPanelTap() {
        var t = TouchTracker(calibration: TouchCalibration(minX: 100, maxX: 900, minY: 100, maxY: 900, screenWidth: 801, screenHeight: 801))
        t.handle(type: T.evAbs, code: T.absX, value: 500, timeNanos: 0)
        t.handle(type: T.evAbs, code: T.absY, value: 300, timeNanos: 0)
        t.handle(type: T.evKey, code: T.btnTouch, value: 1, timeNanos: 0)
        t.handle(type: T.evSyn, code: T.synReport, value: 0, timeNanos: 0)
        t.handle(type: T.evKey, code: T.btnTouch, value: 0, timeNanos: 50 * ms)
        t.handle(type: T.evSyn, code: T.synReport, value: 0, timeNanos: 50 * ms)
        #expect(drain(&t).last == .tap(x: 400, y: 200, timeNanos: 50 * ms))
    }

    @Test func swipeAndLongPressAreNotTaps() {
        var t = TouchTracker(calibration: cal)
        t.handle(type: T.evAbs, code: T.absMTTrackingID, value: 1, timeNanos: 0)
        t.handle(type: T.evAbs, code: T.absMTPositionX, value: 100, timeNanos: 0)
        t.handle(type: T.evSyn, code: T.synReport, value: 0, timeNanos: 0)
        t.handle(type: T.evAbs, code: T.absMTPositionX, value: 2000, timeNanos: 30 * ms)
        t.handle(type: T.evSyn, code: T.synReport, value: 0, timeNanos: 30 * ms)
        t.handle(type: T.evAbs, code: T.absMTTrackingID, value: -1, timeNanos: 60 * ms)
        t.handle(type: T.evSyn, code: T.synReport, value: 0, timeNanos: 60 * ms)
        #expect(!drain(&t).contains { if case .tap = $0 { true } else { false } })
        t.handle(type: T.evAbs, code: T.absMTTrackingID, value: 2, timeNanos: 100 * ms)
        t.handle(type: T.evSyn, code: T.synReport, value: 0, timeNanos: 100 * ms)
        t.handle(type: T.evAbs, code: T.absMTTrackingID, value: -1, timeNanos: 2_000 * ms)
        t.handle(type: T.evSyn, code: T.synReport, value: 0, timeNanos: 2_000 * ms)
        #expect(!drain(&t).contains { if case .tap = $0 { true } else { false } })
    }

    @Test func droppedEventsAreSkippedUntilReportAndBadSlotsIgnored() {
        var t = TouchTracker(calibration: cal)
        t.handle(type: T.evSyn, code: T.synDropped, value: 0, timeNanos: 0)
        t.handle(type: T.evAbs, code: T.absMTTrackingID, value: 1, timeNanos: 0)
        t.handle(type: T.evSyn, code: T.synReport, value: 0, timeNanos: 0)
        t.handle(type: T.evAbs, code: T.absMTSlot, value: 9999, timeNanos: 0)
        t.handle(type: T.evAbs, code: T.absMTTrackingID, value: 5, timeNanos: 0)
        t.handle(type: T.evAbs, code: T.absMTSlot, value: -3, timeNanos: 0)
        t.handle(type: T.evAbs, code: T.absMTPositionX, value: 5, timeNanos: 0)
        t.handle(type: T.evSyn, code: T.synReport, value: 0, timeNanos: 0)
        #expect(drain(&t).isEmpty)
    }

    @Test func rotatedPanelCalibration() {
        let c = TouchCalibration(minX: 0, maxX: 100, minY: 0, maxY: 100, screenWidth: 101, screenHeight: 201,
                                 swapAxes: true, invertX: true)
        #expect(c.map(x: 25, y: 10) == (x: 90, y: 50))
        #expect(TouchCalibration(minX: 5, maxX: 5, minY: 0, maxY: 0, screenWidth: 10, screenHeight: 10).map(x: 7, y: 7) == (x: 0, y: 0))
    }
}
