import Hummingbird
import HummingbirdWebSocket

/// `/api/session` (sign in, who am I, sign out) and `/api/users` (the admin's).
struct SessionRoutes: Sendable {
    let access: AccessControl
    let hub: PracticeHub

    func register(on api: RouterGroup<BasicWebSocketRequestContext>) {
        api.get("session") { request, _ -> Response in
            guard let auth = access.auth else { return PracticeAPI.jsonResponse(Self.devSession) }
            guard let session = auth.session(cookie: AccessControl.cookie(in: request)) else { throw APIError.unauthorized }
            return PracticeAPI.jsonResponse(Self.output(session.principal, csrfToken: session.csrfToken))
        }
        api.post("session") { request, _ -> Response in
            guard let auth = access.auth else { throw APIError.notFound(nil, "dev mode has no sign-in") }
            let (id, password) = try AuthInput.signIn(try await PracticeAPI.body(request))
            switch auth.signIn(id: id, password: password) {
            case .signedIn(let cookie, let csrf, let principal):
                var response = PracticeAPI.jsonResponse(Self.output(principal, csrfToken: csrf))
                response.headers[.setCookie] = AccessControl.setCookie(cookie)
                return response
            case .refused:
                throw APIError.signInRefused
            case .throttled(let seconds):
                var response = APIError.throttled(seconds).response
                response.headers[.retryAfter] = String(seconds)
                return response
            }
        }
        api.delete("session") { request, _ -> Response in
            guard let auth = access.auth else { throw APIError.notFound(nil, "dev mode has no sign-in") }
            guard let cookie = AccessControl.cookie(in: request), let session = auth.session(cookie: cookie) else {
                throw APIError.unauthorized
            }
            try AccessControl.checkCSRF(request, session)
            auth.signOut(cookie: cookie)
            if session.principal.role == .clinician { await hub.signedOut(clinicianId: session.principal.userId) }
            var o = PracticeJSONObject()
            o.set("signedOut", true)
            var response = PracticeAPI.jsonResponse(o.json)
            response.headers[.setCookie] = AccessControl.clearCookie
            return response
        }

        api.get("users") { request, _ -> Response in
            let auth = try requireAuth()
            _ = try access.authorize(request, [.admin])
            return PracticeAPI.jsonResponse(.array(auth.users().map { Self.output(id: $0.id, role: $0.role) }))
        }
        api.post("users") { request, _ -> Response in
            let auth = try requireAuth()
            _ = try access.authorize(request, [.admin])
            let (id, role, password) = try AuthInput.newUser(try await PracticeAPI.body(request))
            let user = PracticeUser(id: id, role: role, password: try PasswordHash.make(password))
            guard auth.add(user) else { throw APIError.conflict("id", "user \(id) already exists") }
            return PracticeAPI.jsonResponse(Self.output(id: id, role: role), status: .created)
        }
        api.delete("users/:userId") { request, context -> Response in
            let auth = try requireAuth()
            let principal = try access.authorize(request, [.admin])
            let id = try context.parameters.require("userId")
            // An admin removing themselves could leave no one able to manage users.
            if id == principal?.userId { throw APIError.invalidField("userId", "you cannot remove yourself") }
            guard auth.remove(id: id) else { throw APIError.notFound("userId", "no user \(id)") }
            await hub.signedOut(clinicianId: id)
            var o = PracticeJSONObject()
            o.set("removed", id)
            return PracticeAPI.jsonResponse(o.json)
        }
    }

    private func requireAuth() throws(APIError) -> PracticeAuth {
        guard let auth = access.auth else { throw .notFound(nil, "dev mode has no users") }
        return auth
    }

    static let devSession: PracticeJSON = {
        var o = PracticeJSONObject()
        o.set("mode", "dev")
        return o.json
    }()

    static func output(_ p: Principal, csrfToken: String) -> PracticeJSON {
        var o = PracticeJSONObject()
        o.set("mode", "production")
        o.set("id", p.userId)
        o.set("role", p.role.rawValue)
        o.set("csrfToken", csrfToken)
        return o.json
    }

    static func output(id: String, role: PracticeRole) -> PracticeJSON {
        var o = PracticeJSONObject()
        o.set("id", id)
        o.set("role", role.rawValue)
        return o.json
    }
}
