import COpenSSL

/// OpenSSL's thread-local error queue, read into one line of text.
enum OpenSSLErrors {
    /// Empties the queue and returns its entries joined by "; " (or "unknown error").
    static func drain() -> String {
        var messages: [String] = []
        var buffer = [CChar](repeating: 0, count: 256)
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            // The reason string alone ("certificate verify failed"): library/function names add
            // nothing for an operator and the full form varies between OpenSSL releases.
            if let reason = ERR_reason_error_string(code) {
                messages.append(String(cString: reason))
            } else {
                buffer.withUnsafeMutableBufferPointer { ERR_error_string_n(code, $0.baseAddress, $0.count) }
                let text = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
                messages.append(String(decoding: text, as: UTF8.self))
            }
            if messages.count >= 8 { ERR_clear_error(); break }
        }
        return messages.isEmpty ? "unknown error" : messages.joined(separator: "; ")
    }
}
