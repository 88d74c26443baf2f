import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The browser process, spawned in its own process group so `kill(-pgid)` ends the whole tree
/// (zygote, renderers, GPU and network services) in one call.
struct ChromiumProcess: Sendable {
    let pid: pid_t

    /// - Parameter debuggingPipe: descriptors that become the child's fd 3 (it reads DevTools
    ///   commands there) and fd 4 (it writes), for `--remote-debugging-pipe`.
    static func spawn(executable: String, arguments: [String], logPath: String,
                      debuggingPipe: (childReads: Int32, childWrites: Int32)? = nil) throws -> ChromiumProcess {
        var actions = posix_spawn_file_actions_t()
        var attributes = posix_spawnattr_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawnattr_init(&attributes)
        defer {
            posix_spawn_file_actions_destroy(&actions)
            posix_spawnattr_destroy(&attributes)
        }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        if let debuggingPipe {
            posix_spawn_file_actions_adddup2(&actions, debuggingPipe.childReads, 3)
            posix_spawn_file_actions_adddup2(&actions, debuggingPipe.childWrites, 4)
        }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
        posix_spawnattr_setpgroup(&attributes, 0)

        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        guard rc == 0 else { throw DevToolsError.launchFailed("posix_spawn \(executable): \(String(cString: strerror(rc)))") }
        return ChromiumProcess(pid: pid)
    }

    /// Reaps the process if it exited; true while it runs.
    func isRunning() -> Bool {
        var status: Int32 = 0
        let r = waitpid(pid, &status, WNOHANG)
        return r == 0
    }

    /// SIGKILL to the whole group, then reap the leader (bounded wait).
    func killTree() async {
        kill(-pid, SIGKILL)
        kill(pid, SIGKILL)
        for _ in 0..<100 {
            var status: Int32 = 0
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid || r < 0 { break }
            try? await Task.sleep(for: .milliseconds(20))
        }
        // Helpers that left the group (none expected) would still be children of nobody we own.
        kill(-pid, SIGKILL)
    }
}
