import Foundation
import Hummingbird

/// An HTTP API failure, sent as `{"error":{status,code,field,message}}` (docs/practice-api.md).
/// `field` is the dotted path of the offending input (`patient.portalAccount`), or nil.
struct APIError: Error, Equatable, Sendable {
    var status: HTTPResponse.Status
    var code: String
    var field: String?
    var message: String

    static func invalidJSON(_ message: String) -> APIError {
        APIError(status: .badRequest, code: "invalid-json", field: nil, message: message)
    }
    static func missingField(_ field: String) -> APIError {
        APIError(status: .badRequest, code: "missing-field", field: field, message: "\(field) is required")
    }
    static func invalidField(_ field: String, _ message: String) -> APIError {
        APIError(status: .badRequest, code: "invalid-field", field: field, message: message)
    }
    static func unknownField(_ field: String) -> APIError {
        APIError(status: .badRequest, code: "unknown-field", field: field, message: "\(field) is not a field of this request")
    }
    static func notFound(_ field: String?, _ message: String) -> APIError {
        APIError(status: .notFound, code: "not-found", field: field, message: message)
    }
    static func conflict(_ field: String, _ message: String) -> APIError {
        APIError(status: .conflict, code: "conflict", field: field, message: message)
    }
    static let bodyTooLarge = APIError(status: .contentTooLarge, code: "body-too-large", field: nil,
                                       message: "the body is larger than \(PracticeAPI.maximumBodyBytes / 1024) KiB")

    var json: PracticeJSON {
        var e = PracticeJSONObject()
        e.set("status", Int(status.code))
        e.set("code", code)
        e.set("field", field.map(PracticeJSON.string) ?? .null)
        e.set("message", message)
        var o = PracticeJSONObject()
        o.set("error", e.json)
        return o.json
    }

    var response: Response { PracticeAPI.jsonResponse(json, status: status) }

    /// Hummingbird's own errors (no route, NIO's too-many-bytes as 413, …) in the API's shape.
    static func from(_ error: any Error) -> APIError {
        switch error {
        case let e as APIError:
            return e
        case let e as any HTTPResponseError:
            switch e.status {
            case .notFound: return .notFound(nil, "no such API route")
            case .contentTooLarge: return .bodyTooLarge
            case .methodNotAllowed: return APIError(status: e.status, code: "method-not-allowed", field: nil, message: "method not allowed here")
            case .unauthorized: return APIError(status: e.status, code: "unauthorized", field: nil, message: "a valid bearer token is required")
            case .forbidden: return APIError(status: e.status, code: "forbidden", field: nil, message: "the API is closed: start practice-dev with --api-token")
            default:
                let serverSide = e.status.kind == .serverError
                return APIError(status: e.status, code: serverSide ? "internal" : "bad-request", field: nil,
                                message: e.status.reasonPhrase.lowercased())
            }
        default:
            return APIError(status: .internalServerError, code: "internal", field: nil, message: "internal error")
        }
    }
}

/// Turns every error under `/api` (including "no such route", which the router throws) into
/// the JSON error shape. Other paths keep Hummingbird's plain responses.
struct APIErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context,
                next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        guard path == "/api" || path.hasPrefix("/api/") else { return try await next(request, context) }
        do {
            return try await next(request, context)
        } catch {
            return APIError.from(error).response
        }
    }
}
