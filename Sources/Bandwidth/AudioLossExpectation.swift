/// The loss the audio encoder protects against (Opus `OPUS_SET_PACKET_LOSS_PERC`), from the
/// remote's receiver reports about our streams (audio and video share the bundled path; the
/// video's come every second, the audio's only every five in Chromium): smoothed, then held to a few levels
/// with hysteresis so the encoder is not reconfigured on every report (libwebrtc's
/// AudioEncoderOpus does the same with 1/5/10/20 %). Opus spends FEC bits only above 0 %.
public struct AudioLossExpectation: Sendable, Equatable {
    /// Levels the encoder is set to, in percent.
    static let levels = [0, 2, 5, 10, 15, 20, 25]
    /// Before any report: some protection, as a clinic's Wi-Fi rarely loses nothing.
    public private(set) var percent = 5
    private var smoothed: Double?

    public init() {}

    /// One report block's fraction lost (out of 256). True when `percent` moved.
    public mutating func handleReport(fractionLost: UInt8) -> Bool {
        let loss = Double(fractionLost) / 256 * 100
        let s = smoothed.map { 0.6 * $0 + 0.4 * loss } ?? loss
        smoothed = s
        // Up at once to the level that covers the loss; down only once a lower level covers
        // it with a quarter to spare. Under half a percent counts as none.
        func cover(_ x: Double) -> Int { x < 0.5 ? 0 : Self.levels.first { Double($0) >= x } ?? Self.levels.last! }
        var next = percent
        if cover(s) > percent {
            next = cover(s)
        } else if cover(s / 0.8) < percent {
            next = cover(s / 0.8)
        }
        guard next != percent else { return false }
        percent = next
        return true
    }
}
