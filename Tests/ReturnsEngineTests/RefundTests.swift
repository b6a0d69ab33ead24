import Foundation
import PostgresNIO
import ReturnsCore
import ReturnsEngine
import ReturnsStore
@testable import ReturnsTestSupport
import Testing
import WebhookSink

/// A payment provider that fails as told, for the retry paths.
struct ScriptedProvider: RefundProvider {
    let failure: RefundProviderError?
    var name: String { "scripted" }

    func send(_ refund: RefundRow) async throws(RefundProviderError) -> String {
        if let failure { throw failure }
        return "SCRIPTED-\(refund.id.uuidString.prefix(4))"
    }
}

extension Engine {
    func create(_ items: [String], workflow: String? = nil, customer: String = "ana@example.com", orderedAt: Date? = nil)
        async throws -> CreatedReturn
    {
        try await transitions.create(
            NewReturn(
                workflow: workflow, orderRef: "ORD-\(UUID().uuidString.prefix(6))", customerEmail: customer,
                items: try items.map { try ReturnItem.parse($0) }, orderedAt: orderedAt))
    }

    /// A standard return whose items were received in full and graded A, ready for approve_refund.
    func gradedReturn(_ items: [String] = ["MUG:3:10.00:EUR:kitchen:damaged"]) async throws -> UUID {
        let id = try await create(items, workflow: "standard").id
        try await drive(
            id, untilReceived + [("inspect", [:]), ("grade", ["grade": .string("A")])])
        return id
    }
}

@Suite("Policy and money-safe refunds")
struct RefundTests {
    @Test("the policy routes by value and by the customer's recent returns")
    func routing() async throws {
        try await TestDatabase.withEngine { engine in
            #expect(try await engine.create(["WATCH:1:2450.00:EUR"]).workflow == "specialist")
            try await engine.makeOrder("K-1", lines: ["CABLE:1:7.99"])
            let keepIt = try await engine.transitions.create(
                from: ReturnFromOrder(orderRef: "K-1", proof: .staff, lines: [.init(orderLine: "1", quantity: 1)]))
            #expect(keepIt.workflow == "keep-it")
            let routine = try await engine.create(["SHOE:1:89.90:EUR"], customer: "bo@example.com")
            #expect(routine.workflow == "standard")
            #expect(routine.routing == "routine return")
            for _ in 0..<5 {
                #expect(try await engine.create(["SHOE:1:89.90:EUR"], customer: "cy@example.com").workflow == "standard")
            }
            let flagged = try await engine.create(["SHOE:1:89.90:EUR"], customer: "cy@example.com")
            #expect(flagged.workflow == "specialist")
            #expect(flagged.routing.contains("6 returns in 90 days"))
        }
    }

    @Test(
        "the return window, non-returnable categories and unknown reasons are refused and nothing is written",
        arguments: [
            (["CARD:1:50.00:EUR:gift_card"], 0, "gift_card items cannot be returned"),
            (["TV:1:499.00:EUR:electronics"], 16, "within 15 days of the order; this order is 16 days old"),
            (["SHOE:1:89.90:EUR"], 31, "within 30 days of the order; this order is 31 days old"),
            (["SHOE:1:89.90:EUR:shoes:bored"], 0, "reason 'bored' is not one of"),
        ] as [([String], Int, String)])
    func refusals(items: [String], daysAgo: Int, message: String) async throws {
        try await TestDatabase.withEngine { engine in
            do {
                _ = try await engine.create(items, orderedAt: Date().addingTimeInterval(-Double(daysAgo) * 86_400 - 60))
                Issue.record("the policy accepted \(items)")
            } catch let error as EngineError {
                guard case .refusedByPolicy = error else { throw error }
                #expect(error.description.contains(message), "\(error)")
            }
            #expect(try await engine.count("SELECT count(*)::bigint FROM returns") == 0)
            #expect(try await engine.count("SELECT count(*)::bigint FROM return_items") == 0)
        }
    }

    @Test("a partial receipt of 2 of 3 refunds two; the third arriving later refunds the rest, never more")
    func partialReceipts() async throws {
        try await TestDatabase.withEngine { engine in
            let id = try await engine.create(["MUG:3:10.00:EUR:kitchen:damaged"], workflow: "standard").id
            let firstParcel: [String: JSONValue] = ["items": .array([.object(["line": .number(1), "quantity": .number(2)])])]
            try await engine.drive(
                id,
                [("issue_label", [:]), ("ship", tracking), ("receive", firstParcel), ("inspect", [:]),
                 ("grade", ["grade": .string("A")]), ("approve_refund", [:])])
            var details = try await engine.lookup.details(of: id)
            #expect(details.refunds.map(\.amountMinor) == [2000])  // damaged: no label cost; A: no fee
            #expect(details.items.first?.refunded == 2)
            let first = try #require(details.refunds.first?.id)
            try await engine.refunds.confirm(first, provider: "test", reference: "R1")
            #expect(try await engine.lookup.details(of: id).record.state == "refunded")

            let secondParcel: [String: JSONValue] = ["items": .array([.object(["line": .number(1), "quantity": .number(1)])])]
            try await engine.drive(
                id, [("receive", secondParcel), ("inspect", [:]), ("grade", ["grade": .string("A")]), ("approve_refund", [:])])
            details = try await engine.lookup.details(of: id)
            #expect(details.refunds.map(\.amountMinor) == [2000, 1000])
            #expect(details.items.first?.received == 3)
            #expect(details.items.first?.refunded == 3)
            #expect(try await engine.count("SELECT sum(amount_minor)::bigint FROM refunds WHERE return_id = \(id)") == 3000)

            // A fourth unit cannot arrive: refused, nothing written.
            try await engine.refunds.confirm(try #require(details.refunds.last?.id), provider: "test", reference: "R2")
            let version = try await engine.lookup.details(of: id).record.version
            await #expect(throws: EngineError.invalidInput(field: "items (line 1)", reason: "4 received in all would be more than the 3 returned")) {
                try await engine.transitions.apply("receive", to: id, actor: "partner", data: secondParcel)
            }
            #expect(try await engine.lookup.details(of: id).record.version == version)
        }
    }

    @Test("grades set restocking fees and dispositions; overriding a disposition needs a reason")
    func gradingAndDisposition() async throws {
        try await TestDatabase.withEngine { engine in
            let id = try await engine.create(["SHOE:1:100.00:EUR:shoes:doesnt_fit", "SOCK:1:10.00:EUR"], workflow: "standard").id
            try await engine.drive(id, untilReceived + [("inspect", [:])])
            let override: [String: JSONValue] = [
                "items": .array([
                    .object(["line": .number(1), "grade": .string("C"), "disposition": .string("liquidate")]),
                    .object(["line": .number(2), "grade": .string("wrong_item")]),
                ])
            ]
            await #expect(throws: EngineError.self) { try await engine.transitions.apply("grade", to: id, actor: "partner", data: override) }
            #expect(try await engine.lookup.details(of: id).record.state == "inspected")
            var withReason = override
            withReason["items"] = .array([
                .object([
                    "line": .number(1), "grade": .string("C"), "disposition": .string("liquidate"),
                    "disposition_reason": .string("season ended"),
                ]),
                .object(["line": .number(2), "grade": .string("wrong_item")]),
            ])
            try await engine.drive(id, [("grade", withReason), ("approve_refund", [:])])
            let details = try await engine.lookup.details(of: id)
            #expect(details.items.map(\.disposition) == ["liquidate", "return_to_vendor"])
            // Line 1: 100.00 - 15% fee (15.00) - label 5.95; line 2 was the wrong item: nothing.
            #expect(details.refunds.map(\.amountMinor) == [10_000 - 1_500 - 595])
            let breakdown = try await engine.rows(
                "SELECT breakdown::text FROM refunds WHERE return_id = \(id)", as: (String.self))
            // The refund's breakdown is the settlement of the judged units, itemised per line.
            let decoded = try JSONDecoder().decode(Settlement.self, from: Data(try #require(breakdown.first).utf8))
            #expect(decoded.grossMinor == 10_000 && decoded.refundMinor == 10_000 - 1_500 - 595)
            #expect(decoded.deductions.map(\.amountMinor) == [1_500, 595])
            #expect(decoded.lines.map(\.line) == [1])
        }
    }

    @Test("items graded back to stock queue inventory events, each received unit once; export hands them over once")
    func restockEvents() async throws {
        try await TestDatabase.withEngine { engine in
            let id = try await engine.create(
                ["MUG:3:10.00:EUR:kitchen:damaged", "LAMP:1:40.00:EUR"], workflow: "standard"
            ).id
            let parcel: [String: JSONValue] = [
                "items": .array([
                    .object(["line": .number(1), "quantity": .number(2)]), .object(["line": .number(2), "quantity": .number(1)]),
                ])
            ]
            let grades: [String: JSONValue] = [
                "items": .array([
                    .object(["line": .number(1), "grade": .string("B")]),  // open_box: back to stock
                    .object(["line": .number(2), "grade": .string("C")]),  // refurbish: not stock yet
                ])
            ]
            try await engine.drive(
                id,
                [("issue_label", [:]), ("ship", tracking), ("receive", parcel), ("inspect", [:]), ("grade", grades),
                 ("approve_refund", [:])])
            var rows = try await engine.rows(
                "SELECT line, sku, quantity, grade, disposition FROM inventory_outbox WHERE return_id = \(id) ORDER BY id",
                as: (Int, String, Int, String, String).self)
            #expect(rows.map(\.0) == [1])
            #expect(rows.first?.1 == "MUG" && rows.first?.2 == 2 && rows.first?.3 == "B" && rows.first?.4 == "open_box")

            // The third mug arrives later: only it is added to stock.
            try await engine.refunds.confirm(try #require(try await engine.lookup.details(of: id).refunds.first?.id), provider: "t", reference: "r")
            let late: [String: JSONValue] = ["items": .array([.object(["line": .number(1), "quantity": .number(1)])])]
            try await engine.drive(id, [("receive", late), ("inspect", [:]), ("grade", ["items": .array([.object(["line": .number(1), "grade": .string("A")])])])])
            rows = try await engine.rows(
                "SELECT line, sku, quantity, grade, disposition FROM inventory_outbox WHERE return_id = \(id) ORDER BY id",
                as: (Int, String, Int, String, String).self)
            #expect(rows.map(\.2) == [2, 1])
            #expect(rows.last?.4 == "restock")

            let path = FileManager.default.temporaryDirectory.appendingPathComponent("stock-\(UUID()).csv").path
            defer { try? FileManager.default.removeItem(atPath: path) }
            _ = FileManager.default.createFile(atPath: path, contents: nil)
            let handle = try #require(FileHandle(forWritingAtPath: path))
            #expect(try await engine.inventory.export(to: handle) == 2)
            #expect(try await engine.inventory.export(to: handle) == 0)
            try handle.close()
            let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
            #expect(lines.filter { $0.hasPrefix(id.uuidString.lowercased()) }.count == 2)
            #expect(lines.contains { $0.hasPrefix("\(id.uuidString.lowercased()),1,MUG,2,B,open_box,") })
        }
    }

    @Test("100 concurrent approvals of one refund: one refund, the right amount")
    func concurrentApprovals() async throws {
        try await TestDatabase.withEngine { engine in
            let id = try await engine.gradedReturn()
            let successes = await withTaskGroup(of: Bool.self) { group in
                for index in 0..<100 {
                    group.addTask {
                        (try? await engine.transitions.apply(
                            "approve_refund", to: id, idempotencyKey: index % 2 == 0 ? "same" : "key-\(index)",
                            actor: "finance")) != nil
                    }
                }
                var count = 0
                for await ok in group where ok { count += 1 }
                return count
            }
            // The 50 with the shared key all get its first answer; of the 50 others none can approve again.
            #expect(successes == 50 || successes == 51)
            let refunds = try await engine.lookup.details(of: id).refunds
            #expect(refunds.count == 1)
            #expect(refunds.first?.amountMinor == 3000)
            #expect(try await engine.count("SELECT count(*)::bigint FROM return_events WHERE return_id = \(id) AND event = 'approve_refund'") == 1)
        }
    }

    @Test("the provider's confirmation delivered five times at once moves the return once")
    func duplicateCallbacks() async throws {
        try await TestDatabase.withEngine { engine in
            let id = try await engine.gradedReturn()
            _ = try await engine.transitions.apply("approve_refund", to: id, actor: "finance")
            let refund = try #require(try await engine.lookup.details(of: id).refunds.first?.id)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<5 {
                    group.addTask { try await engine.refunds.confirm(refund, provider: "psp", reference: "PSP-1") }
                }
                try await group.waitForAll()
            }
            let details = try await engine.lookup.details(of: id)
            #expect(details.record.state == "refunded")
            #expect(details.history.filter { $0.event == "refund_succeeded" }.count == 1)
            #expect(details.refunds.map(\.status) == ["succeeded"])
        }
    }

    @Test("the refund worker pays through the ledger once; export writes the settlement file")
    func ledgerWorker() async throws {
        try await TestDatabase.withEngine { engine in
            let id = try await engine.gradedReturn()
            _ = try await engine.transitions.apply("approve_refund", to: id, actor: "finance")
            let ledger = LedgerProvider(database: engine.database)
            async let first = engine.refunds.sendDue(through: ledger)
            async let second = engine.refunds.sendDue(through: ledger)
            let reports = try await [first, second]
            #expect(reports.map(\.paid).reduce(0, +) == 1)
            #expect(try await engine.refunds.sendDue(through: ledger).paid == 0)
            #expect(try await engine.lookup.details(of: id).record.state == "refunded")
            #expect(try await engine.count("SELECT count(*)::bigint FROM ledger_payouts") == 1)

            let path = FileManager.default.temporaryDirectory.appendingPathComponent("settlement-\(UUID()).csv").path
            defer { try? FileManager.default.removeItem(atPath: path) }
            _ = FileManager.default.createFile(atPath: path, contents: nil)
            let handle = try #require(FileHandle(forWritingAtPath: path))
            #expect(try await engine.refunds.exportSettlement(to: handle) == 1)
            try handle.close()
            let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
            #expect(lines.first == "refund_id,processor_reference,amount,currency,status,settled_at")
            let refund = try #require(try await engine.lookup.details(of: id).refunds.first)
            #expect(lines.last?.hasPrefix("\(refund.id.uuidString.lowercased()),LEDGER-") == true)
            #expect(lines.last?.contains(",30.00,EUR,settled,") == true)
        }
    }

    @Test("temporary failures retry, then fail the refund; finance retries it and it is paid")
    func retriesThenFinance() async throws {
        try await TestDatabase.withEngine { engine in
            let id = try await engine.gradedReturn()
            _ = try await engine.transitions.apply("approve_refund", to: id, actor: "finance")
            let flaky = ScriptedProvider(failure: .transient("processor unavailable"))
            let retry = RefundRetryPolicy(maxAttempts: 3, baseDelay: 0, leaseSeconds: 60)
            var reports: [RefundReport] = []
            for _ in 0..<3 { reports.append(try await engine.refunds.sendDue(through: flaky, retry: retry)) }
            #expect(reports.map(\.retrying) == [1, 1, 0])
            #expect(reports.map(\.failed) == [0, 0, 1])
            var details = try await engine.lookup.details(of: id)
            #expect(details.record.state == "refund_failed")
            #expect(details.refunds.map(\.status) == ["failed"])
            let refund = try #require(details.refunds.first?.id)

            try await engine.refunds.retry(refund)
            #expect(try await engine.lookup.details(of: id).record.state == "refund_pending")
            #expect(try await engine.refunds.sendDue(through: ScriptedProvider(failure: nil), retry: retry).paid == 1)
            details = try await engine.lookup.details(of: id)
            #expect(details.record.state == "refunded")
            #expect(details.history.map(\.event).suffix(3) == ["refund_declined", "retry_refund", "refund_succeeded"])
            // Retrying a refund that did not fail changes nothing.
            try await engine.refunds.retry(refund)
            #expect(try await engine.lookup.details(of: id).record.state == "refunded")
        }
    }

    @Test("a refund paid after its return timed out to refund_failed brings the return to refunded")
    func paidAfterTimeout() async throws {
        try await TestDatabase.withEngine { engine in
            let id = try await engine.gradedReturn()
            _ = try await engine.transitions.apply("approve_refund", to: id, actor: "finance")
            #expect(try await engine.timers.fireDue(asOf: Date().addingTimeInterval(4 * 86_400)).fired == 1)
            #expect(try await engine.lookup.details(of: id).record.state == "refund_failed")
            #expect(try await engine.refunds.sendDue(through: LedgerProvider(database: engine.database)).paid == 1)
            let details = try await engine.lookup.details(of: id)
            #expect(details.record.state == "refunded")
            #expect(details.history.map(\.event).suffix(3) == ["refund_timeout", "retry_refund", "refund_succeeded"])
        }
    }

    @Test("a permanent refusal fails the refund at once")
    func permanentFailure() async throws {
        try await TestDatabase.withEngine { engine in
            let id = try await engine.gradedReturn()
            _ = try await engine.transitions.apply("approve_refund", to: id, actor: "finance")
            let report = try await engine.refunds.sendDue(through: ScriptedProvider(failure: .permanent("card closed")))
            #expect(report.failed == 1)
            let details = try await engine.lookup.details(of: id)
            #expect(details.record.state == "refund_failed")
            let errors = try await engine.rows("SELECT last_error FROM refunds WHERE return_id = \(id)", as: (String.self))
            #expect(errors.first?.contains("refused: card closed") == true)
        }
    }
}

@Suite("The webhook refund provider, against a payment adapter on loopback")
struct WebhookRefundTests {
    @Test("refunds are POSTed with their idempotency key; 500s are retried until the adapter pays")
    func paysThroughAdapter() async throws {
        try await TestDatabase.withEngine { engine in
            let id = try await engine.gradedReturn()
            _ = try await engine.transitions.apply("approve_refund", to: id, actor: "finance")
            let refund = try #require(try await engine.lookup.details(of: id).refunds.first)
            let adapter = WebhookSink(secret: nil, failuresPerMessage: 2)
            let url = try await adapter.start()
            defer { Task { try? await adapter.stop() } }
            let provider = WebhookRefundProvider(url: url, timeout: 10)
            let retry = RefundRetryPolicy(maxAttempts: 5, baseDelay: 0, leaseSeconds: 60)
            var reports: [RefundReport] = []
            for _ in 0..<3 { reports.append(try await engine.refunds.sendDue(through: provider, retry: retry)) }
            #expect(reports.map(\.retrying) == [1, 1, 0])
            #expect(reports.map(\.paid) == [0, 0, 1])
            #expect(adapter.deliveries.map(\.status) == [500, 500, 200])
            #expect(adapter.deliveries.allSatisfy { $0.idempotencyKey == refund.idempotencyKey })
            #expect(adapter.deliveries.allSatisfy { $0.returnID == id.uuidString.lowercased() })
            #expect(try await engine.lookup.details(of: id).record.state == "refunded")
        }
    }

    @Test("an adapter that refuses fails the refund at once; one that cannot be reached is retried")
    func refusalAndUnreachable() async throws {
        try await TestDatabase.withEngine { engine in
            let id = try await engine.gradedReturn()
            _ = try await engine.transitions.apply("approve_refund", to: id, actor: "finance")
            let unreachable = WebhookRefundProvider(url: URL(string: "http://127.0.0.1:1/refunds")!, timeout: 2)
            let first = try await engine.refunds.sendDue(
                through: unreachable, retry: RefundRetryPolicy(maxAttempts: 3, baseDelay: 0))
            #expect(first.retrying == 1)
            // A signature-checking endpoint answers 401 to an unsigned request: a refusal, not a retry.
            let strict = WebhookSink(secret: "other")
            let url = try await strict.start()
            defer { Task { try? await strict.stop() } }
            let second = try await engine.refunds.sendDue(through: WebhookRefundProvider(url: url, timeout: 10))
            #expect(second.failed == 1)
            #expect(try await engine.lookup.details(of: id).record.state == "refund_failed")
            let errors = try await engine.rows("SELECT last_error FROM refunds WHERE return_id = \(id)", as: (String.self))
            #expect(errors.first?.contains("answered 401") == true)
        }
    }
}
