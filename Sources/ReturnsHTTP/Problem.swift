import Foundation
import Hummingbird
import ReturnsCore
import ReturnsEngine

/// An error answer in `application/problem+json` (RFC 9457). `type` is stable: clients branch on it.
public struct Problem: HTTPResponseError, Sendable {
    public var status: HTTPResponse.Status
    /// The last segment of the type URI, like `invalid-field`.
    public var kind: String
    public var title: String
    public var detail: String
    /// The request field at fault, for validation errors.
    public var field: String?
    /// Extra members (allowed events, the current version...).
    public var extra: [String: JSONValue] = [:]
    /// The `Allow` header of a 405.
    var allow: String?
    /// The `Retry-After` header, in seconds, of an answer that says "busy, try again".
    var retryAfter: Int?

    public init(
        _ status: HTTPResponse.Status, _ kind: String, title: String, detail: String, field: String? = nil,
        extra: [String: JSONValue] = [:]
    ) {
        self.status = status
        self.kind = kind
        self.title = title
        self.detail = detail
        self.field = field
        self.extra = extra
    }

    public static let typeBase = "https://returns.dev/problems/"

    public var body: [String: JSONValue] {
        var members = extra
        members["type"] = .string(Self.typeBase + kind)
        members["title"] = .string(title)
        members["status"] = .number(Double(status.code))
        members["detail"] = .string(detail)
        if let field { members["field"] = .string(field) }
        return members
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/problem+json"
        if status == .unauthorized { headers[.wwwAuthenticate] = "Bearer" }
        if let allow { headers[.allow] = allow }
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        return Response(
            status: status, headers: headers,
            body: .init(byteBuffer: ByteBuffer(string: JSONValue.canonicalText(body))))
    }

    // MARK: - Common problems

    static func invalid(_ field: String, _ reason: String) -> Problem {
        Problem(.badRequest, "invalid-field", title: "A field is missing or malformed", detail: "\(field): \(reason)", field: field)
    }

    static let notFound = Problem(
        .notFound, "not-found", title: "Not found", detail: "nothing is here; check the path and the id")

    static let unauthorized = Problem(
        .unauthorized, "unauthorized", title: "An API key is needed",
        detail: "send a working key as 'Authorization: Bearer KEY' (partners get theirs from `returns partner add`)")

    static func forbidden(_ detail: String) -> Problem {
        Problem(.forbidden, "forbidden", title: "This key may not do that", detail: detail)
    }

    static let missingIdempotencyKey = Problem(
        .badRequest, "idempotency-key-required", title: "An Idempotency-Key header is needed",
        detail: "send a unique Idempotency-Key header with every POST; re-send the same key to retry safely",
        field: "Idempotency-Key")

    /// The answer to an engine refusal.
    static func from(_ error: EngineError) -> Problem {
        switch error {
        case .returnNotFound, .refundNotFound, .notificationNotFound, .partnerNotFound:
            return Problem(.notFound, "not-found", title: "Not found", detail: error.description)
        case .invalidInput(let field, let reason):
            return invalid(field, reason)
        case .workflow(.eventNotAllowed(let event, let state, let allowed)):
            return Problem(
                .conflict, "event-not-allowed", title: "Not possible in the return's current state",
                detail: error.description,
                extra: [
                    "event": .string(event), "state": .string(state), "allowed": .array(allowed.map(JSONValue.string)),
                ])
        case .workflow(.unknownEvent):
            return Problem(.badRequest, "unknown-event", title: "Unknown event", detail: error.description)
        case .workflow(.guardFailed):
            return Problem(.badRequest, "invalid-field", title: "A field is missing or malformed", detail: error.description)
        case .versionConflict(let expected, let actual):
            return Problem(
                .preconditionFailed, "stale-version", title: "The return changed since you read it",
                detail: error.description,
                extra: ["expected_version": .number(Double(expected)), "current_version": .number(Double(actual))])
        case .idempotencyKeyReused:
            return Problem(
                .unprocessableContent, "idempotency-key-reused", title: "Idempotency key used for another request",
                detail: error.description, field: "Idempotency-Key")
        case .refusedByPolicy(let refusals):
            return Problem(
                .unprocessableContent, "refused-by-policy", title: "The return policy refuses this return",
                detail: error.description, extra: ["reasons": .array(refusals.map { .string($0.description) })])
        case .unknownWorkflow:
            return Problem(.badRequest, "invalid-field", title: "Unknown workflow", detail: error.description, field: "workflow")
        case .partnerExists:
            return Problem(.conflict, "conflict", title: "Already exists", detail: error.description)
        case .orderNotFound:
            // One body for an unknown order and a wrong email or postal code: no oracle for which orders exist.
            return Problem(.notFound, "order-not-found", title: "Order not found", detail: error.description)
        case .tooManyLookups(let seconds):
            var problem = Problem(
                .tooManyRequests, "too-many-lookups", title: "Too many failed order lookups", detail: error.description)
            problem.retryAfter = seconds
            return problem
        case .alreadyReturned:
            return Problem(.conflict, "already-returned", title: "Nothing left to return", detail: error.description)
        case .orderConflict:
            return Problem(.conflict, "order-conflict", title: "The order change is refused", detail: error.description)
        case .notAvailable:
            return Problem(.conflict, "not-available", title: "Not available", detail: error.description)
        case .variantNotFound:
            return Problem(.notFound, "not-found", title: "Variant not found", detail: error.description)
        case .orderSourceFailed(_, let timedOut):
            var problem = Problem(
                timedOut ? .gatewayTimeout : .badGateway, "order-source-failed",
                title: "The shop's order system failed",
                detail: "the shop's order system could not be asked about this order just now; try again in a minute")
            problem.retryAfter = 30
            return problem
        }
    }
}
