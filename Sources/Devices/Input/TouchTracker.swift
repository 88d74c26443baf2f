/// Turns evdev events from a touch panel (multitouch protocol B, or single-touch
/// BTN_TOUCH + ABS_X/Y) into touches in screen pixels and taps. Sans-IO: feed it events with
/// their kernel timestamps, drain `poll()`. Codes from linux/input-event-codes.h.
public struct TouchTracker: Sendable {
    public enum Event: Sendable, Equatable {
        case down(slot: Int, x: Int, y: Int, timeNanos: Int64)
        case move(slot: Int, x: Int, y: Int, timeNanos: Int64)
        case up(slot: Int, x: Int, y: Int, timeNanos: Int64)
        /// A short touch that stayed in place: what a patient's press on a button is.
        case tap(x: Int, y: Int, timeNanos: Int64)
    }

    static let evSyn: UInt16 = 0, evKey: UInt16 = 1, evAbs: UInt16 = 3
    static let synReport: UInt16 = 0, synDropped: UInt16 = 3
    static let btnTouch: UInt16 = 0x14a
    static let absX: UInt16 = 0x00, absY: UInt16 = 0x01
    static let absMTSlot: UInt16 = 0x2f, absMTPositionX: UInt16 = 0x35, absMTPositionY: UInt16 = 0x36
    static let absMTTrackingID: UInt16 = 0x39
    static let maxSlots = 16

    private struct Slot: Sendable {
        var active = false, wasActive = false
        var rawX: Int32 = 0, rawY: Int32 = 0, moved = false
        var downTime: Int64 = 0, downX = 0, downY = 0, travel = 0
    }

    public var calibration: TouchCalibration
    public var tapMaxNanos: Int64
    /// Largest distance in screen pixels a tap may wander.
    public var tapMaxTravel: Int
    private var slots = [Slot](repeating: Slot(), count: TouchTracker.maxSlots)
    private var current = 0
    private var multitouch = false
    private var dropping = false
    private var output: [Event] = []

    public init(calibration: TouchCalibration, tapMaxMillis: Int = 400, tapMaxTravel: Int = 24) {
        self.calibration = calibration
        tapMaxNanos = Int64(tapMaxMillis) * 1_000_000
        self.tapMaxTravel = tapMaxTravel
    }

    public mutating func handle(type: UInt16, code: UInt16, value: Int32, timeNanos: Int64) {
        if dropping {
            // After SYN_DROPPED, ignore everything up to the next SYN_REPORT (evdev's rule).
            if type == Self.evSyn && code == Self.synReport { dropping = false }
            return
        }
        switch (type, code) {
        case (Self.evAbs, Self.absMTSlot):
            multitouch = true
            current = Int(value)
        case (Self.evAbs, Self.absMTTrackingID):
            multitouch = true
            update { $0.active = value >= 0 }
        case (Self.evAbs, Self.absMTPositionX):
            multitouch = true
            update { $0.rawX = value; $0.moved = true }
        case (Self.evAbs, Self.absMTPositionY):
            multitouch = true
            update { $0.rawY = value; $0.moved = true }
        case (Self.evAbs, Self.absX) where !multitouch:
            slots[0].rawX = value
            slots[0].moved = true
        case (Self.evAbs, Self.absY) where !multitouch:
            slots[0].rawY = value
            slots[0].moved = true
        case (Self.evKey, Self.btnTouch) where !multitouch:
            slots[0].active = value != 0
        case (Self.evSyn, Self.synDropped):
            dropping = true
        case (Self.evSyn, Self.synReport):
            report(timeNanos)
        default:
            break
        }
    }

    public mutating func poll() -> Event? { output.isEmpty ? nil : output.removeFirst() }

    private mutating func update(_ body: (inout Slot) -> Void) {
        guard current >= 0, current < slots.count else { return }  // slots beyond maxSlots are ignored
        body(&slots[current])
    }

    private mutating func report(_ t: Int64) {
        for i in slots.indices {
            var s = slots[i]
            let (x, y) = calibration.map(x: s.rawX, y: s.rawY)
            if s.active && !s.wasActive {
                s.downTime = t
                s.downX = x
                s.downY = y
                s.travel = 0
                output.append(.down(slot: i, x: x, y: y, timeNanos: t))
            } else if s.active && s.moved {
                s.travel = max(s.travel, abs(x - s.downX) + abs(y - s.downY))
                output.append(.move(slot: i, x: x, y: y, timeNanos: t))
            } else if !s.active && s.wasActive {
                output.append(.up(slot: i, x: x, y: y, timeNanos: t))
                s.travel = max(s.travel, abs(x - s.downX) + abs(y - s.downY))
                if t - s.downTime <= tapMaxNanos && s.travel <= tapMaxTravel {
                    output.append(.tap(x: s.downX, y: s.downY, timeNanos: t))
                }
            }
            s.wasActive = s.active
            s.moved = false
            slots[i] = s
        }
    }
}

/// Maps a panel's raw axis range onto the screen, with optional axis swap/inversion for
/// panels mounted rotated.
public struct TouchCalibration: Sendable, Equatable, Codable {
    public var minX: Int32, maxX: Int32, minY: Int32, maxY: Int32
    public var screenWidth: Int, screenHeight: Int
    public var swapAxes: Bool, invertX: Bool, invertY: Bool

    public init(minX: Int32, maxX: Int32, minY: Int32, maxY: Int32, screenWidth: Int, screenHeight: Int,
                swapAxes: Bool = false, invertX: Bool = false, invertY: Bool = false) {
        self.minX = minX
        self.maxX = maxX
        self.minY = minY
        self.maxY = maxY
        self.screenWidth = screenWidth
        self.screenHeight = screenHeight
        self.swapAxes = swapAxes
        self.invertX = invertX
        self.invertY = invertY
    }

    public func map(x rawX: Int32, y rawY: Int32) -> (x: Int, y: Int) {
        var fx = Self.fraction(rawX, minX, maxX), fy = Self.fraction(rawY, minY, maxY)
        if swapAxes { swap(&fx, &fy) }
        if invertX { fx = 1 - fx }
        if invertY { fy = 1 - fy }
        return (Int((fx * Double(max(0, screenWidth - 1))).rounded()), Int((fy * Double(max(0, screenHeight - 1))).rounded()))
    }

    private static func fraction(_ v: Int32, _ lo: Int32, _ hi: Int32) -> Double {
        guard hi > lo else { return 0 }
        return min(1, max(0, Double(Int64(v) - Int64(lo)) / Double(Int64(hi) - Int64(lo))))
    }
}
