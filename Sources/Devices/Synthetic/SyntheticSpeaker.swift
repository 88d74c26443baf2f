import Media

/// A speaker that plays nowhere: it meters what it is given, for demos and tests without sound hardware.
public final class SyntheticSpeaker: Speaker {
    public let id: String
    public let sampleRate: Int
    public let channels: Int
    public private(set) var framesWritten = 0
    public private(set) var meter = LevelMeter()
    private var running = false

    public init(sampleRate: Int = 48_000, channels: Int = 1, id: String = "synthetic") {
        self.id = id
        self.sampleRate = sampleRate
        self.channels = channels
    }

    public func start() throws(DeviceError) { running = true }
    public func stop() { running = false }

    public func write(_ frame: AudioFrame) throws(DeviceError) {
        guard running else { throw .notStarted(device: id) }
        framesWritten += 1
        meter.add(frame.samples)
    }
}
