import Foundation
import Hummingbird
import ReturnsCore
import ReturnsEngine
@testable import ReturnsTestSupport
import Testing

@Suite("Customer API and status page")
struct CustomerAPITests {
    @Test("a request is routed, assigned to the region's partner, and its label issued at once")
    func request() async throws {
        try await API.withRouter { api in
            _ = try await api.engine.accessKeys.addPartner(name: "us-east", region: "US")
            _ = try await api.engine.accessKeys.addPartner(name: "eu-central", region: "EU")
            let (id, token) = try await api.requestReturn(region: "EU")
            let partner = try await api.engine.rows(
                "SELECT p.name FROM returns r JOIN partners p ON p.id = r.partner_id WHERE r.id = \(id)", as: (String.self))
            #expect(partner == ["eu-central"])
            let status = try await api.send(.get, "/v1/status/\(token)")
            #expect(status.status == .ok)
            #expect(status.json["state"] == .string("label_issued"))
            #expect(status.json["can_cancel"] == .bool(true))
            #expect(status.json["expected_by"]?.stringValue != nil)
            // The status shows no more than the customer knows: no partner, no email, no internal actors.
            #expect(!status.text.contains("eu-central") && !status.text.contains("a-1001@example.com"))
            #expect(!status.text.contains("policy"))
        }
    }

    @Test("a request below the keep-it threshold is refunded at once, without a shipment or a partner")
    func keepIt() async throws {
        try await API.withRouter { api in
            _ = try await api.engine.accessKeys.addPartner(name: "acme", region: nil)
            try await api.engine.makeOrder("K-1", lines: ["CASE:1:7.99"])
            let reply = try await api.send(
                .post, "/v1/returns",
                json: #"{"order_ref": "K-1", "email": "K-1@EXAMPLE.com", "lines": [{"order_line": "1", "quantity": 1}]}"#)
            #expect(reply.json["workflow"] == .string("keep-it"))
            #expect(reply.json["state"] == .string("refund_pending"))
            let id = try #require(reply.json["id"]?.stringValue.flatMap(UUID.init(uuidString:)))
            #expect(try await api.engine.count("SELECT count(*)::int FROM refunds WHERE return_id = \(id) AND amount_minor = 799") == 1)
            #expect(try await api.engine.count("SELECT count(*)::int FROM returns WHERE id = \(id) AND partner_id IS NULL") == 1)
        }
    }

    @Test("a repeated Idempotency-Key on a request answers 200 with the same return")
    func repeatedRequest() async throws {
        try await API.withRouter { api in
            try await api.engine.makeOrder("B-1", currency: "USD", lines: ["HAT:1:25.00"])
            let body = #"{"order_ref": "B-1", "email": "b-1@example.com", "lines": [{"order_line": "1", "quantity": 1}]}"#
            let first = try await api.send(.post, "/v1/returns", json: body, idempotencyKey: "req-1")
            let second = try await api.send(.post, "/v1/returns", json: body, idempotencyKey: "req-1")
            #expect(first.status == .created)
            #expect(second.status == .ok)
            #expect(first.json["id"] == second.json["id"])
            #expect(try await api.engine.count("SELECT count(*)::int FROM returns") == 1)
        }
    }

    @Test("the customer cancels before shipping; twice is fine; after shipping it is refused")
    func cancel() async throws {
        try await API.withRouter { api in
            let (_, token) = try await api.requestReturn()
            let cancelled = try await api.send(.post, "/v1/status/\(token)/cancel")
            #expect(cancelled.status == .ok)
            #expect(cancelled.json["state"] == .string("cancelled"))
            #expect(try await api.send(.post, "/v1/status/\(token)/cancel").json["state"] == .string("cancelled"))

            let (id, shippedToken) = try await api.requestReturn(order: "A-2")
            _ = try await api.engine.transitions.apply("ship", to: id, actor: "test", data: ["tracking_number": .string("1Z")])
            let refused = try await api.send(.post, "/v1/status/\(shippedToken)/cancel")
            #expect(refused.status == .conflict)
            #expect(refused.problem == "event-not-allowed")
            #expect(try await api.send(.post, "/v1/status/not-a-token/cancel").status == .notFound)
        }
    }

    @Test("the status page in German and Japanese, and a plain 404 page for an unknown token")
    func statusPage() async throws {
        try await API.withRouter { api in
            let (_, german) = try await api.requestReturn(locale: "de")
            var browser = API.Browser(api)
            let page = try await browser.get("/status/\(german)")
            #expect(page.status == .ok)
            #expect(page.headers[.contentType] == "text/html; charset=utf-8")
            #expect(page.text.contains("<html lang=\"de\" dir=\"ltr\">"))
            #expect(page.text.contains("Ihre Rücksendung"))
            #expect(page.text.contains("Ihr frankiertes Rücksendeetikett ist bereit"))
            #expect(page.text.contains("name=\"viewport\""))
            #expect(!page.text.contains("<script"))
            #expect(page.text.contains("action=\"/status/\(german)/cancel\""))
            // One <main> landmark holds the content; every <time> names its moment machine-readably.
            #expect(page.text.components(separatedBy: "<main ").count == 2 && page.text.contains("</main>"))
            let times = page.text.components(separatedBy: "<time").dropFirst()
            #expect(!times.isEmpty)
            let stamp = try Regex(#"^ datetime="\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}Z)?">"#)
            #expect(times.allSatisfy { $0.prefixMatch(of: stamp) != nil }, "\(Array(times))")

            let (_, japanese) = try await api.requestReturn(order: "J-1", locale: "ja")
            let ja = try await api.send(.get, "/status/\(japanese)")
            #expect(ja.text.contains("<html lang=\"ja\" dir=\"ltr\">"))
            #expect(ja.text.contains("返品状況"))

            let missing = try await api.send(.get, "/status/unknown-token", headers: [.acceptLanguage: "fr-FR,fr;q=0.9"])
            #expect(missing.status == .notFound)
            #expect(missing.text.contains("Retour introuvable"))
            #expect(!missing.text.contains("problem"))
            #expect(missing.text.contains("<main "))

            // The page's cancel button posts back with the form token and lands on the page again; without the
            // token (a form posted from another site) nothing changes.
            let forged = try await browser.post("/status/\(german)/cancel", [("locale", "de")], token: false)
            #expect(forged.status == .forbidden)
            #expect(forged.text.contains("Bitte versuchen Sie es erneut"), "\(forged.text)")
            #expect(try await api.engine.customers.status(token: german)?.state == "label_issued")
            let cancelled = try await browser.post("/status/\(german)/cancel", [("locale", "de")])
            #expect(cancelled.status == .seeOther)
            #expect(cancelled.headers[.location] == "/status/\(german)?notice=cancelled&lang=de")
            let after = try await browser.get("/status/\(german)")
            #expect(after.text.contains("Sie haben diese Rücksendung storniert"))
        }
    }

    /// Bad requests and what each must answer; none may write anything. Order A has a shoe (line 1), a gift card
    /// (line 2) and a final-sale scarf (line 3).
    static let badRequests: [(name: String, body: String, contentType: String, status: Int, field: String?)] = [
        ("missing order", #"{"email": "a@example.com", "lines": [{"order_line": "1", "quantity": 1}]}"#, "application/json", 400, "order_ref"),
        ("malformed JSON", #"{"order_ref": "A", "#, "application/json", 400, nil),
        ("unknown field", #"{"order_ref": "A", "email": "a@example.com", "colour": "red", "lines": []}"#, "application/json", 400, "colour"),
        ("prices typed by the caller", #"{"order_ref": "A", "customer_email": "a@example.com", "items": [{"sku": "S", "quantity": 1, "unit_price": "1.00", "currency": "EUR"}]}"#, "application/json", 400, "customer_email"),
        ("no proof", #"{"order_ref": "A", "lines": [{"order_line": "1", "quantity": 1}]}"#, "application/json", 400, "email"),
        ("negative quantity", #"{"order_ref": "A", "email": "a@example.com", "lines": [{"order_line": "1", "quantity": -1}]}"#, "application/json", 400, "lines[0].quantity"),
        ("no such line", #"{"order_ref": "A", "email": "a@example.com", "lines": [{"order_line": "9", "quantity": 1}]}"#, "application/json", 400, "lines[0].order_line"),
        ("more than ordered", #"{"order_ref": "A", "email": "a@example.com", "lines": [{"order_line": "1", "quantity": 2}]}"#, "application/json", 409, nil),
        ("unknown reason code", #"{"order_ref": "A", "email": "a@example.com", "lines": [{"order_line": "1", "quantity": 1, "reason": "bored"}]}"#, "application/json", 422, nil),
        ("wrong content type", #"{"order_ref": "A"}"#, "text/plain", 415, "Content-Type"),
        ("non-returnable category", #"{"order_ref": "A", "email": "a@example.com", "lines": [{"order_line": "2", "quantity": 1}]}"#, "application/json", 422, nil),
        ("final sale", #"{"order_ref": "A", "email": "a@example.com", "lines": [{"order_line": "3", "quantity": 1}]}"#, "application/json", 422, nil),
    ]

    @Test("bad input gets a 4xx naming the field, and nothing is written", arguments: 0..<badRequests.count)
    func badInput(_ index: Int) async throws {
        let case_ = Self.badRequests[index]
        try await API.withRouter { api in
            try await api.engine.makeOrder(
                "A", email: "a@example.com", lines: ["SHOE:1:89.90", "GC:1:50.00:gift_card", "SCARF:1:19.00"],
                finalSale: ["3"])
            let reply = try await api.send(
                .post, "/v1/returns", json: case_.body, headers: [.contentType: case_.contentType])
            #expect(reply.status.code == case_.status, "\(case_.name): \(reply.text)")
            #expect(reply.headers[.contentType] == "application/problem+json", "\(case_.name)")
            if let field = case_.field { #expect(reply.json["field"] == .string(field), "\(case_.name): \(reply.text)") }
            #expect(try await api.engine.count("SELECT count(*)::int FROM returns") == 0)
            #expect(try await api.engine.count("SELECT sum(quantity_returned)::int FROM order_lines") == 0)
        }
    }

    @Test("a 10 MB body is refused with 413 and invalid UTF-8 with 400")
    func oversizedAndInvalidBodies() async throws {
        try await API.withRouter { api in
            let huge = ByteBuffer(repeating: UInt8(ascii: "a"), count: 10 * 1024 * 1024)
            let tooLarge = try await api.send(.post, "/v1/returns", json: "", body: huge)
            #expect(tooLarge.status == .contentTooLarge)
            #expect(tooLarge.problem == "body-too-large")
            var invalid = ByteBuffer(string: #"{"order_ref": ""#)
            invalid.writeBytes([0xFF, 0xFE])
            invalid.writeString(#"", "customer_email": "a@example.com", "items": []}"#)
            let notUTF8 = try await api.send(.post, "/v1/returns", json: "", body: invalid)
            #expect(notUTF8.status == .badRequest)
            #expect(notUTF8.problem == "malformed-json")
            #expect(try await api.engine.count("SELECT count(*)::int FROM returns") == 0)
        }
    }

    @Test("an order reference hiding a link behind U+0600 shows on the status page as text, not as a link")
    func combiningMarksOnThePage() async throws {
        try await API.withRouter { api in
            let attack = "\u{0600}<a href=https://evil.example/\u{0600}>Claim refund\u{0600}</a \u{0600}>"
            try await api.engine.makeOrder(attack, email: "m@example.com", lines: ["SHOE:1:89.90"])
            let body = try JSONEncoder().encode(["order_ref": attack, "email": "m@example.com"])
            var json = String(decoding: body, as: UTF8.self)
            json.removeLast()
            json += #", "lines": [{"order_line": "1", "quantity": 1}]}"#
            let reply = try await api.send(.post, "/v1/returns", json: json)
            #expect(reply.status == .created, "\(reply.text.prefix(300))")
            let token = try #require(reply.json["status_token"]?.stringValue)
            let page = try await api.send(.get, "/status/\(token)")
            #expect(page.status == .ok)
            // Searched as scalars: as Characters, U+0600 and "<" are one and a live link would not be found.
            let scalars = Array(page.text.unicodeScalars)
            let link = Array("<a href=https://evil.example/".unicodeScalars)
            #expect(!scalars.indices.contains { scalars[$0...].starts(with: link) })
            #expect(page.text.contains("&lt;a href=https://evil.example/"))
        }
    }

    @Test("an order whose email would add a mail header is refused with 400, and nothing is written")
    func headerInjection() async throws {
        try await API.withRouter { api in
            let merchant = try await api.engine.accessKeys.addKey(role: .merchant, name: "shop")
            for address in ["x\r\nBcc:evil@attacker.com", "x@example.com\r\nBcc: evil@attacker.com", "x@example.com\n"] {
                let body = try JSONEncoder().encode(["customer_email": address, "ordered_at": "2026-11-02", "currency": "EUR"])
                var json = String(decoding: body, as: UTF8.self)
                json.removeLast()
                json += #", "lines": [{"line_id": "1", "sku": "SHOE", "quantity": 1, "unit_price": "89.90"}]}"#
                let reply = try await api.send(.put, "/v1/orders/H-1", json: json, key: merchant)
                #expect(reply.status == .badRequest)
                #expect(reply.json["field"] == .string("customer_email"), "\(reply.text)")
                #expect(!reply.text.contains("\r\nBcc") && !reply.text.contains("\nBcc"))
            }
            #expect(try await api.engine.count("SELECT count(*)::int FROM orders") == 0)
            #expect(try await api.engine.count("SELECT count(*)::int FROM outbox") == 0)
        }
    }
}
