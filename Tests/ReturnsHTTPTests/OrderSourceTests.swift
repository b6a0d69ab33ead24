import Foundation
import Hummingbird
import HummingbirdTesting
import ReturnsCore
import ReturnsEngine
@testable import ReturnsTestSupport
import Testing

@Suite("The order lookup provider")
struct OrderSourceTests {
    static let secret = "lookup-secret"

    static func order(ref: String, price: String = "89.90", currency: String = "EUR") -> String {
        #"{"order_ref": "\#(ref)", "customer_email": "ana@example.com", "ordered_at": "2026-11-28", "currency": "\#(currency)", "lines": [{"line_id": "1", "sku": "SHOE", "quantity": 1, "unit_price": "\#(price)"}]}"#
    }

    /// A shop's order system on loopback: a good order, a slow one, a failing one, lying ones, a miss.
    static func withShop<T: Sendable>(_ body: @Sendable (URL) async throws -> T) async throws -> T {
        let router = Router()
        router.get("/orders/{ref}") { request, context -> Response in
            let ref = try context.parameters.require("ref")
            let signed = request.headers[HTTPFields.Element.Name("Returns-Signature")!].map {
                WebhookSignature.verify(header: $0, body: Data("GET /orders/\(ref)".utf8), secret: secret)
            }
            guard signed == true else { return Response(status: .unauthorized) }
            let json = { (text: String) in
                Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: text)))
            }
            switch ref {
            case "GOOD-1": return json(order(ref: ref))
            case "SLOW-1":
                try await Task.sleep(for: .seconds(12))
                return json(order(ref: ref))
            case "FAIL-1": return Response(status: .internalServerError)
            case "NEGATIVE-1": return json(order(ref: ref, price: "-89.90"))
            case "CURRENCY-1": return json(order(ref: ref, currency: "EURO"))
            case "OTHER-1": return json(order(ref: "SOMEONE-ELSES"))
            default: return Response(status: .notFound)
            }
        }
        router.get("/catalog/{sku}") { request, context -> Response in
            let sku = try context.parameters.require("sku")
            let signed = request.headers[HTTPFields.Element.Name("Returns-Signature")!].map {
                WebhookSignature.verify(header: $0, body: Data("GET /catalog/\(sku)".utf8), secret: secret)
            }
            guard signed == true else { return Response(status: .unauthorized) }
            let json = { (text: String) in
                Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: text)))
            }
            switch sku {
            case "SHOE-43": return json(#"{"product_id": "P-SHOE", "attributes": {"size": "43"}, "price": "89.90", "currency": "EUR", "on_hand": 2}"#)
            case "SHOE-44": return json(#"{"product_id": "P-SHOE", "price": "-1.00", "currency": "EUR", "on_hand": 2}"#)
            default: return Response(status: .notFound)
            }
        }
        return try await Application(router: router).test(.live) { client in
            try await body(URL(string: "http://127.0.0.1:\(try #require(client.port))")!)
        }
    }

    @Test("an order missing locally is fetched, checked and stored; a slow, failing or lying adapter stores nothing")
    func adapter() async throws {
        try await Self.withShop { base in
            // 6 s: under the slow order's 12 s, and room for the good ones when the whole suite loads both cores.
            let source = HTTPOrderSource(base: base, secret: Self.secret, timeout: 6, attempts: 2)
            try await TestDatabase.withEngine(orderSource: source) { engine in
                let ask = { (ref: String) in
                    try await engine.transitions.create(
                        from: ReturnFromOrder(
                            orderRef: ref, proof: .email("ana@example.com"), lines: [.init(orderLine: "1", quantity: 1)]))
                }
                let created = try await ask("GOOD-1")
                #expect(created.state == "label_issued")
                #expect(try await engine.count("SELECT count(*)::int FROM orders WHERE order_ref = 'GOOD-1'") == 1)
                #expect(try await engine.count("SELECT unit_price_minor::int FROM return_items") == 8_990)

                for (ref, words, timedOut) in [
                    ("SLOW-1", "no answer within 6", true), ("FAIL-1", "answered HTTP 500", false),
                    ("NEGATIVE-1", "must not be negative", false), ("CURRENCY-1", "ISO 4217", false),
                    ("OTHER-1", "another order (SOMEONE-ELSES)", false),
                ] {
                    do {
                        _ = try await ask(ref)
                        Issue.record("\(ref) was accepted")
                    } catch let error as EngineError {
                        guard case .orderSourceFailed(let detail, let late) = error else {
                            Issue.record("\(ref): \(error)")
                            continue
                        }
                        #expect(detail.contains(words), "\(ref): \(detail)")
                        #expect(late == timedOut, "\(ref)")
                    }
                }
                // A miss in the shop is a miss here: the same 404 as any unknown order.
                await #expect(throws: EngineError.orderNotFound) { try await ask("MISSING-1") }
                #expect(try await engine.count("SELECT count(*)::int FROM orders") == 1)
                #expect(try await engine.count("SELECT count(*)::int FROM returns") == 1)
            }
        }
    }

    @Test("a catalog variant missing locally is fetched from the same adapter, checked and stored; a bad one is refused")
    func catalogAdapter() async throws {
        try await Self.withShop { base in
            // Nothing here is slow: a timeout with room for a busy suite.
            let lookup = ShopLookup(base: base, secret: Self.secret, timeout: 10, attempts: 1)
            try await TestDatabase.withEngine(
                orderSource: HTTPOrderSource(lookup: lookup), catalogSource: HTTPCatalogSource(lookup: lookup)
            ) { engine in
                try await engine.makeOrder("X-1", email: "ana@example.com", lines: ["SHOE-42:1:89.90:shoes:P-SHOE"])
                let ask = { (sku: String) in
                    try await engine.transitions.create(
                        from: ReturnFromOrder(
                            orderRef: "X-1", proof: .email("ana@example.com"),
                            lines: [.init(orderLine: "1", quantity: 1, resolution: .exchange, exchangeSKU: sku)]))
                }
                await #expect(throws: EngineError.self) { try await ask("SHOE-44") }
                await #expect(throws: EngineError.self) { try await ask("SHOE-99") }
                #expect(try await engine.count("SELECT count(*)::int FROM catalog_variants") == 0)
                _ = try await ask("SHOE-43")
                let stored = try #require(try await engine.exchangeCatalog.find(sku: "SHOE-43"))
                #expect(stored.variant.attributes == ["size": "43"] && stored.held == 1 && stored.variant.onHand == 2)
            }
        }
    }
}
