import Benchmark
import Codecs
import Media

/// VP8 encode of the talking-head picture at 640x480, 800 kbit/s, with kioskd's settings and
/// two variations (libvpx speed, static-block threshold): the encoder is most of a side's CPU
/// in the call, so these are the knobs worth knowing.
/// One iteration = one frame (painting it is not measured).
enum CodecBench {
    static func register() {
        for (cpuUsed, staticThreshold) in [(-8, 1), (-12, 1), (-16, 1), (-8, 500)] {
            let tally = Tally()
            let name = "VP8 encode 640x480 talking-head 800 kbit/s, cpuUsed \(cpuUsed), staticThreshold \(staticThreshold)"
            let state = EncoderState()
            Benchmark(name, configuration: .kiosk(maxDuration: .seconds(3), maxIterations: 300, warmup: 0)) { benchmark in
                let media = try state.media(cpuUsed: cpuUsed, staticThreshold: staticThreshold)
                media.paint(index: state.index)
                benchmark.startMeasurement()
                var info: VP8EncodedFrame?
                try tally.measure(items: 1) {
                    info = try media.video.encode(media.picture, pts: Int64(state.index) * 3000, forceKeyframe: state.index == 0, into: &media.encoded)
                }
                benchmark.stopMeasurement()
                tally.bytes += info?.byteCount ?? 0
                state.index += 1
            } teardown: {
                Tally.report(name, "\(fmt(tally.microsPerItem / 1000, 3)) CPU-ms/frame (\(fmt(tally.microsPerItem * 600 / 1e6, 2)) CPU-s per 20 s at 30 fps), "
                             + "\(tally.items > 0 ? tally.bytes / tally.items : 0) B/frame over \(tally.items) frames")
            }
        }
    }

    final class EncoderState: @unchecked Sendable {
        var index = 0
        private var made: CallMedia?
        func media(cpuUsed: Int, staticThreshold: Int) throws -> CallMedia {
            if let m = made { return m }
            let m = try CallMedia(seed: 1, content: .talkingHead, cpuUsed: cpuUsed, staticThreshold: staticThreshold)
            made = m
            return m
        }
    }
}
