import Crypto
import Foundation
import Synchronization

/// Users, their sign-in sessions and the sign-in throttle, shared by every HTTP handler and
/// the WebSocket upgrade. In memory only: a restart signs everyone out, and users added or
/// removed through the admin API are lost (the users file is the lasting list).
final class PracticeAuth: Sendable {
    struct Policy: Sendable {
        /// A session unused this long is gone (OWASP: 15-30 min for sensitive data).
        var idleTimeout: TimeInterval = 30 * 60
        /// However active, a session ends this long after sign-in.
        var absoluteLifetime: TimeInterval = 12 * 3600
        /// Consecutive failed sign-ins for one id before it is locked.
        var failuresBeforeLock = 5
        /// The first lock's length; each further failure doubles it, up to `maximumLock`.
        var firstLock: TimeInterval = 30
        var maximumLock: TimeInterval = 15 * 60
    }

    struct Session: Sendable {
        var principal: Principal
        var csrfToken: String
        var createdAt: Date
        var lastSeen: Date
    }

    enum SignIn: Sendable, Equatable {
        case signedIn(cookie: String, csrfToken: String, Principal)
        case refused
        /// Locked after repeated failures: try again after this many seconds.
        case throttled(retryAfter: Int)
    }

    private struct Failures {
        var count = 0
        var lockedUntil: Date?
        var last: Date
    }

    private struct State {
        var users: [String: PracticeUser] = [:]
        /// Keyed by the SHA-256 of the cookie value, so the table never holds a usable cookie.
        var sessions: [String: Session] = [:]
        var failures: [String: Failures] = [:]
    }

    let policy: Policy
    private let clock: @Sendable () -> Date
    private let state: Mutex<State>

    init(users: [PracticeUser], policy: Policy = Policy(), clock: @escaping @Sendable () -> Date = { Date() }) {
        self.policy = policy
        self.clock = clock
        state = Mutex(State(users: Dictionary(users.map { ($0.id, $0) }, uniquingKeysWith: { $1 })))
    }

    // MARK: - Sign-in

    func signIn(id: String, password: String) -> SignIn {
        let now = clock()
        let looked: (PasswordHash, PracticeUser?)? = state.withLock { s in
            if let until = s.failures[id]?.lockedUntil, now < until { return nil }
            let user = s.users[id]
            return (user?.password ?? PasswordHash.decoy, user)
        }
        guard let looked else {
            let until = state.withLock { $0.failures[id]?.lockedUntil } ?? now
            return .throttled(retryAfter: max(1, Int(until.timeIntervalSince(now).rounded(.up))))
        }
        let (hash, user) = looked
        // The KDF runs outside the lock: it takes a noticeable time by design.
        let matches = hash.verify(password)
        return state.withLock { s in
            guard matches, let user, s.users[user.id] == user else {
                var f = s.failures[id] ?? Failures(last: now)
                f.count += 1
                f.last = now
                if f.count >= policy.failuresBeforeLock {
                    let doublings = Double(min(f.count - policy.failuresBeforeLock, 20))
                    f.lockedUntil = now.addingTimeInterval(min(policy.firstLock * pow(2, doublings), policy.maximumLock))
                }
                s.failures[id] = f
                Self.pruneFailures(&s, now: now, policy: policy)
                return .refused
            }
            s.failures[id] = nil
            let cookie = RandomSecret.token()
            let csrf = RandomSecret.token()
            let principal = Principal(userId: user.id, role: user.role)
            s.sessions[Self.key(cookie)] = Session(principal: principal, csrfToken: csrf, createdAt: now, lastSeen: now)
            Self.pruneSessions(&s, now: now, policy: policy)
            return .signedIn(cookie: cookie, csrfToken: csrf, principal)
        }
    }

    /// The live session behind a cookie value (its idle clock restarted), or nil when the cookie
    /// is unknown, expired, or its user was removed.
    func session(cookie: String?) -> Session? {
        guard let cookie, !cookie.isEmpty else { return nil }
        let now = clock()
        let key = Self.key(cookie)
        return state.withLock { s in
            guard var session = s.sessions[key] else { return nil }
            guard Self.isLive(session, now: now, policy: policy), s.users[session.principal.userId] != nil else {
                s.sessions[key] = nil
                return nil
            }
            session.lastSeen = now
            s.sessions[key] = session
            return session
        }
    }

    func signOut(cookie: String) {
        let key = Self.key(cookie)
        _ = state.withLock { $0.sessions.removeValue(forKey: key) }
    }

    // MARK: - Users (the admin API)

    func users() -> [(id: String, role: PracticeRole)] {
        state.withLock { s in s.users.values.sorted { $0.id < $1.id }.map { ($0.id, $0.role) } }
    }

    /// False when the id is taken.
    func add(_ user: PracticeUser) -> Bool {
        state.withLock { s in
            guard s.users[user.id] == nil else { return false }
            s.users[user.id] = user
            return true
        }
    }

    /// Removes the user and ends their sessions; false when there is no such user.
    func remove(id: String) -> Bool {
        state.withLock { s in
            guard s.users.removeValue(forKey: id) != nil else { return false }
            s.sessions = s.sessions.filter { $0.value.principal.userId != id }
            return true
        }
    }

    // MARK: - Helpers

    private static func key(_ cookie: String) -> String {
        SHA256.hash(data: Array(cookie.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    private static func isLive(_ s: Session, now: Date, policy: Policy) -> Bool {
        now.timeIntervalSince(s.lastSeen) < policy.idleTimeout && now.timeIntervalSince(s.createdAt) < policy.absoluteLifetime
    }

    /// Bounded tables: a flood of sign-ins cannot grow memory without end.
    private static func pruneSessions(_ s: inout State, now: Date, policy: Policy) {
        guard s.sessions.count > 10_000 else { return }
        s.sessions = s.sessions.filter { isLive($0.value, now: now, policy: policy) }
    }

    private static func pruneFailures(_ s: inout State, now: Date, policy: Policy) {
        guard s.failures.count > 10_000 else { return }
        s.failures = s.failures.filter { now.timeIntervalSince($0.value.last) < policy.maximumLock }
    }
}
