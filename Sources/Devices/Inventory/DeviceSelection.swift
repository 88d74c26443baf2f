/// Chooses a device from the configuration ("auto", "synthetic", a stable id, or a node path)
/// and says why, for the log.
public enum DeviceSelection {
    public enum Choice: Sendable, Equatable {
        case synthetic
        case device(id: String, path: String)
        case none
    }

    public struct Result: Sendable, Equatable {
        public var choice: Choice
        public var reason: String
    }

    /// Preference: the configured id (or path); then (for "auto", or a configured camera that
    /// is absent) a built-in camera; then any camera. "synthetic" always gives the test pattern.
    public static func camera(configured: String, among cameras: [CameraInfo]) -> Result {
        let wanted = configured.trimmingSpaces()
        if wanted == "synthetic" { return Result(choice: .synthetic, reason: "configured camera = \"synthetic\"") }
        var prefix = ""
        if wanted != "auto" && !wanted.isEmpty {
            if let c = cameras.first(where: { $0.id == wanted || $0.path == wanted || $0.links.contains(wanted) }) {
                return Result(choice: .device(id: c.id, path: c.path), reason: "configured camera \(c.id) (\(c.name)) found at \(c.path)")
            }
            prefix = "configured camera \(wanted) not present; "
        }
        let usable = cameras.filter { $0.formats.contains { $0.supported } }
        if let c = usable.first(where: \.builtIn) {
            return Result(choice: .device(id: c.id, path: c.path), reason: prefix + "built-in camera \(c.id) (\(c.name))")
        }
        if let c = usable.first {
            return Result(choice: .device(id: c.id, path: c.path), reason: prefix + "first usable camera \(c.id) (\(c.name))")
        }
        return Result(choice: .none, reason: prefix + "no usable camera (\(cameras.count) found)")
    }

    /// Same rules for microphones or speakers.
    public static func audio(configured: String, among devices: [AudioDeviceInfo], kind: String) -> Result {
        let wanted = configured.trimmingSpaces()
        if wanted == "synthetic" { return Result(choice: .synthetic, reason: "configured \(kind) = \"synthetic\"") }
        var prefix = ""
        if wanted != "auto" && !wanted.isEmpty {
            if let d = devices.first(where: { $0.id == wanted || $0.device == wanted }) {
                return Result(choice: .device(id: d.id, path: d.device), reason: "configured \(kind) \(d.id) (\(d.name))")
            }
            prefix = "configured \(kind) \(wanted) not present; "
        }
        if let d = devices.first(where: \.builtIn) {
            return Result(choice: .device(id: d.id, path: d.device), reason: prefix + "built-in \(kind) \(d.id) (\(d.name))")
        }
        if let d = devices.first {
            return Result(choice: .device(id: d.id, path: d.device), reason: prefix + "first \(kind) \(d.id) (\(d.name))")
        }
        return Result(choice: .none, reason: prefix + "no \(kind) found")
    }
}

extension String {
    fileprivate func trimmingSpaces() -> String {
        var s = Substring(self)
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}
