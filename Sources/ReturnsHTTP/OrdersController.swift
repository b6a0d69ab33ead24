import Foundation
import Hummingbird
import ReturnsCore
import ReturnsEngine
import ReturnsStore

/// The shop's systems (merchant keys): orders of record, one at a time or many at once.
struct OrdersController: Sendable {
    typealias Context = ReturnsRequestContext

    let engine: Engine
    let configuration: ServerConfiguration
    var auth: Authentication { Authentication(engine: engine) }

    /// Orders one bulk request may carry, and the body they may take (beyond the general limit, which one order
    /// fits in but a thousand do not; only a merchant key gets this far).
    static let bulkMaximum = 1_000
    var bulkBodyBytes: Int { max(configuration.maxBodyBytes, 8 << 20) }

    func addRoutes(to router: Router<Context>) {
        router.put("/v1/orders/{order_ref}", use: put)
        router.get("/v1/orders/{order_ref}", use: get)
        router.post("/v1/orders/bulk", use: bulk)
    }

    struct Written: Encodable {
        var orderRef: String
        var result: String
        var paid: String
        var currency: String

        init(_ order: Order, _ write: OrderWrite) {
            orderRef = order.ref
            result = write.rawValue
            paid = Money(minorUnits: order.paidMinor, currency: order.currency).decimalString
            currency = order.currency.code
        }
    }

    @Sendable func put(_ request: Request, context: Context) async throws -> Response {
        _ = try await auth.require(.merchant, request)
        let ref = try context.parameters.require("order_ref")
        let body = try await JSONBody.read(
            request, limit: configuration.maxBodyBytes, known: Set(OrderFields.orderNames + ["lines"]))
        if let named = body.fields["order_ref"]?.stringValue, named != ref {
            throw Problem.invalid("order_ref", "'\(named)' differs from the path's '\(ref)'; leave it out or make them one")
        }
        var fields = body.fields
        fields["order_ref"] = .string(ref)
        let order = try Self.order(JSONBody(fields: fields))
        let write = try await engine.orders.put(order)
        return try JSONResponse.make(Written(order, write), status: write == .created ? .created : .ok)
    }

    @Sendable func bulk(_ request: Request, context: Context) async throws -> Response {
        _ = try await auth.require(.merchant, request)
        let body = try await JSONBody.read(request, limit: bulkBodyBytes, known: ["orders"])
        let entries = try body.objects("orders", known: Set(OrderFields.orderNames + ["lines"]), maximum: Self.bulkMaximum)
        let orders = try entries.map(Self.order)
        var seen: Set<String> = []
        for (index, order) in orders.enumerated() where !seen.insert(order.ref).inserted {
            throw Problem.invalid("orders[\(index)].order_ref", "order \(order.ref) appears twice; send it once")
        }
        let writes = try await engine.orders.importOrders(orders, dryRun: false)
        struct Results: Encodable { var results: [Written] }
        return try JSONResponse.make(Results(results: zip(orders, writes).map { Written($0, $1) }))
    }

    struct StoredBody: Encodable {
        struct Line: Encodable {
            var lineId: String
            var sku: String
            var productId: String?
            var variantId: String?
            var title: String?
            var quantity: Int
            var quantityReturned: Int
            var unitPrice: String
            var tax: String?
            var category: String
            var finalSale: Bool
        }
        var orderRef: String
        var customerEmail: String
        var postalCode: String?
        var customerId: String?
        var orderedAt: Date
        var deliveredAt: Date?
        var currency: String
        var region: String?
        var paid: String
        var lines: [Line]
    }

    @Sendable func get(_ request: Request, context: Context) async throws -> Response {
        _ = try await auth.require(.merchant, request)
        let ref = try context.parameters.require("order_ref")
        guard let stored = try await engine.orders.find(ref: ref) else { throw Problem.notFound }
        let order = stored.order
        let text = { (minor: Int64) in Money(minorUnits: minor, currency: order.currency).decimalString }
        return try JSONResponse.make(
            StoredBody(
                orderRef: order.ref, customerEmail: order.customerEmail, postalCode: order.postalCode,
                customerId: order.customerID,
                orderedAt: order.orderedAt, deliveredAt: order.deliveredAt, currency: order.currency.code,
                region: order.region, paid: text(order.paidMinor),
                lines: order.lines.map {
                    StoredBody.Line(
                        lineId: $0.lineID, sku: $0.sku, productId: $0.productID, variantId: $0.variantID, title: $0.title,
                        quantity: $0.quantity, quantityReturned: stored.returned[$0.lineID] ?? 0,
                        unitPrice: text($0.unitPriceMinor), tax: $0.taxMinor.map(text), category: $0.category,
                        finalSale: $0.finalSale)
                }),
            headers: [.cacheControl: "no-store"])
    }

    /// An order from a JSON object, checked field by field as every other way in checks it.
    static func order(_ body: JSONBody) throws -> Order {
        do { return try OrderFields.order(json: body.fields) } catch {
            throw Problem.invalid(body.name(error.field), error.message)
        }
    }
}
