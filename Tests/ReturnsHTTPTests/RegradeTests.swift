import Foundation
import Hummingbird
import ReturnsCore
import ReturnsEngine
import ReturnsStore
@testable import ReturnsTestSupport
import Testing

/// Issue 15, item 5: a judged (graded) unit is not judged again by another inspection report, and a receipt of
/// nothing is refused, so a second parcel cannot turn a wrong_item into a refund.
@Suite("A graded unit is not graded again")
struct RegradeTests {
    @Test("wrong_item, then a second parcel: regrading line 1 is refused with nothing written; the new unit alone is refunded")
    func regradeRefused() async throws {
        try await API.withRouter { api in
            let key = try await api.engine.accessKeys.addPartner(name: "acme-eu", region: "EU")
            // Line 1: one shoe at 89.90; line 2: two pairs of socks at 9.95.
            let (id, _) = try await api.requestReturn()
            let path = "/v1/partner/returns/\(id.uuidString.lowercased())"
            func send(_ step: String, _ json: String, _ key2: String) async throws -> API.Reply {
                try await api.send(.post, path + step, json: json, key: key, idempotencyKey: key2)
            }
            _ = try await send("/scans", #"{"kind": "picked_up", "tracking_number": "1Z999"}"#, "scan-1")
            let first = try await send(
                "/receipt", #"{"items": [{"line": 1, "quantity_received": 1}, {"line": 2, "quantity_received": 1}]}"#,
                "receipt-1")
            #expect(first.json["state"] == .string("received"), "\(first.text)")
            let judged = try await send(
                "/inspection", #"{"items": [{"line": 1, "grade": "wrong_item"}, {"line": 2, "grade": "A"}]}"#,
                "inspection-1")
            #expect(judged.json["state"] == .string("refund_pending"), "\(judged.text)")
            #expect(try await api.engine.refunds.sendDue(through: LedgerProvider(database: api.engine.database)).paid == 1)
            #expect(try await api.engine.lookup.details(of: id).record.state == "refunded")
            let paidFirst = try await api.engine.lookup.details(of: id).refunds.map(\.amountMinor)

            // A receipt of nothing is refused.
            let empty = try await send("/receipt", #"{"items": [{"line": 1, "quantity_received": 0}]}"#, "receipt-0")
            #expect(empty.status == .badRequest, "\(empty.text)")

            // The second parcel: the other pair of socks.
            let second = try await send("/receipt", #"{"items": [{"line": 2, "quantity_received": 1}]}"#, "receipt-2")
            #expect(second.json["state"] == .string("received"), "\(second.text)")
            func snapshot() async throws -> [Int] {
                [
                    try await api.engine.count("SELECT count(*)::int FROM return_events WHERE return_id = \(id)"),
                    try await api.engine.count("SELECT count(*)::int FROM refunds WHERE return_id = \(id)"),
                    try await api.engine.count("SELECT count(*)::int FROM inventory_outbox WHERE return_id = \(id)"),
                    try await api.engine.count("SELECT count(*)::int FROM outbox WHERE return_id = \(id)"),
                    try await api.engine.count(
                        "SELECT count(*)::int FROM timers WHERE return_id = \(id) AND status = 'pending'"),
                    try await api.engine.count(
                        "SELECT coalesce(sum(quantity_graded * 10 + quantity_written_off), 0)::int FROM return_items WHERE return_id = \(id)"),
                ]
            }
            let before = try await snapshot()
            for body in [
                #"{"items": [{"line": 1, "grade": "A"}]}"#,
                #"{"items": [{"line": 2, "grade": "A"}, {"line": 1, "grade": "A"}]}"#,
                #"{"items": [{"line": 2, "grade": "A"}, {"line": 2, "grade": "B"}]}"#,
            ] {
                let regraded = try await send("/inspection", body, "inspection-\(body.hashValue)")
                #expect(regraded.status == .badRequest, "\(body): \(regraded.text)")
                #expect(regraded.text.contains("line 1") || regraded.text.contains("twice"), "\(regraded.text)")
                #expect(try await snapshot() == before, "\(body)")
            }
            #expect(try await api.engine.lookup.details(of: id).record.state == "received")

            // The new unit is judged on its own: one pair of socks, nothing for the shoe judged wrong_item.
            let judgedAgain = try await send("/inspection", #"{"items": [{"line": 2, "grade": "A"}]}"#, "inspection-2")
            #expect(judgedAgain.json["state"] == .string("refund_pending"), "\(judgedAgain.text)")
            let refunds = try await api.engine.lookup.details(of: id).refunds.map(\.amountMinor)
            #expect(refunds.count == 2)
            #expect(Set(refunds).subtracting(paidFirst) == [995], "\(refunds)")
            let items = try await api.engine.lookup.details(of: id).items
            #expect(items.map(\.refunded) == [0, 2])
            // No unit of the shoe goes back to stock.
            #expect(
                try await api.engine.count(
                    "SELECT count(*)::int FROM inventory_outbox WHERE return_id = \(id) AND line = 1") == 0)
        }
    }
}
