internal import COpus

extension CodecError {
    /// Wraps a negative libopus return value with the library's message.
    static func opusFailure(_ code: Int32) -> CodecError {
        let text = opus_strerror(code).map { String(cString: $0) } ?? "unknown error"
        return .opus(code: code, message: text)
    }
}
