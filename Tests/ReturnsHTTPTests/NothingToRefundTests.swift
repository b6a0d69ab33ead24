import Foundation
import Hummingbird
import ReturnsCore
import ReturnsEngine
import ReturnsStore
@testable import ReturnsTestSupport
import Testing

/// Issue 15, item 6: a return with nothing to refund must not wait in refund_pending for a refund that never comes,
/// nor end in refund_failed with nothing for finance to retry. It closes, and the customer is told why.
@Suite("Nothing to refund")
struct NothingToRefundTests {
    static func outbox(_ api: API, _ id: UUID) async throws -> [String] {
        try await api.engine.rows(
            "SELECT template FROM outbox WHERE return_id = \(id) ORDER BY seq, id", as: (String.self)
        )
    }

    @Test("a partner grading every line to nothing closes the return with a nothing_to_refund mail, no refund row")
    func gradedToNothing() async throws {
        try await API.withRouter { api in
            let key = try await api.engine.accessKeys.addPartner(name: "acme-eu", region: "EU")
            let (id, token) = try await api.requestReturn(locale: "fr")
            let path = "/v1/partner/returns/\(id.uuidString.lowercased())"
            _ = try await api.send(
                .post, path + "/scans", json: #"{"kind": "picked_up", "tracking_number": "1Z999"}"#, key: key,
                idempotencyKey: "scan-1")
            let received = try await api.send(
                .post, path + "/receipt",
                json: #"{"items": [{"line": 1, "quantity_received": 1}, {"line": 2, "quantity_received": 2}]}"#, key: key,
                idempotencyKey: "r-1")
            #expect(received.json["state"] == .string("received"), "\(received.text)")
            let inspected = try await api.send(
                .post, path + "/inspection", json: #"{"items": [{"line": 1, "grade": "X"}, {"line": 2, "grade": "X"}]}"#,
                key: key, idempotencyKey: "i-1")
            #expect(inspected.status == .ok, "\(inspected.text)")
            #expect(inspected.json["state"] == .string("closed"), "\(inspected.text)")

            #expect(try await api.engine.count("SELECT count(*)::int FROM refunds WHERE return_id = \(id)") == 0)
            #expect(
                try await api.engine.count(
                    "SELECT count(*)::int FROM timers WHERE return_id = \(id) AND status = 'pending'") == 0)
            let history = try await api.engine.lookup.details(of: id).history
            #expect(history.suffix(2).map(\.event) == ["approve_refund", "nothing_to_refund"])
            #expect(history.last?.to == "closed")
            #expect(try await Self.outbox(api, id).last == "nothing_to_refund")
            #expect(try await !Self.outbox(api, id).contains("refund_delayed"))

            // The mail says so in the customer's language, with the status link.
            try await withSink { sink, url in
                let report = try await api.engine.dispatcher(WebhookChannel(url: url, secret: webhookSecret)).drain()
                #expect(report.failed == 0)
                let mail = try #require(
                    sink.deliveries.first { $0.returnID == id.uuidString.lowercased() && $0.template == "nothing_to_refund" })
                #expect(mail.locale == "fr")
                #expect(mail.text.contains("aucun remboursement"), "\(mail.text)")
                #expect(mail.text.contains("https://returns.example.com/status/\(token)"), "\(mail.text)")
                #expect(mail.statusURL == "https://returns.example.com/status/\(token)")
            }

            let status = try await api.send(.get, "/v1/status/\(token)")
            #expect(status.json["state"] == .string("closed"), "\(status.text)")

            // The same report again answers what it answered, and writes nothing.
            let events = history.count
            let again = try await api.send(
                .post, path + "/inspection", json: #"{"items": [{"line": 1, "grade": "X"}, {"line": 2, "grade": "X"}]}"#,
                key: key, idempotencyKey: "i-1")
            #expect(again.json["state"] == .string("closed"), "\(again.text)")
            #expect(try await api.engine.lookup.details(of: id).history.count == events)
        }
    }

    @Test("a keep-it return of a free item closes at once: no refund, no 'refund on its way' mail")
    func freeKeepIt() async throws {
        try await API.withRouter { api in
            try await api.engine.makeOrder("K-0", lines: ["GIFT-BAG:1:0.00"])
            let reply = try await api.send(
                .post, "/v1/returns",
                json: #"{"order_ref": "K-0", "email": "k-0@example.com", "lines": [{"order_line": "1", "quantity": 1}]}"#)
            #expect(reply.status == .created, "\(reply.text)")
            #expect(reply.json["workflow"] == .string("keep-it"))
            #expect(reply.json["state"] == .string("closed"), "\(reply.text)")
            let id = try #require(reply.json["id"]?.stringValue.flatMap(UUID.init(uuidString:)))
            #expect(try await api.engine.count("SELECT count(*)::int FROM refunds WHERE return_id = \(id)") == 0)
            #expect(try await Self.outbox(api, id) == ["nothing_to_refund"])
            #expect(
                try await api.engine.count(
                    "SELECT count(*)::int FROM timers WHERE return_id = \(id) AND status = 'pending'") == 0)
        }
    }
}
