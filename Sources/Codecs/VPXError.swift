internal import CVPX

extension CodecError {
    /// Wraps a libvpx error with its generic text and, when the context has one, the codec's
    /// detail string (e.g. "Truncated packet").
    static func vpxFailure(_ err: vpx_codec_err_t, _ context: UnsafeMutablePointer<vpx_codec_ctx_t>?) -> CodecError {
        var message = vpx_codec_err_to_string(err).map { String(cString: $0) } ?? "unknown error"
        if let context, let detail = vpx_codec_error_detail(context) {
            message += ": " + String(cString: detail)
        }
        return .vpx(code: Int32(truncatingIfNeeded: err.rawValue), message: message)
    }
}

/// Sizes VP8 can code: 14-bit width and height fields in the keyframe header (RFC 6386 §9.1).
enum VP8Limits {
    static let maxDimension = 16_383

    static func check(width: Int, height: Int) throws(CodecError) {
        guard (1...maxDimension).contains(width), (1...maxDimension).contains(height) else {
            throw .badVideoSize(width: width, height: height)
        }
    }
}
