import Foundation

/// An HTTP API failure, sent as `{"error":{status,code,field,message}}` (docs/practice-api.md).
/// `field` is the dotted path of the offending input (`patient.portalAccount`), or nil.
public struct APIError: Error, Equatable, Sendable {
    /// Request bodies above this are refused with 413 before they are parsed.
    static let maximumBodyBytes = 64 * 1024

    /// The HTTP status code (400, 404, 409, 413, …).
    public var status: Int
    public var code: String
    public var field: String?
    public var message: String

    static func invalidJSON(_ message: String) -> APIError {
        APIError(status: 400, code: "invalid-json", field: nil, message: message)
    }
    static func missingField(_ field: String) -> APIError {
        APIError(status: 400, code: "missing-field", field: field, message: "\(field) is required")
    }
    static func invalidField(_ field: String, _ message: String) -> APIError {
        APIError(status: 400, code: "invalid-field", field: field, message: message)
    }
    static func unknownField(_ field: String) -> APIError {
        APIError(status: 400, code: "unknown-field", field: field, message: "\(field) is not a field of this request")
    }
    static func notFound(_ field: String?, _ message: String) -> APIError {
        APIError(status: 404, code: "not-found", field: field, message: message)
    }
    static func conflict(_ field: String, _ message: String) -> APIError {
        APIError(status: 409, code: "conflict", field: field, message: message)
    }
    static let bodyTooLarge = APIError(status: 413, code: "body-too-large", field: nil,
                                       message: "the body is larger than \(APIError.maximumBodyBytes / 1024) KiB")

    var json: PracticeJSON {
        var e = PracticeJSONObject()
        e.set("status", status)
        e.set("code", code)
        e.set("field", field.map(PracticeJSON.string) ?? .null)
        e.set("message", message)
        var o = PracticeJSONObject()
        o.set("error", e.json)
        return o.json
    }
}
