/// Where the pictures go, from the kiosk's configuration.
public struct CompositorConfig: Sendable, Codable, Equatable {
    /// The box the self view is fitted into (aspect preserved, anchored top-left).
    public var selfViewSize: PixelSize
    /// Gap between the screen's top-left corner and the self view.
    public var selfViewMargin: Int
    /// A self view shows the patient as in a mirror.
    public var mirrorSelfView: Bool

    public init(selfViewSize: PixelSize = PixelSize(width: 320, height: 180), selfViewMargin: Int = 24, mirrorSelfView: Bool = true) {
        self.selfViewSize = selfViewSize
        self.selfViewMargin = selfViewMargin
        self.mirrorSelfView = mirrorSelfView
    }
}

/// The rectangles one composition uses.
public struct CompositionLayout: Sendable, Equatable {
    public var output: PixelSize
    /// The remote picture, aspect-fitted and centred (letter- or pillar-boxed); nil without one.
    public var remote: PixelRect?
    /// The self view in the upper-left corner; nil without one or if it cannot fit.
    public var selfView: PixelRect?

    public init(output: PixelSize, remote: PixelSize?, selfView: PixelSize?, config: CompositorConfig) {
        self.output = output
        let screen = PixelRect(x: 0, y: 0, width: output.width, height: output.height)
        if let remote, !remote.isEmpty {
            self.remote = PixelRect.aspectFit(remote, in: screen)
        }
        if let selfView, !selfView.isEmpty, !config.selfViewSize.isEmpty {
            let m = max(0, config.selfViewMargin)
            let box = PixelRect(x: m, y: m, width: config.selfViewSize.width, height: config.selfViewSize.height)
            var r = PixelRect.aspectFit(selfView, in: box)
            r.x = m
            r.y = m
            self.selfView = r.intersection(screen) == r ? r : nil
        }
    }

    /// The screen areas the remote picture does not cover (the bars), in drawing order.
    public var bars: [PixelRect] {
        let full = PixelRect(x: 0, y: 0, width: output.width, height: output.height)
        guard let r = remote else { return [full] }
        return [
            PixelRect(x: 0, y: 0, width: output.width, height: r.y),
            PixelRect(x: 0, y: r.maxY, width: output.width, height: output.height - r.maxY),
            PixelRect(x: 0, y: r.y, width: r.x, height: r.height),
            PixelRect(x: r.maxX, y: r.y, width: output.width - r.maxX, height: r.height),
        ].filter { !$0.isEmpty }
    }
}
