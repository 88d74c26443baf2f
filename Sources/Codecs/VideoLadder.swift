/// What to encode for a bitrate: the camera's picture, half its size, or half its size at
/// half its rate — Chromium's ladder in two steps. libvpx cannot make a 640x480 picture as
/// small as a low target asks (near the highest quantizer its frames stay around 1 kB, about
/// 200 kbit/s at 30 fps), so under such targets it must get fewer pixels; below that, fewer
/// frames. Never under half size (320x240 from VGA) nor half rate (15 fps from 30). The
/// thresholds have room between them so a target moving around one does not flap.
public struct VideoLadder: Sendable, Equatable {
    public enum Step: Int, Sendable, Comparable {
        case full, half, halfAtHalfRate
        public static func < (a: Step, b: Step) -> Bool { a.rawValue < b.rawValue }
    }

    public private(set) var step: Step
    /// The last 32 frames offered to the encoder at full size, bit set where it dropped one.
    private var drops: UInt32 = 0
    private var offered = 0
    /// The target at which dropped frames sent it to half size: full size comes back only
    /// with half as much again (the content, not the target, made the frames too big), and
    /// not before `holdFrames` frames at half size: each size change costs a keyframe, and on
    /// the lab's 100 ms, 10 % loss link going back up as soon as the target allowed flapped
    /// between the sizes (38 % of frames dropped, 18.6 fps).
    private var droppedAtKbps: Int?
    public private(set) var framesAtHalf = 0
    public static let holdFrames = 300
    /// Of the last 32 frames, this many dropped by the encoder's rate control at full size
    /// takes the picture to half size (libwebrtc's quality scaler reacts to drops the same way,
    /// and Chromium keeps a camera's frame rate before its resolution): a fifth of the frames
    /// gone is a jerky picture (the lab's 100 ms, 10 % loss link: 19 % dropped at 640x480, 24
    /// fps), a smaller one at full rate is not.
    public static let dropsToHalve = 7

    /// Video kbit/s: under `halfBelow` half size, back to full from `fullFrom`; under
    /// `halfRateBelow` half rate too, back from `fullRateFrom`. libwebrtc starts a VP8 stream
    /// under 300 kbit/s at 320x240 for the same reason.
    public static let halfBelow = 250, fullFrom = 320
    public static let halfRateBelow = 80, fullRateFrom = 110

    public init(videoKbps: Int) {
        step = videoKbps < Self.halfRateBelow ? .halfAtHalfRate : videoKbps < Self.halfBelow ? .half : .full
    }

    /// Moves one step at most; returns whether it moved.
    @discardableResult
    public mutating func update(videoKbps kbps: Int) -> Bool {
        let before = step
        switch step {
        case .full where kbps < Self.halfBelow: step = .half
        case .half where kbps < Self.halfRateBelow: step = .halfAtHalfRate
        case .half where kbps >= max(Self.fullFrom, droppedAtKbps.map { $0 * 3 / 2 } ?? 0)
            && (droppedAtKbps == nil || framesAtHalf >= Self.holdFrames):
            step = .full
            droppedAtKbps = nil
        case .halfAtHalfRate where kbps >= Self.fullRateFrom: step = .half
        default: break
        }
        return step != before
    }

    /// What the encoder did with a frame given to it at `kbps`: a frame out, or none (its rate
    /// control dropped it). Returns whether the step moved (to half size, on too many drops).
    @discardableResult
    public mutating func encoded(_ produced: Bool, videoKbps kbps: Int) -> Bool {
        guard step == .full else {
            drops = 0
            offered = 0
            framesAtHalf += 1
            return false
        }
        drops = drops << 1 | (produced ? 0 : 1)
        offered = min(offered + 1, 32)
        guard offered == 32, drops.nonzeroBitCount >= Self.dropsToHalve else { return false }
        step = .half
        droppedAtKbps = kbps
        framesAtHalf = 0
        drops = 0
        offered = 0
        return true
    }

    /// Whether frame number `index` (counting captured frames) is encoded at this step.
    public func encodes(frame index: Int) -> Bool { step != .halfAtHalfRate || index % 2 == 0 }
}
