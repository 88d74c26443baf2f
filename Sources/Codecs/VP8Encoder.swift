internal import CVPX
import Media

/// One VP8 frame produced by `VP8Encoder`; its bytes are handed over separately.
public struct VP8EncodedFrame: Sendable, Equatable {
    public var byteCount: Int
    public var isKeyframe: Bool
    /// Not used as a reference by later frames, so losing it hurts nothing else
    /// (the N bit of the RTP payload descriptor, RFC 7741 §4.2).
    public var isDroppable: Bool
    /// In 90 kHz ticks, as passed to `encode`.
    public var pts: Int64
    public var width: Int
    public var height: Int
}

/// Real-time VP8 encoder over libvpx (one pass, CBR, no lookahead: each input frame yields
/// at most one output frame, and none only when `frameDropThreshold` lets CBR drop it).
///
/// `@unchecked Sendable`: the libvpx context has no locks, so an encoder must be used by one
/// thread at a time. It is Sendable only so its owner can hand it to the video thread once.
public final class VP8Encoder: @unchecked Sendable {
    public private(set) var config: VP8EncoderConfig
    private let context: UnsafeMutablePointer<vpx_codec_ctx_t>
    // Heap-held: libvpx keeps the pointer given to vpx_codec_enc_init.
    private let settings: UnsafeMutablePointer<vpx_codec_enc_cfg_t>
    private var isOpen = false

    public init(config: VP8EncoderConfig = VP8EncoderConfig()) throws(CodecError) {
        try config.validate()
        self.config = config
        context = .allocate(capacity: 1)
        context.initialize(to: vpx_codec_ctx_t())
        settings = .allocate(capacity: 1)
        settings.initialize(to: vpx_codec_enc_cfg_t())
        try open()
    }

    deinit {
        if isOpen { vpx_codec_destroy(context) }
        context.deallocate()
        settings.deallocate()
    }

    /// Changes the target bitrate of the running encoder (bandwidth estimate changed).
    public func setBitrate(kbps: Int) throws(CodecError) {
        var next = config
        next.bitrateKbps = kbps
        try next.validate()
        config = next
        guard isOpen else { return }
        settings.pointee.rc_target_bitrate = UInt32(kbps)
        let err = vpx_codec_enc_config_set(context, settings)
        guard err == VPX_CODEC_OK else { throw .vpxFailure(err, context) }
    }

    /// Encodes `frame` and hands the coded frame to `body`; the bytes are libvpx's own buffer,
    /// valid only during the call (packetize from them directly, or copy). A frame of another
    /// size than the last reinitialises the encoder, so the next output is a keyframe.
    /// - Parameter pts: presentation time in 90 kHz ticks (the RTP timestamp).
    public func encode(_ frame: VideoFrame, pts: Int64, forceKeyframe: Bool = false,
                       _ body: (VP8EncodedFrame, UnsafeRawBufferPointer) -> Void) throws(CodecError) {
        try VP8Limits.check(width: frame.width, height: frame.height)
        guard frame.planes.count >= VideoFrame.byteCount(width: frame.width, height: frame.height) else {
            throw .badVideoSize(width: frame.width, height: frame.height)
        }
        if frame.width != config.width || frame.height != config.height {
            try resize(width: frame.width, height: frame.height)
        } else if !isOpen {
            try open()
        }
        let err = frame.planes.withUnsafeBufferPointer { planes in
            var image = VP8Encoder.wrap(frame, planes)
            let flags = forceKeyframe ? kiosk_VPX_EFLAG_FORCE_KF() : 0
            let duration = UInt(90_000 / config.frameRate)
            return vpx_codec_encode(context, &image, pts, duration, flags, UInt(VPX_DL_REALTIME))
        }
        guard err == VPX_CODEC_OK else { throw .vpxFailure(err, context) }
        var iterator: vpx_codec_iter_t?
        while let packet = vpx_codec_get_cx_data(context, &iterator) {
            guard packet.pointee.kind == VPX_CODEC_CX_FRAME_PKT else { continue }
            let coded = packet.pointee.data.frame
            let info = VP8EncodedFrame(
                byteCount: coded.sz,
                isKeyframe: coded.flags & vpx_codec_frame_flags_t(VPX_FRAME_IS_KEY) != 0,
                isDroppable: coded.flags & vpx_codec_frame_flags_t(VPX_FRAME_IS_DROPPABLE) != 0,
                pts: coded.pts, width: frame.width, height: frame.height)
            body(info, UnsafeRawBufferPointer(start: coded.buf, count: coded.sz))
        }
    }

    /// Size `out` is first grown to: a 640x480 keyframe at 800 kbit/s is capped near 30 KB.
    public static let minimumOutputCapacity = 64 * 1_024

    /// Encodes `frame` into `out[0..<result.byteCount]`. `out` only grows (to at least
    /// `minimumOutputCapacity`, then doubling), so a buffer kept across calls stops allocating
    /// at once. Returns nil when the rate control dropped the frame.
    public func encode(_ frame: VideoFrame, pts: Int64, forceKeyframe: Bool = false,
                       into out: inout [UInt8]) throws(CodecError) -> VP8EncodedFrame? {
        var result: VP8EncodedFrame?
        try encode(frame, pts: pts, forceKeyframe: forceKeyframe) { info, bytes in
            // With lag 0 there is one frame per call; a second would replace the first.
            if out.count < bytes.count {
                let grown = max(bytes.count, 2 * out.count, VP8Encoder.minimumOutputCapacity)
                out.append(contentsOf: repeatElement(0, count: grown - out.count))
            }
            out.withUnsafeMutableBytes { $0.copyMemory(from: bytes) }
            result = info
        }
        return result
    }

    private func open() throws(CodecError) {
        var err = vpx_codec_enc_config_default(vpx_codec_vp8_cx(), settings, 0)
        guard err == VPX_CODEC_OK else { throw .vpxFailure(err, nil) }
        config.apply(to: &settings.pointee)
        err = kiosk_vpx_enc_init(context, settings, 0)
        guard err == VPX_CODEC_OK else { throw .vpxFailure(err, context) }
        isOpen = true
        let results = [
            kiosk_vpx_set_cpuused(context, Int32(config.cpuUsed)),
            kiosk_vpx_set_static_threshold(context, UInt32(config.staticThreshold)),
            kiosk_vpx_set_token_partitions(context, Int32(config.tokenPartitionsLog2)),
            kiosk_vpx_set_noise_sensitivity(context, 0),
            kiosk_vpx_set_max_intra_bitrate_pct(context, UInt32(config.maxIntraBitratePercent)),
        ]
        if let failed = results.first(where: { $0 != VPX_CODEC_OK }) { throw .vpxFailure(failed, context) }
    }

    private func resize(width: Int, height: Int) throws(CodecError) {
        if isOpen {
            vpx_codec_destroy(context)
            isOpen = false
        }
        config.width = width
        config.height = height
        try open()
    }

    /// Points a vpx_image_t at the frame's planes without copying. vpx_img_wrap derives chroma
    /// strides by rounding down, VideoFrame rounds up, so the plane pointers and strides are
    /// set here from VideoFrame's layout. libvpx only reads the input, hence `mutating:`.
    private static func wrap(_ frame: VideoFrame, _ planes: UnsafeBufferPointer<UInt8>) -> vpx_image_t {
        var image = vpx_image_t()
        // The caller checked `planes` holds a full I420 picture of at least 1x1, so non-nil.
        let base = UnsafeMutablePointer(mutating: planes.baseAddress!)
        vpx_img_wrap(&image, VPX_IMG_FMT_I420, UInt32(frame.width), UInt32(frame.height), 1, base)
        let chromaStride = Int32(VideoFrame.chromaWidth(frame.width))
        image.planes = (base, base + frame.uOffset, base + frame.vOffset, nil)
        image.stride = (Int32(frame.width), chromaStride, chromaStride, 0)
        image.range = frame.fullRange ? VPX_CR_FULL_RANGE : VPX_CR_STUDIO_RANGE
        return image
    }
}
