internal import CVPX
import Media

/// VP8 decoder over libvpx, giving tightly packed I420 `VideoFrame`s.
///
/// `@unchecked Sendable`: the libvpx context has no locks, so a decoder must be used by one
/// thread at a time. It is Sendable only so its owner can hand it to the video thread once.
public final class VP8Decoder: @unchecked Sendable {
    private let context: UnsafeMutablePointer<vpx_codec_ctx_t>
    /// Storage behind `decode(_:) -> VideoFrame?`; reused whenever the caller has let go of
    /// the previous frame (copy-on-write otherwise).
    private var scratch = VideoFrame(width: 0, height: 0, planes: [])

    public init(threads: Int = 1) throws(CodecError) {
        guard (1...4).contains(threads) else { throw .badConfiguration("vp8 decoder threads \(threads)") }
        context = .allocate(capacity: 1)
        context.initialize(to: vpx_codec_ctx_t())
        var cfg = vpx_codec_dec_cfg_t(threads: UInt32(threads), w: 0, h: 0)
        let err = kiosk_vpx_dec_init(context, &cfg, 0)
        guard err == VPX_CODEC_OK else {
            let error = CodecError.vpxFailure(err, context)
            context.deallocate()
            throw error
        }
    }

    deinit {
        vpx_codec_destroy(context)
        context.deallocate()
    }

    /// Decodes one complete VP8 frame (RFC 6386) into `frame`, reusing its storage when it is
    /// large enough and not shared. Returns false when the frame is not for display (no
    /// picture). `frame.timestampNanos` is left for the caller.
    /// - Throws: `.corruptedFrame` when this frame or a reference it builds on is damaged; it
    ///   keeps coming until a keyframe arrives, so ask for one (PLI). `.vpx` for data libvpx
    ///   refuses outright (truncated, not VP8, no keyframe yet). `.emptyPacket`.
    public func decode(_ bytes: UnsafeRawBufferPointer, into frame: inout VideoFrame) throws(CodecError) -> Bool {
        guard let data = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), !bytes.isEmpty else {
            throw .emptyPacket
        }
        guard bytes.count <= Int(UInt32.max) else { throw .vpxFailure(VPX_CODEC_INVALID_PARAM, nil) }
        let err = vpx_codec_decode(context, data, UInt32(bytes.count), nil, 0)
        guard err == VPX_CODEC_OK else { throw .vpxFailure(err, context) }
        var corrupted: Int32 = 0
        if kiosk_vpx_peek_corrupted(context, &corrupted) == VPX_CODEC_OK, corrupted != 0 {
            throw .corruptedFrame
        }
        var iterator: vpx_codec_iter_t?
        guard let image = vpx_codec_get_frame(context, &iterator) else { return false }
        try Self.copy(image.pointee, into: &frame)
        return true
    }

    public func decode(_ bytes: [UInt8], into frame: inout VideoFrame) throws(CodecError) -> Bool {
        try bytes.withUnsafeBufferPointer { (b) throws(CodecError) -> Bool in
            try decode(UnsafeRawBufferPointer(b), into: &frame)
        }
    }

    public func decode(_ bytes: ArraySlice<UInt8>, into frame: inout VideoFrame) throws(CodecError) -> Bool {
        try bytes.withUnsafeBufferPointer { (b) throws(CodecError) -> Bool in
            try decode(UnsafeRawBufferPointer(b), into: &frame)
        }
    }

    /// Decodes into the decoder's own storage and returns the picture, or nil if none is shown.
    public func decode(_ bytes: [UInt8]) throws(CodecError) -> VideoFrame? {
        try decode(bytes, into: &scratch) ? scratch : nil
    }

    /// Copies the visible area of a decoded image into `frame`'s packed I420 layout.
    private static func copy(_ image: vpx_image_t, into frame: inout VideoFrame) throws(CodecError) {
        let width = Int(image.d_w), height = Int(image.d_h)
        guard image.fmt == VPX_IMG_FMT_I420, width > 0, height > 0,
              let y = image.planes.0, let u = image.planes.1, let v = image.planes.2 else {
            throw .vpxFailure(VPX_CODEC_UNSUP_BITSTREAM, nil)
        }
        let needed = VideoFrame.byteCount(width: width, height: height)
        if frame.planes.count != needed {
            // Every byte is written below: no zero-fill (appending `repeatElement` ran element
            // by element in the debug build, a second for a 1280x720 picture).
            frame.planes = [UInt8](unsafeUninitializedCapacity: needed) { _, count in count = needed }
        }
        frame.width = width
        frame.height = height
        frame.fullRange = image.range == VPX_CR_FULL_RANGE
        let cw = VideoFrame.chromaWidth(width), ch = VideoFrame.chromaHeight(height)
        let (uOffset, vOffset) = (frame.uOffset, frame.vOffset)
        frame.planes.withUnsafeMutableBufferPointer { out in
            // `out` holds `needed` > 0 bytes, so its base address is non-nil.
            let base = out.baseAddress!
            copyPlane(from: y, stride: Int(image.stride.0), width: width, height: height, to: base)
            copyPlane(from: u, stride: Int(image.stride.1), width: cw, height: ch, to: base + uOffset)
            copyPlane(from: v, stride: Int(image.stride.2), width: cw, height: ch, to: base + vOffset)
        }
    }

    private static func copyPlane(from source: UnsafeMutablePointer<UInt8>, stride: Int, width: Int,
                                  height: Int, to destination: UnsafeMutablePointer<UInt8>) {
        for row in 0..<height {
            (destination + row * width).update(from: source + row * stride, count: width)
        }
    }
}
