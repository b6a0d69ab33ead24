import Foundation
import Hummingbird
import ReturnsCore
import ReturnsEngine
import ReturnsStore

/// Finance: refunds and their retries, and the decision on returns in manual review.
struct FinanceController: Sendable {
    typealias Context = ReturnsRequestContext

    let engine: Engine
    let configuration: ServerConfiguration
    var auth: Authentication { Authentication(engine: engine) }

    static let refundStatuses = ["pending", "sent", "succeeded", "failed"]

    func addRoutes(to router: Router<Context>) {
        router.get("/v1/finance/refunds", use: refunds)
        router.post("/v1/finance/refunds/{id}/retry", use: retry)
        router.post("/v1/finance/returns/{id}/approve", use: approve)
        router.post("/v1/finance/returns/{id}/reject", use: reject)
    }

    struct Refund: Encodable {
        var id: String
        var returnId: String
        var amount: String
        var currency: String
        var status: String
        var attempts: Int
        var lastError: String?
        var providerReference: String?
        var createdAt: Date

        init(_ row: RefundRow) {
            id = row.id.text
            returnId = row.returnID.text
            amount = Money.decimalString(minorUnits: row.amountMinor, currencyCode: row.currency)
            currency = row.currency
            status = row.status
            attempts = row.attempts
            lastError = row.lastError
            providerReference = row.providerReference
            createdAt = row.createdAt
        }
    }

    struct RefundPage: Encodable {
        var refunds: [Refund]
        var nextCursor: String?
    }

    @Sendable func refunds(_ request: Request, context: Context) async throws -> Response {
        _ = try await auth.require(.finance, request)
        let query = request.uri.queryParameters
        let page = try await engine.refunds.page(
            status: try Query.word(query, "status", allowed: Self.refundStatuses), from: try Query.date(query, "from"),
            to: try Query.date(query, "to"), limit: try Query.integer(query, "limit", default: 100, range: 1...1000),
            cursor: query["cursor"].map(String.init))
        return try JSONResponse.make(RefundPage(refunds: page.refunds.map(Refund.init), nextCursor: page.nextCursor))
    }

    struct Retried: Encodable {
        var refundId: String
        var status: String
    }

    @Sendable func retry(_ request: Request, context: Context) async throws -> Response {
        let holder = try await auth.require(.finance, request)
        guard let id = UUID(uuidString: try context.parameters.require("id")) else { throw Problem.notFound }
        _ = try await JSONBody.read(request, limit: configuration.maxBodyBytes, known: [], allowEmpty: true)
        guard try await engine.refunds.retry(id, actor: "finance:\(holder.name)") else {
            throw Problem(
                .conflict, "refund-not-failed", title: "Only a failed refund can be retried",
                detail: "refund \(id.uuidString.lowercased()) has not failed; nothing was changed")
        }
        return try JSONResponse.make(Retried(refundId: id.text, status: "pending"))
    }

    @Sendable func approve(_ request: Request, context: Context) async throws -> Response {
        try await decide("approve", request, context, known: ["note"])
    }

    @Sendable func reject(_ request: Request, context: Context) async throws -> Response {
        try await decide("reject", request, context, known: ["reason", "note"])
    }

    struct Decided: Encodable {
        var returnId: String
        var state: String
        var version: Int
        var replayed: Bool
    }

    private func decide(_ event: String, _ request: Request, _ context: Context, known: Set<String>) async throws
        -> Response
    {
        let holder = try await auth.require(.finance, request)
        guard let id = UUID(uuidString: try context.parameters.require("id")) else { throw Problem.notFound }
        let key = try request.idempotencyKey(required: true)
        let expected = try request.expectedVersion()
        let body = try await JSONBody.read(request, limit: configuration.maxBodyBytes, known: known, allowEmpty: event == "approve")
        var data: [String: JSONValue] = [:]
        if event == "reject" { data["reason"] = .string(try body.string("reason", maxLength: 1000)) }
        if let note = try body.optionalString("note", maxLength: 1000) { data["note"] = .string(note) }
        let result = try await engine.transitions.apply(
            event, to: id, idempotencyKey: key, actor: "finance:\(holder.name)", data: data, expectedVersion: expected)
        return try JSONResponse.make(
            Decided(returnId: id.text, state: result.to, version: result.seq, replayed: result.replayed),
            headers: [.eTag: "\"\(result.seq)\""])
    }
}
