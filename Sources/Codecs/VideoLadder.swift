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
        case .half where kbps >= Self.fullFrom: step = .full
        case .halfAtHalfRate where kbps >= Self.fullRateFrom: step = .half
        default: break
        }
        return step != before
    }

    /// Whether frame number `index` (counting captured frames) is encoded at this step.
    public func encodes(frame index: Int) -> Bool { step != .halfAtHalfRate || index % 2 == 0 }
}
