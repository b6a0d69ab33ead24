import Foundation
import Hummingbird
import ReturnsCore
import ReturnsEngine

/// Customers: request a return, follow it by its status token, cancel it before it ships. No account: the
/// token is the key.
struct CustomerController: Sendable {
    typealias Context = ReturnsRequestContext

    let engine: Engine
    let configuration: ServerConfiguration

    func addRoutes(to router: Router<Context>) {
        router.post("/v1/returns", use: create)
        router.get("/v1/status/{token}", use: status)
        router.post("/v1/status/{token}/cancel", use: cancel)
    }

    static let returnFields: Set<String> = ["order_ref", "email", "postal_code", "locale", "lines"]
    static let lineFields: Set<String> = ["order_line", "quantity", "reason", "resolution", "exchange_sku"]
    /// Fields of the request as it was before orders of record: refused with a word on what to send instead.
    static let typedFields: Set<String> = ["customer_email", "items", "ordered_at", "region"]

    struct Created: Encodable {
        var id: String
        var statusToken: String
        var statusUrl: String
        var state: String
        var workflow: String
    }

    /// A customer's return of lines of their order: the order number and its email (or postal code) prove whose
    /// order it is; what was paid comes from the order.
    @Sendable func create(_ request: Request, context: Context) async throws -> Response {
        let key = try request.idempotencyKey(required: false)
        let body = try await JSONBody.read(
            request, limit: configuration.maxBodyBytes, known: Self.returnFields.union(Self.typedFields))
        if let typed = Self.typedFields.sorted().first(where: { body.fields[$0] != nil }) {
            throw Problem.invalid(
                typed,
                "returns are made from the order of record: send order_ref, email (or postal_code) and "
                    + "lines [{\"order_line\": \"1\", \"quantity\": 1, \"reason\": \"doesnt_fit\"}]; prices, "
                    + "dates and region come from the order")
        }
        let proof: ReturnFromOrder.Proof
        switch (try body.optionalString("email", maxLength: 254), try body.optionalString("postal_code", maxLength: 16)) {
        case (let email?, nil): proof = .email(email)
        case (nil, let code?): proof = .postalCode(code)
        case (nil, nil): throw Problem.invalid("email", "required: the email address of the order (or its postal_code)")
        case (_?, _?): throw Problem.invalid("postal_code", "give the email or the postal code, not both")
        }
        let lines = try body.objects("lines", known: Self.lineFields).enumerated().map { index, line in
            let resolution = try line.optionalString("resolution", maxLength: 32).map { text in
                guard let resolution = Resolution(rawValue: text) else {
                    throw Problem.invalid(
                        "lines[\(index)].resolution",
                        "'\(text)' is not one of \(Resolution.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                return resolution
            }
            return ReturnFromOrder.Line(
                orderLine: try line.string("order_line", maxLength: 64),
                quantity: try line.integer("quantity", minimum: 1, maximum: 10_000),
                reason: try line.optionalString("reason", maxLength: 64) ?? ReturnItem.defaultReason,
                resolution: resolution ?? .refund, exchangeSKU: try line.optionalString("exchange_sku", maxLength: 64))
        }
        let created = try await engine.transitions.create(
            from: ReturnFromOrder(
                orderRef: try body.string("order_ref", maxLength: 100), proof: proof, lines: lines,
                locale: try body.optionalString("locale", maxLength: 5) ?? "en", clientAddress: context.clientAddress),
            idempotencyKey: key, actor: "customer")
        return try JSONResponse.make(
            Created(
                id: created.id.text, statusToken: created.token, statusUrl: configuration.statusURL(token: created.token),
                state: created.state, workflow: created.workflow),
            status: created.replayed ? .ok : .created,
            headers: [.location: "/v1/status/\(created.token)"])
    }

    /// The status API's answer: the customer-visible facts, without the page labels.
    struct StatusBody: Encodable {
        var orderRef: String
        var state: String
        var description: String
        var locale: String
        var nextStep: String?
        var expectedBy: Date?
        var timeline: [CustomerStatus.TimelineEntry]
        var refund: CustomerStatus.RefundSummary?
        var lines: [CustomerStatus.LineSummary]
        var credit: CustomerStatus.CreditSummary?
        var canCancel: Bool

        init(_ status: CustomerStatus) {
            lines = status.lines
            credit = status.credit
            orderRef = status.orderRef
            state = status.state
            description = status.description
            locale = status.locale
            nextStep = status.nextStep
            expectedBy = status.expectedBy
            timeline = status.timeline
            refund = status.refund
            canCancel = status.canCancel
        }

        /// The bytes `JSONResponse.make` would send, written by `JSONWriter`: the status lookup is the route
        /// customers and their tracking pages call most.
        var json: ByteBuffer {
            var writer = JSONWriter()
            writer.object { body in
                body.member("can_cancel", canCancel)
                if let credit {
                    body.member("credit") { $0.object { $0.member("amount", credit.amount); $0.member("currency", credit.currency) } }
                }
                body.member("description", description)
                body.member("expected_by", expectedBy)
                body.member("lines") {
                    $0.array(lines) { writer, line in
                        writer.object {
                            $0.member("exchange_sku", line.exchangeSKU)
                            $0.member("quantity", line.quantity)
                            $0.member("resolution", line.resolution)
                            $0.member("sku", line.sku)
                        }
                    }
                }
                body.member("locale", locale)
                body.member("next_step", nextStep)
                body.member("order_ref", orderRef)
                if let refund {
                    body.member("refund") {
                        $0.object {
                            $0.member("amount", refund.amount)
                            $0.member("currency", refund.currency)
                            $0.member("status", refund.status)
                        }
                    }
                }
                body.member("state", state)
                body.member("timeline") {
                    $0.array(timeline) { writer, entry in
                        writer.object {
                            $0.member("at", entry.at)
                            $0.member("description", entry.description)
                            $0.member("state", entry.state)
                        }
                    }
                }
            }
            return writer.buffer
        }
    }

    @Sendable func status(_ request: Request, context: Context) async throws -> Response {
        let token = try context.parameters.require("token")
        guard let status = try await engine.customers.status(token: token) else { throw Problem.notFound }
        return JSONResponse.make(StatusBody(status).json, headers: [.cacheControl: "no-store"])
    }

    @Sendable func cancel(_ request: Request, context: Context) async throws -> Response {
        let token = try context.parameters.require("token")
        let key = try request.idempotencyKey(required: false)
        _ = try await JSONBody.read(request, limit: configuration.maxBodyBytes, known: [], allowEmpty: true)
        guard let status = try await engine.customers.cancel(token: token, idempotencyKey: key) else { throw Problem.notFound }
        return JSONResponse.make(StatusBody(status).json)
    }
}
