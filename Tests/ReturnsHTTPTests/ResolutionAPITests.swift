import Foundation
import Hummingbird
import ReturnsCore
import ReturnsEngine
@testable import ReturnsTestSupport
import Testing

@Suite("Resolutions over HTTP: the catalog, a customer's choice, store credit spent by the shop")
struct ResolutionAPITests {
    static let variant = #"""
        {"product_id": "P-SHIRT", "title": "Oxford shirt", "attributes": {"size": "M"}, "price": "55.00",
         "currency": "EUR", "on_hand": 1}
        """#

    @Test("a merchant puts a variant (again: unchanged); a bad one is 400 naming the field; others get 401/403")
    func catalogRoutes() async throws {
        try await API.withRouter { api in
            let merchant = try await api.engine.accessKeys.addKey(role: .merchant, name: "shop")
            let finance = try await api.engine.accessKeys.addKey(role: .finance, name: "books")
            let created = try await api.send(.put, "/v1/catalog/SHIRT-M", json: Self.variant, key: merchant)
            #expect(created.status == .created, "\(created.text)")
            #expect(created.json["result"]?.stringValue == "created")
            let again = try await api.send(.put, "/v1/catalog/SHIRT-M", json: Self.variant, key: merchant)
            #expect(again.status == .ok && again.json["result"]?.stringValue == "unchanged")
            let bad = try await api.send(
                .put, "/v1/catalog/SHIRT-X", json: #"{"product_id": "P-SHIRT", "price": "5.555", "currency": "EUR", "on_hand": 1}"#,
                key: merchant)
            #expect(bad.status == .badRequest && bad.text.contains("price"))
            #expect(try await api.send(.put, "/v1/catalog/SHIRT-M", json: Self.variant).status == .unauthorized)
            #expect(try await api.send(.put, "/v1/catalog/SHIRT-M", json: Self.variant, key: finance).status == .forbidden)
            let shown = try await api.send(.get, "/v1/catalog/SHIRT-M", key: merchant)
            #expect(shown.json["held"] == .number(0) && shown.json["on_hand"] == .number(1))
            #expect(try await api.engine.count("SELECT count(*)::int FROM catalog_variants") == 1)
        }
    }

    @Test("a customer asks for an exchange and store credit; the status shows each line; the second exchange of the last unit is 409")
    func customerChooses() async throws {
        try await API.withRouter { api in
            let merchant = try await api.engine.accessKeys.addKey(role: .merchant, name: "shop")
            _ = try await api.send(.put, "/v1/catalog/SHIRT-M", json: Self.variant, key: merchant)
            try await api.engine.makeOrder("H-1", lines: ["SHIRT-S:1:60.00:general:P-SHIRT", "TIE-1:1:30.00"])
            try await api.engine.makeOrder("H-2", lines: ["SHIRT-S:1:60.00:general:P-SHIRT"])
            let asked = try await api.send(
                .post, "/v1/returns",
                json: #"""
                    {"order_ref": "H-1", "email": "h-1@example.com", "lines": [
                      {"order_line": "1", "quantity": 1, "resolution": "exchange", "exchange_sku": "SHIRT-M"},
                      {"order_line": "2", "quantity": 1, "resolution": "store_credit"}]}
                    """#)
            #expect(asked.status == .created, "\(asked.text)")
            let token = try #require(asked.json["status_token"]?.stringValue)
            let status = try await api.send(.get, "/v1/status/\(token)")
            guard case .array(let lines)? = status.json["lines"] else {
                Issue.record("no lines in \(status.text)")
                return
            }
            #expect(lines.count == 2)
            #expect(status.text.contains(#""resolution":"exchange""#) && status.text.contains(#""exchange_sku":"SHIRT-M""#))
            #expect(status.text.contains(#""resolution":"store_credit""#))
            let page = try await api.send(.get, "/status/\(token)")
            #expect(page.text.contains("Exchange for SHIRT-M") && page.text.contains("Store credit"))
            // The last unit is promised: the next customer hears so, and nothing of theirs is written.
            let second = try await api.send(
                .post, "/v1/returns",
                json: #"{"order_ref": "H-2", "email": "h-2@example.com", "lines": [{"order_line": "1", "quantity": 1, "resolution": "exchange", "exchange_sku": "SHIRT-M"}]}"#)
            #expect(second.status == .conflict && second.problem == "not-available", "\(second.text)")
            let unknown = try await api.send(
                .post, "/v1/returns",
                json: #"{"order_ref": "H-2", "email": "h-2@example.com", "lines": [{"order_line": "1", "quantity": 1, "resolution": "cash"}]}"#)
            #expect(unknown.status == .badRequest && unknown.text.contains("lines[0].resolution"))
            #expect(try await api.engine.count("SELECT count(*)::int FROM returns") == 1)
        }
    }

    @Test("the shop spends store credit: once per key, never below zero")
    func debits() async throws {
        try await API.withRouter { api in
            let merchant = try await api.engine.accessKeys.addKey(role: .merchant, name: "shop")
            _ = try await api.engine.credits.adjust(
                "ann@example.com", amount: Money(minorUnits: 2_000, currency: try Currency(code: "EUR")),
                reason: "goodwill", idempotencyKey: "seed", actor: "test")
            let spend = #"{"amount": "15.00", "currency": "EUR"}"#
            let first = try await api.send(
                .post, "/v1/credits/Ann@Example.com/debits", json: spend, key: merchant, idempotencyKey: "order-77")
            #expect(first.status == .created && first.json["balance"]?.stringValue == "5.00", "\(first.text)")
            let repeated = try await api.send(
                .post, "/v1/credits/ann@example.com/debits", json: spend, key: merchant, idempotencyKey: "order-77")
            #expect(repeated.json["balance"]?.stringValue == "5.00")
            let tooMuch = try await api.send(
                .post, "/v1/credits/ann@example.com/debits", json: spend, key: merchant, idempotencyKey: "order-78")
            #expect(tooMuch.status == .conflict && tooMuch.text.contains("5.00"))
            let noKey = try await api.send(.post, "/v1/credits/ann@example.com/debits", json: spend, key: merchant)
            #expect(noKey.status == .badRequest)
            let balance = try await api.send(.get, "/v1/credits/ann@example.com", key: merchant)
            #expect(balance.status == .ok && balance.text.contains(#""EUR":"5.00""#), "\(balance.text)")
        }
    }
}
