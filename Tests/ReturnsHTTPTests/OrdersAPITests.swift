import Foundation
import Hummingbird
import ReturnsCore
import ReturnsEngine
@testable import ReturnsTestSupport
import Testing

@Suite("Orders of record over HTTP")
struct OrdersAPITests {
    static let order = #"""
        {"customer_email": "ana@example.com", "postal_code": "10115", "ordered_at": "2026-11-20T10:00:00Z",
         "delivered_at": "2026-11-24", "currency": "EUR", "region": "EU",
         "lines": [{"line_id": "1", "sku": "SHOE-42", "product_id": "P-1", "variant_id": "V-42", "title": "Runner 42",
                    "quantity": 2, "unit_price": "89.90", "tax": "14.35", "category": "shoes"},
                   {"line_id": "2", "sku": "SOCK-3P", "quantity": 1, "unit_price": "9.95", "final_sale": false}]}
        """#

    @Test("the fabricated anonymous request: no order, so 404, nothing written, nothing paid")
    func fabricatedRequest() async throws {
        try await API.withRouter { api in
            let typed = try await api.send(
                .post, "/v1/returns",
                json: #"{"order_ref": "FAKE-1", "customer_email": "nobody1@example.com", "items": [{"sku": "ANY", "quantity": 1, "unit_price": "9.99", "currency": "EUR", "reason": "damaged"}]}"#)
            #expect(typed.status == .badRequest)
            #expect(typed.text.contains("order of record"))
            let asked = try await api.send(
                .post, "/v1/returns",
                json: #"{"order_ref": "FAKE-1", "email": "nobody1@example.com", "lines": [{"order_line": "1", "quantity": 1, "reason": "damaged"}]}"#)
            #expect(asked.status == .notFound)
            #expect(asked.problem == "order-not-found")
            #expect(try await api.engine.count("SELECT count(*)::int FROM returns") == 0)
            #expect(try await api.engine.count("SELECT count(*)::int FROM refunds") == 0)
            #expect(try await api.engine.count("SELECT count(*)::int FROM ledger_payouts") == 0)
        }
    }

    @Test("a wrong email for a real order is the same 404 as an unknown order, byte for byte; guessing gets 429")
    func noOracle() async throws {
        try await API.withRouter { api in
            try await api.engine.makeOrder("R-1", email: "real@example.com")
            let ask = { (order: String, email: String) in
                try await api.send(
                    .post, "/v1/returns",
                    json: #"{"order_ref": "\#(order)", "email": "\#(email)", "lines": [{"order_line": "1", "quantity": 1}]}"#)
            }
            let wrongEmail = try await ask("R-1", "guess@example.com")
            let unknown = try await ask("R-404", "guess@example.com")
            #expect(wrongEmail.status == .notFound && unknown.status == .notFound)
            #expect(wrongEmail.text == unknown.text)
            #expect(wrongEmail.headers[.contentType] == unknown.headers[.contentType])
            // Five failures for one order, then every lookup of it is refused until the window ends, even a right one.
            for _ in 0..<4 { _ = try await ask("R-1", "guess@example.com") }
            let limited = try await ask("R-1", "real@example.com")
            #expect(limited.status == .tooManyRequests, "\(limited.text)")
            #expect(limited.problem == "too-many-lookups")
            let retry = try #require(limited.headers[.retryAfter].flatMap { Int($0) })
            // Until the five fall below the limit of the sliding fifteen minutes: within the next window.
            #expect((1...1800).contains(retry), "\(retry)")
            // The address is limited too (ten failures in all), whatever order it asks for next.
            for number in 0..<4 { _ = try await ask("X-\(number)", "guess@example.com") }
            try await api.engine.makeOrder("R-2", email: "two@example.com")
            #expect(try await ask("R-2", "two@example.com").status == .tooManyRequests)
            // Counted in the database, so every instance shares the limit.
            #expect(try await api.engine.count("SELECT sum(failures)::int FROM lookup_failures WHERE scope = 'address'") == 10)
            #expect(try await api.engine.count("SELECT count(*)::int FROM returns") == 0)
        }
    }

    @Test("an Idempotency-Key reused by another caller never answers with someone else's return")
    func keysScopedByOrder() async throws {
        try await API.withRouter { api in
            try await api.engine.makeOrder("S-1", email: "ana@example.com")
            try await api.engine.makeOrder("S-2", email: "eve@example.com")
            let body = { (order: String, email: String) in
                #"{"order_ref": "\#(order)", "email": "\#(email)", "lines": [{"order_line": "1", "quantity": 1}]}"#
            }
            let ana = try await api.send(.post, "/v1/returns", json: body("S-1", "ana@example.com"), idempotencyKey: "k-1")
            #expect(ana.status == .created)
            // The same key for Ana's order without her email: the order is not found, no token leaks.
            let guessed = try await api.send(.post, "/v1/returns", json: body("S-1", "eve@example.com"), idempotencyKey: "k-1")
            #expect(guessed.status == .notFound)
            #expect(!guessed.text.contains(try #require(ana.json["status_token"]?.stringValue)))
            // The same key for Eve's own order is Eve's own request: a new return, not Ana's.
            let eve = try await api.send(.post, "/v1/returns", json: body("S-2", "eve@example.com"), idempotencyKey: "k-1")
            #expect(eve.status == .created)
            #expect(eve.json["id"] != ana.json["id"] && eve.json["status_token"] != ana.json["status_token"])
        }
    }

    @Test("merchant, partner, finance and no key on the order routes: 200, 403, 403, 401")
    func roles() async throws {
        try await API.withRouter { api in
            let merchant = try await api.engine.accessKeys.addKey(role: .merchant, name: "shop")
            let finance = try await api.engine.accessKeys.addKey(role: .finance, name: "fin")
            let partner = try await api.engine.accessKeys.addPartner(name: "acme", region: nil)
            let created = try await api.send(.put, "/v1/orders/O-1", json: Self.order, key: merchant)
            #expect(created.status == .created, "\(created.text)")
            #expect(try await api.send(.get, "/v1/orders/O-1", key: merchant).status == .ok)
            for key in [partner, finance] {
                #expect(try await api.send(.put, "/v1/orders/O-1", json: Self.order, key: key).status == .forbidden)
                #expect(try await api.send(.get, "/v1/orders/O-1", key: key).status == .forbidden)
            }
            #expect(try await api.send(.put, "/v1/orders/O-1", json: Self.order).status == .unauthorized)
            #expect(try await api.send(.get, "/v1/orders/O-1").status == .unauthorized)
            #expect(try await api.send(.post, "/v1/orders/bulk", json: #"{"orders": []}"#, key: partner).status == .forbidden)
        }
    }

    @Test("an upsert is idempotent, and a change below what returns hold is refused with 409")
    func upsert() async throws {
        try await API.withRouter { api in
            let merchant = try await api.engine.accessKeys.addKey(role: .merchant, name: "shop")
            let first = try await api.send(.put, "/v1/orders/O-2", json: Self.order, key: merchant)
            #expect(first.status == .created)
            #expect(first.json["paid"] == .string("189.75"))
            let again = try await api.send(.put, "/v1/orders/O-2", json: Self.order, key: merchant)
            #expect(again.status == .ok)
            #expect(again.json["result"] == .string("unchanged"))
            let stored = try await api.send(.get, "/v1/orders/O-2", key: merchant)
            #expect(stored.text.contains(#""unit_price":"89.90""#) && stored.text.contains(#""tax":"14.35""#))

            // Return both shoes, then try to say only one was ordered, or drop the line.
            let returned = try await api.send(
                .post, "/v1/returns",
                json: #"{"order_ref": "O-2", "postal_code": "10 115", "lines": [{"order_line": "1", "quantity": 2}]}"#)
            #expect(returned.status == .created, "\(returned.text)")
            let fewer = Self.order.replacingOccurrences(of: #""quantity": 2"#, with: #""quantity": 1"#)
            let below = try await api.send(.put, "/v1/orders/O-2", json: fewer, key: merchant)
            #expect(below.status == .conflict, "\(below.text)")
            #expect(below.problem == "order-conflict")
            let dropped = #"{"customer_email": "ana@example.com", "ordered_at": "2026-11-20T10:00:00Z", "currency": "EUR", "lines": [{"line_id": "2", "sku": "SOCK-3P", "quantity": 1, "unit_price": "9.95"}]}"#
            #expect(try await api.send(.put, "/v1/orders/O-2", json: dropped, key: merchant).status == .conflict)
            let otherCurrency = Self.order.replacingOccurrences(of: #""currency": "EUR""#, with: #""currency": "USD""#)
            #expect(try await api.send(.put, "/v1/orders/O-2", json: otherCurrency, key: merchant).status == .conflict)
            #expect(try await api.engine.count("SELECT quantity FROM order_lines WHERE line_id = '1'") == 2)
            #expect(try await api.engine.count("SELECT count(*)::int FROM order_lines") == 2)

            // Bad documents name the field; nothing is written.
            let negative = Self.order.replacingOccurrences(of: #""unit_price": "9.95""#, with: #""unit_price": "-9.95""#)
            let refused = try await api.send(.put, "/v1/orders/O-3", json: negative, key: merchant)
            #expect(refused.status == .badRequest)
            #expect(refused.json["field"] == .string("lines[1].unit_price"), "\(refused.text)")
            #expect(try await api.engine.count("SELECT count(*)::int FROM orders") == 1)
        }
    }

    @Test("a bulk upsert writes every order or none")
    func bulk() async throws {
        try await API.withRouter { api in
            let merchant = try await api.engine.accessKeys.addKey(role: .merchant, name: "shop")
            let line = #""lines": [{"line_id": "1", "sku": "S", "quantity": 1, "unit_price": "5.00"}]"#
            let good = #"{"order_ref": "B-1", "customer_email": "b@example.com", "ordered_at": "2026-11-20", "currency": "EUR", \#(line)}"#
            let bad = #"{"order_ref": "B-2", "customer_email": "b@example.com", "ordered_at": "someday", "currency": "EUR", \#(line)}"#
            let refused = try await api.send(.post, "/v1/orders/bulk", json: #"{"orders": [\#(good), \#(bad)]}"#, key: merchant)
            #expect(refused.status == .badRequest)
            #expect(refused.json["field"] == .string("orders[1].ordered_at"), "\(refused.text)")
            #expect(try await api.engine.count("SELECT count(*)::int FROM orders") == 0)
            let written = try await api.send(.post, "/v1/orders/bulk", json: #"{"orders": [\#(good)]}"#, key: merchant)
            #expect(written.status == .ok)
            #expect(written.text.contains(#""result":"created""#))
        }
    }
}
