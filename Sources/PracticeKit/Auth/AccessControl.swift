import HTTPTypes
import Hummingbird

/// The HTTP side of sign-in: the session cookie, the CSRF check and the role check that every
/// `/api` route calls first. In dev mode (`auth == nil`) everything is open, as before.
struct AccessControl: Sendable {
    static let cookieName = "practice_session"
    static let csrfHeader = HTTPField.Name("X-CSRF-Token")!  // a valid token (letters and dashes): the force-unwrap cannot fail

    let auth: PracticeAuth?

    var isDev: Bool { auth == nil }

    /// The signed-in user allowed to make this request, or nil in dev mode. Checks, in order:
    /// a live session (401), the CSRF token on state-changing methods (403 `csrf`), the role
    /// (403 `forbidden`).
    @discardableResult
    func authorize(_ request: Request, _ roles: Set<PracticeRole>) throws(APIError) -> Principal? {
        guard let auth else { return nil }
        guard let session = auth.session(cookie: Self.cookie(in: request)) else { throw .unauthorized }
        try Self.checkCSRF(request, session)
        guard roles.contains(session.principal.role) else { throw .forbidden }
        return session.principal
    }

    /// A request that changes state must repeat the session's CSRF token in `X-CSRF-Token`. The
    /// cookie alone is what a forged cross-site request would carry; the token it cannot read.
    static func checkCSRF(_ request: Request, _ session: PracticeAuth.Session) throws(APIError) {
        guard isStateChanging(request.method) else { return }
        guard let presented = request.headers[csrfHeader], constantTimeEqual(presented, session.csrfToken) else {
            throw .csrf
        }
    }

    /// The clinician a WebSocket upgrade is signed in as: a live clinician session whose cookie
    /// came from this very origin. Browsers send cookies on a cross-site WebSocket handshake
    /// unless SameSite stops them, and WebSockets have no CORS, so the Origin is checked too.
    func webSocketClinician(_ request: Request) -> String? {
        guard let auth, let session = auth.session(cookie: Self.cookie(in: request)),
              session.principal.role == .clinician else { return nil }
        // A browser names the page's web origin; another site's page, or an opaque one
        // ("null": a sandboxed frame), gets no session. Non-browser clients may send a ws(s)
        // origin or none: they are not what CSRF protection is about.
        for origin in request.headers[values: .origin] {
            let lower = origin.lowercased()
            guard lower.hasPrefix("http://") || lower.hasPrefix("https://") || lower == "null" else { continue }
            guard let authority = request.head.authority,
                  lower == "https://\(authority.lowercased())" || lower == "http://\(authority.lowercased())" else { return nil }
        }
        return session.principal.userId
    }

    static func isStateChanging(_ method: HTTPRequest.Method) -> Bool {
        ![.get, .head, .options].contains(method)
    }

    /// `practice_session` from the request's Cookie header(s).
    static func cookie(in request: Request) -> String? {
        for header in request.headers[values: .cookie] {
            for pair in header.split(separator: ";") {
                let trimmed = pair.drop(while: { $0 == " " })
                if trimmed.hasPrefix(cookieName + "=") { return String(trimmed.dropFirst(cookieName.count + 1)) }
            }
        }
        return nil
    }

    /// The session cookie: unreadable by scripts (HttpOnly), sent only over TLS (Secure) and
    /// never on a request another site starts (SameSite=Strict). No Max-Age: it ends with the
    /// browser, and the server ends it sooner (idle timeout).
    static func setCookie(_ value: String) -> String {
        "\(cookieName)=\(value); Path=/; HttpOnly; Secure; SameSite=Strict"
    }

    static let clearCookie = "\(cookieName)=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Strict"
}

extension APIError {
    static let unauthorized = APIError(status: 401, code: "unauthorized", field: nil, message: "sign in first (POST /api/session)")
    static let forbidden = APIError(status: 403, code: "forbidden", field: nil, message: "your role may not do this")
    static let csrf = APIError(status: 403, code: "csrf", field: nil,
                               message: "X-CSRF-Token is missing or wrong (it comes with the session: GET /api/session)")
    static let signInRefused = APIError(status: 401, code: "sign-in-refused", field: nil, message: "unknown id or wrong password")
    static func throttled(_ seconds: Int) -> APIError {
        APIError(status: 429, code: "too-many-attempts", field: nil,
                 message: "too many failed sign-ins for this id: try again in \(seconds) s")
    }
}
