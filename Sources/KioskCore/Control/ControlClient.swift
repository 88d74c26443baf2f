import Foundation
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Talks to a running kioskd's control socket (one JSON line in, one out): `kioskd control`
/// for technicians, the lab and the end-to-end tests.
public struct ControlClient {
    let path: String

    public init(path: String) { self.path = path }

    public enum Failure: Error, CustomStringConvertible {
        case connect(Int32), io, reply(String)
        public var description: String {
            switch self {
            case .connect(let e): return "cannot connect to the control socket: \(String(cString: strerror(e)))"
            case .io: return "the control socket closed mid-reply"
            case .reply(let message): return message
            }
        }
    }

    func request(_ json: String) throws -> [String: Any] {
        let fd = UnixSocketAddress.connectStream(path)
        guard fd >= 0 else { throw Failure.connect(errno) }
        defer { close(fd) }
        let line = Array((json + "\n").utf8)
        guard line.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) == line.count else { throw Failure.io }
        var reply: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while reply.last != 0x0a {
            let n = read(fd, &chunk, chunk.count)
            guard n > 0 else { throw Failure.io }
            reply += chunk[0..<n]
        }
        let object = try JSONSerialization.jsonObject(with: Data(reply)) as? [String: Any] ?? [:]
        if let error = object["error"] as? String { throw Failure.reply(error) }
        return object
    }

    public func status() throws -> ControlStatus {
        let object = try request(#"{"command":"status"}"#)
        return try JSONDecoder().decode(ControlStatus.self, from: JSONSerialization.data(withJSONObject: object))
    }

    /// The call's figures. A figure the daemon does not send (an older kioskd, before an
    /// update's restart) reads as its zero, so a newer client still reads the rest.
    public func stats() throws -> CallStats {
        let object = try request(#"{"command":"stats"}"#)
        let zero = try JSONSerialization.jsonObject(with: JSONEncoder().encode(CallStats(state: "", peer: nil, media: .init())))
        let merged = Self.overlay(object, on: zero)
        return try JSONDecoder().decode(CallStats.self, from: JSONSerialization.data(withJSONObject: merged))
    }

    /// `top`'s values over `base`'s, object by object.
    static func overlay(_ top: Any, on base: Any) -> Any {
        guard var b = base as? [String: Any], let t = top as? [String: Any] else { return top }
        for (key, value) in t { b[key] = b[key].map { overlay(value, on: $0) } ?? value }
        return b
    }

    /// Taps the middle of `button` on the screen as drawn (a first tap wakes a hidden tray).
    @discardableResult
    public func press(_ button: String) throws -> String? {
        var s = try status()
        if !s.buttons.contains(where: { $0.button == button }) {
            // The reply comes once the screen is drawn afresh: the tray's buttons are in this status.
            _ = try tap(x: 1, y: 1)
            s = try status()
        }
        guard let b = s.buttons.first(where: { $0.button == button }) else {
            throw Failure.reply("no \(button) button on the \(s.screen) screen (buttons: \(s.buttons.map(\.button)))")
        }
        return try tap(x: b.x + b.width / 2, y: b.y + b.height / 2)
    }

    public func tap(x: Int, y: Int) throws -> String? {
        try request(#"{"command":"tap","x":\#(x),"y":\#(y)}"#)["button"] as? String
    }

    public func screenshot(to path: String) throws {
        let object = try request(#"{"command":"screenshot"}"#)
        guard let b64 = object["png"] as? String, let data = Data(base64Encoded: b64) else { throw Failure.reply("no png") }
        try data.write(to: URL(fileURLWithPath: path))
    }
}
