import Foundation
import Hummingbird
import ReturnsCore
import ReturnsEngine

/// Customers: request a return, follow it by its status token, cancel it before it ships. No account: the
/// token is the key.
struct CustomerController: Sendable {
    typealias Context = BasicRequestContext

    let engine: Engine
    let configuration: ServerConfiguration

    func addRoutes(to router: Router<Context>) {
        router.post("/v1/returns", use: create)
        router.get("/v1/status/{token}", use: status)
        router.post("/v1/status/{token}/cancel", use: cancel)
        router.get("/status/{token}", use: page)
        router.post("/status/{token}/cancel", use: cancelFromPage)
    }

    static let returnFields: Set<String> = ["order_ref", "customer_email", "locale", "region", "ordered_at", "items"]
    static let itemFields: Set<String> = ["sku", "quantity", "unit_price", "currency", "reason", "category"]

    struct Created: Encodable {
        var id: String
        var statusToken: String
        var statusUrl: String
        var state: String
        var workflow: String
    }

    @Sendable func create(_ request: Request, context: Context) async throws -> Response {
        let key = try request.idempotencyKey(required: false)
        let body = try await JSONBody.read(request, limit: configuration.maxBodyBytes, known: Self.returnFields)
        let items = try body.objects("items", known: Self.itemFields).map(Self.item)
        let new = NewReturn(
            workflow: nil, orderRef: try body.string("order_ref", maxLength: 100),
            customerEmail: try body.string("customer_email", maxLength: 254),
            locale: try body.optionalString("locale", maxLength: 5) ?? "en", items: items,
            orderedAt: try body.date("ordered_at"), region: try body.optionalString("region", maxLength: 32),
            startsAtOnce: true)
        let created = try await engine.transitions.create(new, idempotencyKey: key, actor: "customer")
        return try JSONResponse.make(
            Created(
                id: created.id.text, statusToken: created.token, statusUrl: configuration.statusURL(token: created.token),
                state: created.state, workflow: created.workflow),
            status: created.replayed ? .ok : .created,
            headers: [.location: "/v1/status/\(created.token)"])
    }

    static func item(_ body: JSONBody) throws -> ReturnItem {
        let code = try body.string("currency", maxLength: 3)
        let currency: Currency
        do { currency = try Currency(code: code) } catch {
            throw Problem.invalid(body.name("currency"), "'\(code)' is not an ISO 4217 currency this service knows")
        }
        let priceText = try body.string("unit_price", maxLength: 24)
        let price: Money
        do { price = try Money.parse(priceText, currency: currency) } catch {
            throw Problem.invalid(body.name("unit_price"), "\(error); give a decimal string like \"19.99\"")
        }
        guard price.minorUnits >= 0 else { throw Problem.invalid(body.name("unit_price"), "must not be negative") }
        let sku = try body.string("sku", maxLength: 64)
        guard ReturnItem.isSKU(sku) else { throw Problem.invalid(body.name("sku"), "must not contain spaces") }
        for field in ["reason", "category"] {
            if let value = try body.optionalString(field, maxLength: 64), !ReturnItem.isCode(value) {
                throw Problem.invalid(body.name(field), "use letters, digits, '_' or '-' only")
            }
        }
        return ReturnItem(
            sku: sku, quantity: try body.integer("quantity", minimum: 1, maximum: 10_000), unitPrice: price,
            category: try body.optionalString("category", maxLength: 64) ?? ReturnItem.defaultCategory,
            reason: try body.optionalString("reason", maxLength: 64) ?? ReturnItem.defaultReason)
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
        var canCancel: Bool

        init(_ status: CustomerStatus) {
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
    }

    @Sendable func status(_ request: Request, context: Context) async throws -> Response {
        let token = try context.parameters.require("token")
        guard let status = try await engine.customers.status(token: token) else { throw Problem.notFound }
        return try JSONResponse.make(StatusBody(status), headers: [.cacheControl: "no-store"])
    }

    @Sendable func cancel(_ request: Request, context: Context) async throws -> Response {
        let token = try context.parameters.require("token")
        let key = try request.idempotencyKey(required: false)
        _ = try await JSONBody.read(request, limit: configuration.maxBodyBytes, known: [], allowEmpty: true)
        guard let status = try await engine.customers.cancel(token: token, idempotencyKey: key) else { throw Problem.notFound }
        return try JSONResponse.make(StatusBody(status))
    }

    /// The status page's cancel button: cancels, then shows the page again.
    @Sendable func cancelFromPage(_ request: Request, context: Context) async throws -> Response {
        let token = try context.parameters.require("token")
        guard try await engine.customers.cancel(token: token, idempotencyKey: nil) != nil else { throw Problem.notFound }
        return Response(status: .seeOther, headers: [.location: "/status/\(token)"])
    }

    @Sendable func page(_ request: Request, context: Context) async throws -> Response {
        let token = try context.parameters.require("token")
        var headers: HTTPFields = [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"]
        headers[.contentSecurityPolicy] = "default-src 'none'; style-src 'unsafe-inline'"
        guard let status = try await engine.customers.status(token: token) else {
            let language = StatusPage.preferredLocale(request.headers[.acceptLanguage])
            let texts = engine.catalog.statusTexts.texts(for: language)
            return Response(
                status: .notFound, headers: headers,
                body: .init(byteBuffer: ByteBuffer(string: StatusPage.notFound(locale: texts.locale, labels: texts.texts.labels))))
        }
        return Response(
            status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: StatusPage.render(status, token: token))))
    }
}
