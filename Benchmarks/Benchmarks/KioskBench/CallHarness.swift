import Codecs
import DTLS
import Glibc
import ICE
import Media
import NetEmulator
import SessionCore
import SessionPeer

/// Encoded media recorded once and replayed, so a call can run with no codec at all and the
/// transport's own cost shows.
struct CallRecording: Sendable {
    var video: [(bytes: [UInt8], key: Bool)] = []
    var audio: [[UInt8]] = []

    /// `seconds` of one side's media at 30 fps / 50 pps, with the same encoders a live call uses.
    static func make(seconds: Int, content: CallMedia.Content) throws -> CallRecording {
        var r = CallRecording()
        let side = try CallMedia(seed: 0, content: content)
        var encoded: [UInt8] = []
        for i in 0..<(seconds * 30) {
            side.paint(index: i)
            if let info = try side.video.encode(side.picture, pts: Int64(i) * 3000, forceKeyframe: i == 0, into: &encoded) {
                r.video.append((Array(encoded[0..<info.byteCount]), info.isKeyframe))
            }
        }
        for _ in 0..<(seconds * 50) {
            side.tone()
            let n = try side.pcm.withUnsafeBufferPointer { (p) throws(CodecError) -> Int in try side.audio.encode(p, into: &encoded) }
            r.audio.append(Array(encoded[0..<n]))
        }
        return r
    }
}

/// One side's capture and codecs: a synthetic moving 640x480 picture and a 440 Hz tone,
/// VP8 (the kiosk's settings) and Opus both ways.
final class CallMedia {
    static let width = 640, height = 480
    let video: VP8Encoder
    let videoDecoder: VP8Decoder
    let audio: OpusEncoder
    let audioDecoder: OpusDecoder
    var picture: VideoFrame
    var decodedPicture = VideoFrame(width: 0, height: 0, planes: [])
    var pcm = [Int16](repeating: 0, count: OpusFormat.samplesPerChannel20ms)
    var decodedPCM = [Int16](repeating: 0, count: OpusFormat.maxSamplesPerChannel)
    var encoded: [UInt8] = []
    var opusPacket: [UInt8] = []
    private var phase = 0.0
    private let seed: Int
    let content: Content
    /// The still room behind the head (talking-head content).
    private var background: [UInt8] = []

    init(seed: Int, content: Content = .fullMotion, cpuUsed: Int? = nil, staticThreshold: Int? = nil) throws {
        self.seed = seed
        self.content = content
        var config = VP8EncoderConfig(width: Self.width, height: Self.height, frameRate: 30, bitrateKbps: 800)
        // kioskd's own speed (MediaPipeline.videoEncoderConfig) unless a benchmark compares others.
        config.cpuUsed = cpuUsed ?? -12
        if let staticThreshold { config.staticThreshold = staticThreshold }
        video = try VP8Encoder(config: config)
        videoDecoder = try VP8Decoder()
        audio = try OpusEncoder()
        audioDecoder = try OpusDecoder()
        picture = VideoFrame(width: Self.width, height: Self.height, y: 16, u: 128, v: 128)
        if content == .talkingHead {
            let w = Self.width, h = Self.height, cw = VideoFrame.chromaWidth(w), ch = VideoFrame.chromaHeight(h)
            background = picture.planes
            for y in 0..<h {
                for x in 0..<w {
                    // Walls, a door frame and some texture: detail that does not move.
                    let wall = x < 120 || x > 560 ? 90 : 170
                    background[y * w + x] = UInt8(truncatingIfNeeded: wall &+ ((x / 4 &* 13 &+ y / 4 &* 7) & 0x0F))
                }
            }
            for i in 0..<(cw * ch) {
                background[w * h + i] = UInt8(truncatingIfNeeded: 120 &+ (i % cw) / 40)
                background[w * h + cw * ch + i] = UInt8(truncatingIfNeeded: 130 &+ (i / cw) / 40)
            }
        }
    }

    /// What the synthetic camera shows.
    enum Content: String, Sendable {
        /// A still textured room with a 160x200 "head" that moves a little and changes
        /// inside every frame: what a kiosk camera sees during a consultation.
        case talkingHead = "talking-head picture"
        /// A gradient that shifts across the whole frame every frame plus a moving square:
        /// every macroblock changes (the encoder's worst case).
        case fullMotion = "full-frame motion"
    }

    /// The camera, drawn in place. Not charged to either side (in the kiosk it is the
    /// camera's conversion, measured by the Devices benchmarks).
    func paint(index: Int) {
        let w = Self.width, h = Self.height
        let cw = VideoFrame.chromaWidth(w), ch = VideoFrame.chromaHeight(h)
        switch content {
        case .fullMotion:
            let k = index * 3 + seed * 17
            picture.planes.withUnsafeMutableBufferPointer { p in
                for y in 0..<h {
                    let row = y * w
                    for x in 0..<w { p[row + x] = UInt8(truncatingIfNeeded: x &+ y &+ k) }
                }
                let sx = (index * 4 + seed * 50) % (w - 80), sy = (index * 2 + seed * 30) % (h - 80)
                for y in sy..<(sy + 80) { for x in sx..<(sx + 80) { p[y * w + x] = 235 } }
                for i in 0..<(cw * ch) {
                    p[w * h + i] = UInt8(truncatingIfNeeded: 128 &+ (i % cw) / 8)
                    p[w * h + cw * ch + i] = UInt8(truncatingIfNeeded: 100 &+ index)
                }
            }
        case .talkingHead:
            picture.planes.withUnsafeMutableBufferPointer { p in
                background.withUnsafeBufferPointer { b in p.baseAddress!.update(from: b.baseAddress!, count: b.count) }  // same size
            }
            // The head sways ±12 px and its inside changes every frame (speech, blinking).
            let sway = (index % 48) < 24 ? index % 24 : 24 - index % 24
            let hx = 240 + sway - 12 + seed * 8, hy = 120
            picture.planes.withUnsafeMutableBufferPointer { p in
                for y in hy..<(hy + 200) {
                    for x in hx..<(hx + 160) {
                        p[y * w + x] = UInt8(truncatingIfNeeded: 150 &+ ((x &* 7 &+ y &* 3 &+ index &* 5) & 0x3F))
                    }
                }
                for y in (hy / 2)..<((hy + 200) / 2) {
                    for x in (hx / 2)..<((hx + 160) / 2) { p[w * h + y * cw + x] = 110; p[w * h + cw * ch + y * cw + x] = 150 }
                }
            }
        }
    }

    /// The microphone: 20 ms of a 440 Hz tone at half scale.
    func tone() {
        let step = 2 * Double.pi * 440 / Double(OpusFormat.sampleRate)
        for i in 0..<pcm.count {
            pcm[i] = Int16(16_000 * sin(phase))
            phase += step
            if phase > 2 * Double.pi { phase -= 2 * Double.pi }
        }
    }
}

/// One side of the call: its `Peer`, its media, and what it cost.
final class CallSide {
    let name: String
    let peer: Peer
    let media: CallMedia?
    var deadline: Instant = .zero
    var connected = false
    var failure: PeerError?
    var keyframeWanted = false
    /// The peer itself: ICE, DTLS, SRTP, RTP/RTCP, jitter buffers (everything in `Peer`).
    var transport = Cost()
    var encode = Cost()
    var decode = Cost()
    var datagramsIn = 0, datagramsOut = 0, framesSent = 0, framesReceived = 0, framesDecoded = 0
    var audioSent = 0, audioReceived = 0, keyframeRequests = 0, videoBytesSent = 0
    /// `transport` and datagram counts when media started: the steady state is the difference.
    var transportAtMediaStart = Cost()
    var datagramsAtMediaStart = 0
    /// Outputs drained from the peer, kept between drains so draining allocates nothing here.
    var outputs: [PeerOutput] = []

    init(name: String, address: TransportAddress, seed: UInt64, live: Bool, content: CallMedia.Content) throws {
        self.name = name
        var config = PeerConfiguration(localAddresses: [address], seed: seed)
        config.ice.checkPacing = .milliseconds(20)
        peer = Peer(configuration: config, certificate: try DTLSCertificate())
        media = live ? try CallMedia(seed: Int(seed), content: content) : nil
        outputs.reserveCapacity(4096)
    }

    var total: Cost { transport + encode + decode }

    /// Transport cost and datagrams (in + out) since media started.
    var mediaTransport: (cost: Cost, datagrams: Int) {
        (Cost(cpuNanos: transport.cpuNanos - transportAtMediaStart.cpuNanos,
              mallocs: transport.mallocs - transportAtMediaStart.mallocs,
              calls: transport.calls - transportAtMediaStart.calls),
         datagramsIn + datagramsOut - datagramsAtMediaStart)
    }
}

struct CallResult {
    var a: CallSide
    var b: CallSide
    /// Simulated time from the offer to the end of media, and the media part of it.
    var simulatedSeconds: Double
    var mediaSeconds: Double
    /// Thread CPU of the whole run, harness included.
    var cpuNanos: Int64
    var wallNanos: Int64
    var meterOverheadNanos: Double
    var live: Bool
    var content: CallMedia.Content

    /// Side CPU seconds per 20 s of call (setup included), meter overhead removed.
    func perTwentySeconds(_ c: Cost) -> Double {
        let corrected = Double(c.cpuNanos) - Double(c.calls) * meterOverheadNanos
        return corrected / 1e9 * 20 / simulatedSeconds
    }

    var harnessNanos: Int64 { cpuNanos - a.total.cpuNanos - b.total.cpuNanos }
}

/// Two `Peer`s in one thread over the tests' `NetworkEmulator` (a clean 20 ms link; what it
/// costs is charged to neither side) in simulated time (the shape of
/// Tests/SessionTests/PeerSimulatedCallTests.swift), both sending 640x480@30 VP8 and Opus.
/// `recording` nil: real codecs encode and decode on both sides. Otherwise the recorded
/// frames are sent and nothing is decoded (transport only).
enum Call {
    static func run(mediaSeconds: Int, recording: CallRecording?, content: CallMedia.Content = .fullMotion,
                    stage: ((String) -> Void)? = nil) throws -> CallResult {
        let overhead = Self.meterOverheadNanos()
        let live = recording == nil
        let a = try CallSide(name: "A (offerer)", address: TransportAddress(host: "10.0.0.1", port: 5000)!, seed: 1, live: live, content: content)
        let b = try CallSide(name: "B (answerer)", address: TransportAddress(host: "10.0.0.2", port: 6000)!, seed: 2, live: live, content: content)
        var net = NetworkEmulator(seed: 1)
        stage?("peers_and_codecs")
        let w0 = Meter.wallNanos(), c0 = Meter.threadCPUNanos()
        var now = Instant.zero
        let offer = a.transport.charge { a.peer.createOffer(at: now) }
        let answer = try b.transport.charge { try b.peer.acceptOffer(offer, at: now) }
        try a.transport.charge { try a.peer.acceptAnswer(answer, at: now) }

        var mediaStart: Instant?
        var end = Instant.zero + .seconds(30)  // until connected: a bound on the handshake
        var nextVideo = Instant.zero, nextAudio = Instant.zero
        var frameIndex = 0, audioIndex = 0
        var audioTS: UInt32 = 0

        while now < end {
            drain(a, other: b, toB: true, net: &net, now: now)
            drain(b, other: a, toB: false, net: &net, now: now)
            if a.failure != nil || b.failure != nil { throw CallError.failed("\(a.failure.map { "\($0)" } ?? "")\(b.failure.map { "\($0)" } ?? "")") }
            if mediaStart == nil, a.connected, b.connected {
                mediaStart = now
                stage?("connected")
                for side in [a, b] {
                    side.transportAtMediaStart = side.transport
                    side.datagramsAtMediaStart = side.datagramsIn + side.datagramsOut
                }
                end = now + .seconds(Int64(mediaSeconds))
                nextVideo = now
                nextAudio = now
            }
            var next = min(a.deadline, b.deadline, end)
            if let t = net.nextDelivery { next = min(next, t) }
            if mediaStart != nil { next = min(next, nextVideo, nextAudio) }
            now = max(now, next)
            while let f = net.popDue(at: now) {
                let target = f.to == .b ? b : a
                target.datagramsIn += 1
                target.transport.charge {
                    target.peer.handleDatagram(f.datagram.bytes, from: f.datagram.from, to: f.datagram.to, at: now)
                }
            }
            if a.deadline <= now { a.transport.charge { a.peer.handleTimeout(at: now) } }
            if b.deadline <= now { b.transport.charge { b.peer.handleTimeout(at: now) } }
            guard mediaStart != nil, now < end else { continue }
            if now >= nextVideo {
                for side in [a, b] { try sendVideo(side, index: frameIndex, recording: recording, now: now) }
                frameIndex += 1
                nextVideo = nextVideo + .nanoseconds(33_333_333)
            }
            if now >= nextAudio {
                for side in [a, b] { try sendAudio(side, index: audioIndex, rtpTimestamp: audioTS, recording: recording, now: now) }
                audioIndex += 1
                audioTS &+= 960
                nextAudio = nextAudio + .milliseconds(20)
            }
        }
        let cpu = Meter.threadCPUNanos() - c0, wall = Meter.wallNanos() - w0
        guard let start = mediaStart else { throw CallError.failed("never connected") }
        return CallResult(a: a, b: b, simulatedSeconds: Double((now - .zero).nanosecondsClamped) / 1e9,
                          mediaSeconds: Double((now - start).nanosecondsClamped) / 1e9,
                          cpuNanos: cpu, wallNanos: wall, meterOverheadNanos: overhead, live: live, content: content)
    }

    static func sendVideo(_ side: CallSide, index: Int, recording: CallRecording?, now: Instant) throws {
        let ts = UInt32(truncatingIfNeeded: index * 3000)
        if let recording {
            guard !recording.video.isEmpty else { return }
            let frame = recording.video[index % recording.video.count]
            side.transport.charge { frame.bytes.withUnsafeBytes { side.peer.sendVideo($0, rtpTimestamp: ts, at: now) } }
            side.framesSent += 1
            side.videoBytesSent += frame.bytes.count
            return
        }
        guard let m = side.media else { return }
        m.paint(index: index)
        let force = side.keyframeWanted
        side.keyframeWanted = false
        let info = try side.encode.charge {
            try m.video.encode(m.picture, pts: Int64(index) * 3000, forceKeyframe: force, into: &m.encoded)
        }
        guard let info else { return }
        side.transport.charge {
            m.encoded.withUnsafeBytes { side.peer.sendVideo(UnsafeRawBufferPointer(rebasing: $0[0..<info.byteCount]), rtpTimestamp: ts, at: now) }
        }
        side.framesSent += 1
        side.videoBytesSent += info.byteCount
    }

    static func sendAudio(_ side: CallSide, index: Int, rtpTimestamp: UInt32, recording: CallRecording?, now: Instant) throws {
        if let recording {
            guard !recording.audio.isEmpty else { return }
            let packet = recording.audio[index % recording.audio.count]
            side.transport.charge { packet.withUnsafeBytes { side.peer.sendAudio($0, rtpTimestamp: rtpTimestamp, at: now) } }
            side.audioSent += 1
            return
        }
        guard let m = side.media else { return }
        m.tone()
        let n = try side.encode.charge {
            try m.pcm.withUnsafeBufferPointer { (p) throws(CodecError) -> Int in try m.audio.encode(p, into: &m.opusPacket) }
        }
        side.transport.charge {
            m.opusPacket.withUnsafeBytes { side.peer.sendAudio(UnsafeRawBufferPointer(rebasing: $0[0..<n]), rtpTimestamp: rtpTimestamp, at: now) }
        }
        side.audioSent += 1
    }

    /// Moves a side's outputs onto the wire and into its decoders. Polling is charged to the
    /// side's transport; decoding to its decode; the wire to nobody.
    static func drain(_ side: CallSide, other: CallSide, toB: Bool, net: inout NetworkEmulator, now: Instant) {
        side.transport.charge {
            while let o = side.peer.poll() { side.outputs.append(o) }
        }
        for output in side.outputs {
            switch output {
            case .transmit(let t):
                side.datagramsOut += 1
                net.send(.init(from: t.from, to: t.to, bytes: t.bytes), from: toB ? .a : .b, at: now)
            case .timeout(let t):
                side.deadline = t
            case .event(let event):
                switch event {
                case .localCandidate(let c, _, _):
                    other.transport.charge { _ = other.peer.addRemoteCandidate(c, at: now) }
                case .connected:
                    side.connected = true
                case .failed(let e):
                    side.failure = e
                case .videoFrame(let payload, _, _):
                    side.framesReceived += 1
                    if let m = side.media {
                        let shown = side.decode.charge { (try? m.videoDecoder.decode(payload, into: &m.decodedPicture)) ?? false }
                        if shown { side.framesDecoded += 1 }
                    }
                case .audioPacket(let payload, _):
                    side.audioReceived += 1
                    if let m = side.media {
                        _ = side.decode.charge { try? m.audioDecoder.decode(payload, into: &m.decodedPCM) }
                    }
                case .keyframeRequested:
                    side.keyframeRequests += 1
                    side.keyframeWanted = true
                default:
                    break
                }
            }
        }
        side.outputs.removeAll(keepingCapacity: true)
    }

    /// What one empty `Cost.charge` costs (two thread-CPU clock reads and two counter reads);
    /// subtracted from every side's figures.
    static func meterOverheadNanos() -> Double {
        var c = Cost()
        let n = 20_000
        for _ in 0..<n { c.charge { } }
        return Double(c.cpuNanos) / Double(n)
    }
}

enum CallError: Error { case failed(String) }
