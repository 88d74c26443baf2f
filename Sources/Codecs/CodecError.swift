/// Why an audio or video codec call failed. Library failures keep the library's own code and
/// message (`opus_strerror`, `vpx_codec_err_to_string` plus the codec's detail string).
public enum CodecError: Error, Equatable, Sendable {
    /// libopus returned a negative `OPUS_*` error code.
    case opus(code: Int32, message: String)
    /// libvpx returned a `vpx_codec_err_t` other than `VPX_CODEC_OK`.
    case vpx(code: Int32, message: String)
    /// Opus runs at 48 kHz with 1 or 2 channels here.
    case unsupportedAudioFormat(sampleRate: Int, channels: Int)
    /// PCM length is not a whole number of frames of a length Opus accepts for the channel count.
    case badFrameLength(samples: Int, channels: Int)
    /// A video frame or configuration has a size VP8 cannot code (1...16383 each way) or its
    /// planes are shorter than I420 of that size needs.
    case badVideoSize(width: Int, height: Int)
    /// A configuration value is outside the range the codec accepts.
    case badConfiguration(String)
    /// An empty packet: libopus would silently treat it as a loss, libvpx as a flush.
    case emptyPacket
    /// The VP8 decoder reported the frame corrupt (VP8D_GET_FRAME_CORRUPTED), e.g. a reference
    /// frame was lost. The caller should request a keyframe (PLI, RFC 4585 §6.3.1).
    case corruptedFrame
}
