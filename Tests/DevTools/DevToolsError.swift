/// Everything that can go wrong while driving Chromium; each case says what and where.
public enum DevToolsError: Error, CustomStringConvertible, Sendable {
    case launchFailed(String)
    case connectionClosed(String)
    case timeout(String)
    /// The protocol answered a command with an error object.
    case protocolError(method: String, code: Int, message: String)
    /// The evaluated JavaScript threw (or the promise rejected).
    case javascript(String)
    /// `click(_:)` found no visible element for the selector.
    case noSuchElement(String)

    public var description: String {
        switch self {
        case .launchFailed(let s): "Chromium did not start: \(s)"
        case .connectionClosed(let s): "DevTools connection closed: \(s)"
        case .timeout(let s): "timed out: \(s)"
        case .protocolError(let method, let code, let message): "\(method) failed (\(code)): \(message)"
        case .javascript(let s): "JavaScript error: \(s)"
        case .noSuchElement(let s): "no visible element matches \(s)"
        }
    }
}
