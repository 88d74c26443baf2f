import Foundation
import Hummingbird

/// The HTTP side of `APIError`: its response, and Hummingbird's own errors in the same shape.
extension APIError {
    var response: Response { PracticeAPI.jsonResponse(json, status: HTTPResponse.Status(code: status)) }

    /// Hummingbird's own errors (no route, NIO's too-many-bytes as 413, …) in the API's shape.
    static func from(_ error: any Error) -> APIError {
        switch error {
        case let e as APIError:
            return e
        case let e as any HTTPResponseError:
            switch e.status {
            case .notFound: return .notFound(nil, "no such API route")
            case .contentTooLarge: return .bodyTooLarge
            case .methodNotAllowed: return APIError(status: Int(e.status.code), code: "method-not-allowed", field: nil, message: "method not allowed here")
            case .unauthorized: return .unauthorized
            case .forbidden: return .forbidden
            default:
                let serverSide = e.status.kind == .serverError
                return APIError(status: Int(e.status.code), code: serverSide ? "internal" : "bad-request", field: nil,
                                message: e.status.reasonPhrase.lowercased())
            }
        default:
            return APIError(status: 500, code: "internal", field: nil, message: "internal error")
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
