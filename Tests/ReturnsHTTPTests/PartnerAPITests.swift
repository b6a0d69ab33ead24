import Foundation
import Hummingbird
import ReturnsCore
import ReturnsEngine
import ReturnsStore
@testable import ReturnsTestSupport
import Testing

@Suite("Partner API")
struct PartnerAPITests {
    @Test(
        "a refused inspection report changes nothing, and the corrected report goes through under the same key",
        arguments: [
            (#"{"items": [{"line": 1, "grade": "A", "disposition": "liquidate"}]}"#, "disposition_reason"),
            (#"{"items": [{"line": 99, "grade": "A"}]}"#, "no line 99"),
            (#"{"items": [{"line": 1, "grade": "A"}, {"line": 2, "grade": "B"}]}"#, "nothing of this line was received"),
        ])
    func refusedInspectionChangesNothing(body: String, says: String) async throws {
        try await API.withRouter { api in
            let key = try await api.engine.accessKeys.addPartner(name: "acme-eu", region: "EU")
            let (id, _) = try await api.requestReturn()
            let path = "/v1/partner/returns/\(id.uuidString.lowercased())"
            _ = try await api.send(
                .post, path + "/scans", json: #"{"kind": "picked_up", "tracking_number": "1Z999"}"#, key: key,
                idempotencyKey: "scan-1")
            // Line 2 arrives only for the report that names it unreceived; the others receive both lines.
            let receipt =
                says.contains("received")
                ? #"{"items": [{"line": 1, "quantity_received": 1}]}"#
                : #"{"items": [{"line": 1, "quantity_received": 1}, {"line": 2, "quantity_received": 2}]}"#
            let received = try await api.send(.post, path + "/receipt", json: receipt, key: key, idempotencyKey: "r-1")
            #expect(received.json["state"] == .string("received"))
            func snapshot() async throws -> [Int] {
                [
                    try await api.engine.count("SELECT count(*)::int FROM return_events WHERE return_id = \(id)"),
                    try await api.engine.count(
                        "SELECT count(*)::int FROM timers WHERE return_id = \(id) AND status = 'pending'"),
                    try await api.engine.count(
                        "SELECT count(*)::int FROM return_items WHERE return_id = \(id) AND grade IS NOT NULL"),
                    try await api.engine.count("SELECT count(*)::int FROM outbox WHERE return_id = \(id)"),
                    try await api.engine.count("SELECT count(*)::int FROM refunds WHERE return_id = \(id)"),
                ]
            }
            let before = try await snapshot()
            let refused = try await api.send(.post, path + "/inspection", json: body, key: key, idempotencyKey: "i-1")
            #expect(refused.status == .badRequest)
            #expect(refused.text.contains(says), "\(refused.text)")
            #expect(try await snapshot() == before)
            #expect(try await api.engine.lookup.details(of: id).record.state == "received")
            let corrected = try await api.send(
                .post, path + "/inspection", json: #"{"items": [{"line": 1, "grade": "A"}]}"#, key: key,
                idempotencyKey: "i-1")
            #expect(corrected.status == .ok, "\(corrected.text)")
            #expect(corrected.json["state"] == .string("refund_pending"))
        }
    }

    @Test(
        "an inspection report is one transaction; a step refused after the first leaves the steps before it, and the report re-sent finishes"
    )
    func inspectionStepsInOneTransaction() async throws {
        try await API.withRouter { api in
            let key = try await api.engine.accessKeys.addPartner(name: "acme-eu", region: "EU")
            func inspect(_ id: UUID, key reportKey: String) async throws -> API.Reply {
                let path = "/v1/partner/returns/\(id.uuidString.lowercased())"
                _ = try await api.send(
                    .post, path + "/scans", json: #"{"kind": "picked_up", "tracking_number": "1Z999"}"#, key: key,
                    idempotencyKey: "scan-\(reportKey)")
                _ = try await api.send(
                    .post, path + "/receipt",
                    json: #"{"items": [{"line": 1, "quantity_received": 1}, {"line": 2, "quantity_received": 2}]}"#,
                    key: key, idempotencyKey: "r-\(reportKey)")
                return try await api.send(
                    .post, path + "/inspection", json: #"{"items": [{"line": 1, "grade": "A"}, {"line": 2, "grade": "A"}]}"#,
                    key: key, idempotencyKey: reportKey)
            }
            // The three steps' history lines carry one transaction's start time (each step is a savepoint of its own, so
            // their rows' xmin differ).
            let (whole, _) = try await api.requestReturn()
            let inspected = try await inspect(whole, key: "i-whole")
            #expect(inspected.json["state"] == .string("refund_pending"), "\(inspected.text)")
            let writers = try await api.engine.rows(
                """
                SELECT event, occurred_at::text FROM return_events
                WHERE return_id = \(whole) AND event IN ('inspect', 'grade', 'approve_refund') ORDER BY seq
                """, as: (String, String).self)
            #expect(writers.map(\.0) == ["inspect", "grade", "approve_refund"])
            #expect(Set(writers.map(\.1)).count == 1, "\(writers)")

            // The database refuses the grade of this return: the inspect stays, the grade and the refund do not.
            let (id, _) = try await api.requestReturn(order: "A-1002")
            _ = try await api.engine.database.client.query(
                """
                CREATE FUNCTION refuse_grade() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN RAISE EXCEPTION 'grading is refused in this test'; END $$
                """)
            _ = try await api.engine.database.client.query(
                """
                CREATE TRIGGER refuse_grade BEFORE UPDATE ON returns FOR EACH ROW
                WHEN (NEW.state = 'graded') EXECUTE FUNCTION refuse_grade()
                """)
            let refused = try await inspect(id, key: "i-1")
            #expect(refused.status.code >= 500, "\(refused.text)")
            #expect(try await api.engine.lookup.details(of: id).record.state == "inspected")
            #expect(try await api.engine.count("SELECT count(*)::int FROM refunds WHERE return_id = \(id)") == 0)
            #expect(
                try await api.engine.count(
                    "SELECT count(*)::int FROM return_items WHERE return_id = \(id) AND grade IS NOT NULL") == 0)

            _ = try await api.engine.database.client.query("DROP TRIGGER refuse_grade ON returns")
            let resent = try await inspect(id, key: "i-1")
            #expect(resent.status == .ok, "\(resent.text)")
            #expect(resent.json["state"] == .string("refund_pending"), "\(resent.text)")
            let history = try await api.engine.lookup.details(of: id).history.map(\.event)
            #expect(history.filter { $0 == "inspect" }.count == 1, "\(history)")
            #expect(history.suffix(3) == ["inspect", "grade", "approve_refund"], "\(history)")
            #expect(try await api.engine.count("SELECT count(*)::int FROM refunds WHERE return_id = \(id)") == 1)
        }
    }

    @Test("the whole path: customer requests, partner ships, receives and inspects, finance retries the failed refund")
    func wholePath() async throws {
        try await API.withRouter { api in
            let key = try await api.engine.accessKeys.addPartner(name: "acme-eu", region: "EU")
            let finance = try await api.engine.accessKeys.addKey(role: .finance, name: "alice")
            let (id, token) = try await api.requestReturn()
            let path = "/v1/partner/returns/\(id.uuidString.lowercased())"

            let queue = try await api.send(.get, "/v1/partner/returns?state=label_issued", key: key)
            #expect(queue.status == .ok)
            #expect(queue.text.contains(id.uuidString.lowercased()))

            let shipped = try await api.send(
                .post, path + "/scans", json: #"{"kind": "picked_up", "tracking_number": "1Z999"}"#, key: key,
                idempotencyKey: "scan-1")
            #expect(shipped.status == .ok)
            #expect(shipped.json["state"] == .string("in_transit"))
            let received = try await api.send(
                .post, path + "/receipt",
                json: #"{"items": [{"line": 1, "quantity_received": 1}, {"line": 2, "quantity_received": 2}]}"#, key: key,
                idempotencyKey: "receipt-1")
            #expect(received.json["state"] == .string("received"))
            let inspected = try await api.send(
                .post, path + "/inspection",
                json: #"{"items": [{"line": 1, "grade": "A"}, {"line": 2, "grade": "B", "notes": "one pair worn"}]}"#,
                key: key, idempotencyKey: "inspection-1")
            #expect(inspected.status == .ok, "\(inspected.text)")
            #expect(inspected.json["state"] == .string("refund_pending"))
            #expect(inspected.headers[.eTag] == "\"7\"")

            // The provider refuses every attempt: the refund fails and finance sees it.
            let report = try await api.engine.refunds.sendDue(
                through: RefusingProvider(), retry: RefundRetryPolicy(maxAttempts: 1))
            #expect(report.failed == 1)
            let failed = try await api.send(.get, "/v1/finance/refunds?status=failed", key: finance)
            guard case .array(let refunds)? = failed.json["refunds"], case .object(let refund)? = refunds.first else {
                Issue.record("no failed refund listed: \(failed.text)")
                return
            }
            #expect(refunds.count == 1)
            let refundID = try #require(refund["id"]?.stringValue)
            let retried = try await api.send(.post, "/v1/finance/refunds/\(refundID)/retry", key: finance)
            #expect(retried.status == .ok, "\(retried.text)")
            let again = try await api.send(.post, "/v1/finance/refunds/\(refundID)/retry", key: finance)
            #expect(again.status == .conflict)
            #expect(again.problem == "refund-not-failed")

            let status = try await api.send(.get, "/v1/status/\(token)")
            #expect(status.json["state"] == .string("refund_pending"))
            #expect(status.json["refund"] != nil)
            let history = try await api.engine.lookup.details(of: id).history
            #expect(history.map(\.seq) == Array(1...history.count))
            #expect(history.contains { $0.actor == "partner:acme-eu" && $0.event == "receive" })
        }
    }

    @Test("every authorization boundary: no key, unknown key, wrong role, another partner's return, rotated key")
    func authorization() async throws {
        try await API.withRouter { api in
            let acme = try await api.engine.accessKeys.addPartner(name: "acme", region: "EU")
            let other = try await api.engine.accessKeys.addPartner(name: "other", region: "US")
            let finance = try await api.engine.accessKeys.addKey(role: .finance, name: "bob")
            let (id, _) = try await api.requestReturn(region: "EU")
            let path = "/v1/partner/returns/\(id.uuidString.lowercased())"
            let scan = #"{"kind": "picked_up", "tracking_number": "1Z"}"#

            let anonymous = try await api.send(.get, "/v1/partner/returns")
            #expect(anonymous.status == .unauthorized)
            #expect(anonymous.headers[.wwwAuthenticate] == "Bearer")
            #expect(anonymous.headers[.contentType] == "application/problem+json")
            #expect(try await api.send(.get, "/v1/partner/returns", key: "rk_partner_guess").status == .unauthorized)
            #expect(try await api.send(.get, "/v1/finance/refunds", key: acme).status == .forbidden)
            #expect(try await api.send(.get, "/v1/partner/returns", key: finance).status == .forbidden)

            // Another partner's return does not exist for this partner, whatever the route.
            let notTheirs = try await api.send(.post, path + "/scans", json: scan, key: other, idempotencyKey: "k1")
            #expect(notTheirs.status == .notFound)
            let unknownID = UUID().uuidString.lowercased()
            let unknown = try await api.send(
                .post, "/v1/partner/returns/\(unknownID)/scans", json: scan, key: other,
                idempotencyKey: "k1")
            #expect(unknown.status == .notFound)
            // The same answer, but for the id asked about.
            #expect(
                notTheirs.text.replacingOccurrences(of: id.uuidString.lowercased(), with: "ID")
                    == unknown.text.replacingOccurrences(of: unknownID, with: "ID"))
            #expect(try await api.send(.get, path, key: other).status == .notFound)
            #expect(try await api.send(.get, path, key: acme).status == .ok)
            let otherQueue = try await api.send(.get, "/v1/partner/returns", key: other)
            #expect(!otherQueue.text.contains(id.uuidString.lowercased()))
            #expect(try await api.engine.count("SELECT version FROM returns WHERE id = \(id)") == 2)

            let rotated = try await api.engine.accessKeys.rotatePartnerKey(name: "acme")
            #expect(try await api.send(.get, path, key: acme).status == .unauthorized)
            #expect(try await api.send(.get, path, key: rotated).status == .ok)
        }
    }

    @Test("a repeated Idempotency-Key answers with the first result; another body under it is refused")
    func idempotentRetries() async throws {
        try await API.withRouter { api in
            let key = try await api.engine.accessKeys.addPartner(name: "acme", region: nil)
            let (id, _) = try await api.requestReturn()
            let path = "/v1/partner/returns/\(id.uuidString.lowercased())/scans"
            let body = #"{"kind": "picked_up", "tracking_number": "1Z1"}"#
            let first = try await api.send(.post, path, json: body, key: key, idempotencyKey: "pickup")
            #expect(first.json["replayed"] == .bool(false))
            // Ten concurrent re-sends: one transition in all.
            let replies = try await withThrowingTaskGroup(of: API.Reply.self) { group in
                for _ in 0..<10 {
                    group.addTask { try await api.send(.post, path, json: body, key: key, idempotencyKey: "pickup") }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(replies.allSatisfy { $0.status == .ok && $0.json["replayed"] == .bool(true) })
            #expect(replies.allSatisfy { $0.json["version"] == first.json["version"] })
            #expect(try await api.engine.count("SELECT count(*)::int FROM return_events WHERE return_id = \(id)") == 3)
            let reused = try await api.send(
                .post, path, json: #"{"kind": "picked_up", "tracking_number": "OTHER"}"#, key: key, idempotencyKey: "pickup")
            #expect(reused.status == .unprocessableContent)
            #expect(reused.problem == "idempotency-key-reused")
            let missing = try await api.send(.post, path, json: body, key: key)
            #expect(missing.status == .badRequest)
            #expect(missing.problem == "idempotency-key-required")
        }
    }

    @Test("If-Match with a stale version is refused with 412 and changes nothing")
    func staleVersion() async throws {
        try await API.withRouter { api in
            let key = try await api.engine.accessKeys.addPartner(name: "acme", region: nil)
            let (id, _) = try await api.requestReturn()
            let path = "/v1/partner/returns/\(id.uuidString.lowercased())"
            let current = try await api.send(.get, path, key: key)
            #expect(current.headers[.eTag] == "\"2\"")
            let stale = try await api.send(
                .post, path + "/scans", json: #"{"kind": "picked_up", "tracking_number": "1Z"}"#, key: key,
                idempotencyKey: "a", ifMatch: "\"1\"")
            #expect(stale.status == .preconditionFailed)
            #expect(stale.problem == "stale-version")
            #expect(stale.json["current_version"] == .number(2))
            #expect(try await api.engine.count("SELECT version FROM returns WHERE id = \(id)") == 2)
            let fresh = try await api.send(
                .post, path + "/scans", json: #"{"kind": "picked_up", "tracking_number": "1Z"}"#, key: key,
                idempotencyKey: "b", ifMatch: "\"2\"")
            #expect(fresh.status == .ok)
            let wrongState = try await api.send(
                .post, path + "/inspection", json: #"{"items": [{"line": 1, "grade": "A"}]}"#, key: key, idempotencyKey: "c")
            #expect(wrongState.status == .conflict)
            #expect(wrongState.problem == "event-not-allowed")
        }
    }

    @Test("partner queue pages by cursor through every return exactly once")
    func queuePaging() async throws {
        try await API.withRouter { api in
            let key = try await api.engine.accessKeys.addPartner(name: "acme", region: nil)
            var ids: Set<String> = []
            for number in 0..<7 { ids.insert(try await api.requestReturn(order: "O-\(number)").id.uuidString.lowercased()) }
            var seen: [String] = []
            var cursor: String?
            repeat {
                let page = try await api.send(
                    .get, "/v1/partner/returns?limit=2" + (cursor.map { "&cursor=\($0)" } ?? ""), key: key)
                guard case .array(let returns)? = page.json["returns"] else { throw CancellationError() }
                seen += returns.compactMap { if case .object(let r) = $0 { r["id"]?.stringValue } else { nil } }
                cursor = page.json["next_cursor"]?.stringValue
            } while cursor != nil
            #expect(seen.count == 7)
            #expect(Set(seen) == ids)
            // Cursors carry PostgreSQL's microseconds, recovered from the decoded timestamps exactly.
            let stamps = try await api.engine.rows(
                "SELECT updated_at, (extract(epoch FROM updated_at) * 1000000)::int8 FROM returns", as: (Date, Int64).self)
            #expect(stamps.allSatisfy { Int64(($0.0.timeIntervalSince1970 * 1_000_000).rounded()) == $0.1 })
            let bad = try await api.send(.get, "/v1/partner/returns?cursor=nonsense", key: key)
            #expect(bad.status == .badRequest)
            #expect(bad.json["field"] == .string("cursor"))
        }
    }

    @Test("NUL in any string field, and a cursor past any row, are 400 naming the field; nothing is written")
    func badInputIsNot500() async throws {
        try await API.withRouter { api in
            let key = try await api.engine.accessKeys.addPartner(name: "acme-eu", region: "EU")
            let (id, _) = try await api.requestReturn()
            let path = "/v1/partner/returns/\(id.uuidString.lowercased())"
            let events = try await api.engine.count("SELECT count(*)::int FROM return_events")
            for (body, field) in [
                (#"{"kind": "picked_up", "tracking_number": "1Z\u0000"}"#, "tracking_number"),
                (#"{"kind": "picked_up", "tracking_number": "1Z", "notes": ["ok", "a\u0000b"]}"#, "notes[1]"),
            ] {
                let reply = try await api.send(.post, path + "/scans", json: body, key: key, idempotencyKey: "n-\(field)")
                #expect(reply.status == .badRequest, "\(reply.text)")
                #expect(reply.json["field"] == .string(field), "\(reply.text)")
            }
            let created = try await api.send(
                .post, "/v1/returns",
                json: #"{"order_ref": "N\u0000", "email": "n@example.com", "lines": [{"order_line": "1", "quantity": 1}]}"#)
            #expect(created.status == .badRequest)
            #expect(created.json["field"] == .string("order_ref"), "\(created.text)")
            #expect(try await api.engine.count("SELECT count(*)::int FROM return_events") == events)
            for cursor in ["9223372036854775807_\(UUID().uuidString)", "-1_\(UUID().uuidString)"] {
                let page = try await api.send(.get, "/v1/partner/returns?cursor=\(cursor)", key: key)
                #expect(page.status == .badRequest, "\(page.text)")
                #expect(page.json["field"] == .string("cursor"))
            }
        }
    }
}

/// A payment provider that refuses every refund for good.
struct RefusingProvider: RefundProvider {
    var name: String { "refusing" }
    func send(_ refund: RefundRow) async throws(RefundProviderError) -> String {
        throw .permanent("card closed")
    }
}
