import Foundation

/// The command line's checks that belong to the endpoint rather than to argument parsing, here
/// so tests can run them without starting a process or binding a socket.
public enum LaunchChecks {
    /// Dev mode has no sign-in and accepts any kiosk: it must not be reachable from the network.
    public static func check(dev: Bool, host: String, tls: Bool, users: Bool) throws(PracticeServerError) {
        if dev {
            guard isLoopback(host) else { throw .devNeedsLoopback(host) }
        } else {
            guard tls else { throw .tlsRequired }
            guard users else { throw .usersRequired }
        }
    }

    /// 127.0.0.0/8, ::1 or `localhost`. Not 0.0.0.0 or :: (every interface), not a name that
    /// merely resolves to loopback today.
    public static func isLoopback(_ host: String) -> Bool {
        if host.lowercased() == "localhost" { return true }
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        var v4 = in_addr()
        if inet_pton(AF_INET, bare, &v4) == 1 {
            return UInt32(bigEndian: v4.s_addr) >> 24 == 127
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, bare, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { Array($0) } == Array(repeating: 0, count: 15) + [1]
        }
        return false
    }
}
