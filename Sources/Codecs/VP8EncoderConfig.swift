internal import CVPX

/// Settings for `VP8Encoder`, tuned for a live call on a small CPU (after WebRTC's
/// libvpx_vp8_encoder). Sizes are in pixels, rates in kbit/s, buffers in milliseconds.
public struct VP8EncoderConfig: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var frameRate: Int
    public var bitrateKbps: Int
    /// Negative: fixed speed |n| (1...16, higher is faster and worse; WebRTC uses -6 on PCs,
    /// -12 on phones). Positive: libvpx picks the speed itself so that encoding takes about
    /// (16 - n)/16 of the frame interval, which depends on the machine's load.
    public var cpuUsed = -8
    /// Encoder threads, 1...4; a second thread helps from 640x480 up.
    public var threads = 1
    /// Reset entropy contexts every frame so one lost frame does not spoil later ones.
    public var errorResilient = true
    public var keyframeMaxDistance = 3_000
    /// log2 of the number of DCT token partitions, 0...3.
    public var tokenPartitionsLog2 = 0
    /// Skip macroblocks whose change is below this (sum of absolute differences); 1 is WebRTC's.
    public var staticThreshold = 1
    public var undershootPercent = 100
    public var overshootPercent = 15
    public var bufferSizeMs = 1_000
    public var bufferInitialMs = 500
    public var bufferOptimalMs = 600
    public var minQuantizer = 4
    public var maxQuantizer = 56
    /// Buffer fullness (percent) under which CBR drops a frame instead of overshooting; 0 never
    /// drops, so every `encode` yields a frame.
    public var frameDropThreshold = 0

    public init(width: Int = 640, height: Int = 480, frameRate: Int = 30, bitrateKbps: Int = 800) {
        self.width = width
        self.height = height
        self.frameRate = frameRate
        self.bitrateKbps = bitrateKbps
    }

    /// Keyframe size cap as a percentage of the per-frame budget: half the optimal buffer,
    /// never under 3 frames' worth (WebRTC's MaxIntraTarget).
    public var maxIntraBitratePercent: Int {
        max(300, bufferOptimalMs * frameRate / 20)
    }

    func validate() throws(CodecError) {
        try VP8Limits.check(width: width, height: height)
        func require(_ ok: Bool, _ what: String) throws(CodecError) {
            if !ok { throw .badConfiguration("vp8 \(what)") }
        }
        try require((1...240).contains(frameRate), "frameRate \(frameRate)")
        try require((10...100_000).contains(bitrateKbps), "bitrateKbps \(bitrateKbps)")
        try require((-16...16).contains(cpuUsed), "cpuUsed \(cpuUsed)")
        try require((1...4).contains(threads), "threads \(threads)")
        try require((0...3).contains(tokenPartitionsLog2), "tokenPartitionsLog2 \(tokenPartitionsLog2)")
        try require(keyframeMaxDistance >= 1, "keyframeMaxDistance \(keyframeMaxDistance)")
        try require(staticThreshold >= 0, "staticThreshold \(staticThreshold)")
        try require((0...100).contains(undershootPercent), "undershootPercent \(undershootPercent)")
        try require((0...1_000).contains(overshootPercent), "overshootPercent \(overshootPercent)")
        try require(bufferSizeMs > 0 && bufferInitialMs > 0 && bufferOptimalMs > 0, "buffer sizes")
        try require(0 <= minQuantizer && minQuantizer <= maxQuantizer && maxQuantizer <= 63,
                    "quantizers \(minQuantizer)...\(maxQuantizer)")
        try require((0...100).contains(frameDropThreshold), "frameDropThreshold \(frameDropThreshold)")
    }

    /// Writes these settings over libvpx's defaults. Call `validate()` first: the narrowing
    /// conversions below rely on its ranges.
    func apply(to cfg: inout vpx_codec_enc_cfg_t) {
        cfg.g_w = UInt32(width)
        cfg.g_h = UInt32(height)
        cfg.g_threads = UInt32(threads)
        // The RTP video clock (RFC 7741 §4.1), so pts are RTP timestamps.
        cfg.g_timebase = vpx_rational(num: 1, den: 90_000)
        cfg.g_error_resilient = errorResilient ? vpx_codec_er_flags_t(VPX_ERROR_RESILIENT_DEFAULT) : 0
        cfg.g_pass = VPX_RC_ONE_PASS
        cfg.g_lag_in_frames = 0
        cfg.rc_end_usage = VPX_CBR
        cfg.rc_target_bitrate = UInt32(bitrateKbps)
        cfg.rc_resize_allowed = 0
        cfg.rc_dropframe_thresh = UInt32(frameDropThreshold)
        cfg.rc_min_quantizer = UInt32(minQuantizer)
        cfg.rc_max_quantizer = UInt32(maxQuantizer)
        cfg.rc_undershoot_pct = UInt32(undershootPercent)
        cfg.rc_overshoot_pct = UInt32(overshootPercent)
        cfg.rc_buf_sz = UInt32(bufferSizeMs)
        cfg.rc_buf_initial_sz = UInt32(bufferInitialMs)
        cfg.rc_buf_optimal_sz = UInt32(bufferOptimalMs)
        cfg.kf_mode = VPX_KF_AUTO
        cfg.kf_min_dist = 0
        cfg.kf_max_dist = UInt32(keyframeMaxDistance)
    }
}
