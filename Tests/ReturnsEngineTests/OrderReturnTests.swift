import Foundation
import ReturnsCore
import ReturnsEngine
import ReturnsStore
@testable import ReturnsTestSupport
import Testing

@Suite("Returns made from orders of record")
struct OrderReturnTests {
    func ask(_ ref: String, _ lines: [(String, Int)], email: String? = nil) -> ReturnFromOrder {
        ReturnFromOrder(
            orderRef: ref, proof: .email(email ?? "\(ref.lowercased())@example.com"),
            lines: lines.map { ReturnFromOrder.Line(orderLine: $0.0, quantity: $0.1) })
    }

    @Test("items, prices, currency and region come from the order, whatever the caller is")
    func fromTheOrder() async throws {
        try await TestDatabase.withEngine { engine in
            try await engine.makeOrder("O-1", currency: "GBP", region: "UK", lines: ["LAMP:3:49.00:furniture"])
            let created = try await engine.transitions.create(from: ask("O-1", [("1", 2)], email: "O-1@Example.COM"))
            let rows = try await engine.rows(
                """
                SELECT i.sku, i.quantity, i.unit_price_minor, i.currency::text, i.category, i.order_line, r.region,
                       r.paid_minor, r.customer_email
                FROM return_items i JOIN returns r ON r.id = i.return_id WHERE r.id = \(created.id)
                """, as: (String, Int, Int64, String, String, String, String, Int64, String).self)
            #expect(rows.count == 1)
            let row = try #require(rows.first)
            #expect(row.0 == "LAMP" && row.1 == 2 && row.2 == 4_900 && row.3 == "GBP" && row.4 == "furniture")
            #expect(row.5 == "1" && row.6 == "UK" && row.7 == 9_800 && row.8 == "o-1@example.com")
            #expect(try await engine.count("SELECT quantity_returned FROM order_lines") == 2)
        }
    }

    @Test("two returns for one line beyond its quantity: the second is refused and the counts stay exact")
    func sequentialBeyondQuantity() async throws {
        try await TestDatabase.withEngine { engine in
            try await engine.makeOrder("O-2", lines: ["SHOE:2:89.90"])
            _ = try await engine.transitions.create(from: ask("O-2", [("1", 1)]))
            await #expect(throws: EngineError.self) {
                try await engine.transitions.create(from: ask("O-2", [("1", 2)]))
            }
            _ = try await engine.transitions.create(from: ask("O-2", [("1", 1)]))
            await #expect(throws: EngineError.self) {
                try await engine.transitions.create(from: ask("O-2", [("1", 1)]))
            }
            #expect(try await engine.count("SELECT count(*)::int FROM returns") == 2)
            #expect(try await engine.count("SELECT sum(quantity)::int FROM return_items") == 2)
            #expect(try await engine.count("SELECT quantity_returned FROM order_lines") == 2)
        }
    }

    @Test("20 concurrent requests for the last unit of a line create exactly one return item for it")
    func lastUnitOnce() async throws {
        try await TestDatabase.withEngine { engine in
            try await engine.makeOrder("O-3", lines: ["WATCH:1:250.00"])
            let outcomes = try await withThrowingTaskGroup(of: Bool.self) { group in
                for number in 0..<20 {
                    group.addTask {
                        do {
                            _ = try await engine.transitions.create(
                                from: ask("O-3", [("1", 1)]), idempotencyKey: "client-\(number)")
                            return true
                        } catch let error as EngineError {
                            guard case .alreadyReturned = error else { throw error }
                            return false
                        }
                    }
                }
                var all: [Bool] = []
                for try await outcome in group { all.append(outcome) }
                return all
            }
            #expect(outcomes.filter { $0 }.count == 1)
            #expect(try await engine.count("SELECT count(*)::int FROM return_items WHERE order_line = '1'") == 1)
            #expect(try await engine.count("SELECT quantity_returned FROM order_lines") == 1)
        }
    }

    @Test("the database itself refuses a second return of a unit, whoever writes it")
    func databaseRefuses() async throws {
        try await TestDatabase.withEngine { engine in
            let order = try await engine.makeOrder("O-4", lines: ["CAM:1:349.00"])
            let created = try await engine.transitions.create(from: ask(order.ref, [("1", 1)]))
            // A second return item for the same unit, written past the engine, breaks the order line's CHECK.
            await #expect(throws: (any Error).self) {
                try await engine.database.client.query(
                    """
                    INSERT INTO return_items (return_id, line, sku, quantity, unit_price_minor, currency, order_id, order_line)
                    SELECT \(created.id), 2, 'CAM', 1, 34900, 'EUR', order_id, line_id FROM order_lines
                    """)
            }
            #expect(try await engine.count("SELECT count(*)::int FROM return_items") == 1)
        }
    }

    @Test("a cancelled return gives its units back; a refunded one keeps them")
    func release() async throws {
        try await TestDatabase.withEngine { engine in
            try await engine.makeOrder("O-5", lines: ["TEE:1:19.99", "HAT:1:25.00"])
            let first = try await engine.transitions.create(from: ask("O-5", [("1", 1), ("2", 1)]))
            _ = try await engine.customers.cancel(token: first.token, idempotencyKey: nil)
            #expect(try await engine.count("SELECT sum(quantity_returned)::int FROM order_lines") == 0)
            let second = try await engine.transitions.create(from: ask("O-5", [("1", 1)]))
            #expect(second.state == "label_issued")
            #expect(try await engine.count("SELECT sum(quantity_returned)::int FROM order_lines") == 1)
        }
    }

    @Test("refunds across several returns of one order never exceed what it paid, partial receipts included")
    func refundsWithinOrder() async throws {
        try await TestDatabase.withEngine { engine in
            try await engine.makeOrder("O-6", lines: ["SHOE:2:89.90", "SOCK:1:9.95"])
            // Two returns of the order, each received in part (one shoe of the first never arrives) and graded A.
            var refunded: Int64 = 0
            for lines in [[("1", 1), ("2", 1)], [("1", 1)]] {
                let created = try await engine.transitions.create(from: ask("O-6", lines))
                try await engine.drive(
                    created.id,
                    [("ship", ["tracking_number": .string("1Z")]), ("receive", ["items": .array([
                        .object(["line": .number(1), "quantity": .number(1)])])]),
                     ("inspect", [:]), ("grade", ["grade": .string("A")]), ("approve_refund", [:])])
                refunded += try await engine.count("SELECT coalesce(sum(amount_minor), 0)::int FROM refunds WHERE return_id = \(created.id)").asInt64
            }
            // One shoe received per return, less the label (changed_mind pays it): 89.90 - 5.95 each.
            #expect(refunded == 2 * (8_990 - 595))
            let paid = try await engine.count("SELECT paid_minor::int FROM orders")
            #expect(paid == 2 * 8_990 + 995)
            // A refund beyond what the order paid is refused by the database, even inserted past the engine.
            let id = try #require(try await engine.rows("SELECT id FROM returns LIMIT 1", as: (UUID.self)).first)
            await #expect(throws: (any Error).self) {
                try await engine.database.client.query(
                    """
                    UPDATE returns SET paid_minor = 1000000 WHERE id = \(id);
                    """)
                try await engine.database.client.query(
                    """
                    INSERT INTO refunds (id, return_id, amount_minor, currency, status, idempotency_key, decided_seq)
                    VALUES (gen_random_uuid(), \(id), 500000, 'EUR', 'pending', 'beyond', 1)
                    """)
            }
            #expect(try await engine.count("SELECT count(*)::int FROM refunds WHERE idempotency_key = 'beyond'") == 0)
        }
    }

    @Test("keep-it applies only to orders of record: the same small return typed by a caller ships back")
    func keepItOnlyOfRecord() async throws {
        try await TestDatabase.withEngine { engine in
            try await engine.makeOrder("O-7", lines: ["CABLE:1:7.99"])
            let ofRecord = try await engine.transitions.create(from: ask("O-7", [("1", 1)]))
            #expect(ofRecord.workflow == "keep-it")
            let typed = try await engine.transitions.create(
                NewReturn(
                    workflow: nil, orderRef: "O-8", customerEmail: "o8@example.com",
                    items: [try ReturnItem.parse("CABLE:1:7.99:EUR")]))
            #expect(typed.workflow == "standard")
        }
    }

    @Test("a final-sale line and a line past its window are refused by policy, with nothing written")
    func policyFromTheOrder() async throws {
        try await TestDatabase.withEngine { engine in
            try await engine.makeOrder("O-9", lines: ["SCARF:1:19.00"], finalSale: ["1"])
            try await engine.makeOrder("O-10", lines: ["PHONE:1:499.00:electronics"], orderedAt: Date().addingTimeInterval(-40 * 86_400))
            // Ordered 40 days ago but delivered 10 days ago: the window counts from delivery, so it is open.
            try await engine.makeOrder(
                "O-12", lines: ["TABLET:1:299.00:electronics"], orderedAt: Date().addingTimeInterval(-40 * 86_400),
                deliveredAt: Date().addingTimeInterval(-10 * 86_400))
            #expect(try await engine.transitions.create(from: ask("O-12", [("1", 1)])).state == "label_issued")
            try await engine.makeOrder(
                "O-13", lines: ["TABLET:1:299.00:electronics"], orderedAt: Date().addingTimeInterval(-40 * 86_400),
                deliveredAt: Date().addingTimeInterval(-20 * 86_400))
            for (ref, words) in [
                ("O-9", "final sale"), ("O-10", "within 15 days of the order"),
                ("O-13", "within 15 days of delivery; this order was delivered 20 days ago"),
            ] {
                do {
                    _ = try await engine.transitions.create(from: ask(ref, [("1", 1)]))
                    Issue.record("\(ref) was accepted")
                } catch let error as EngineError {
                    #expect(error.kind == .conflict)
                    #expect(error.description.contains(words), "\(error)")
                }
            }
            #expect(try await engine.count("SELECT count(*)::int FROM returns") == 1)
            #expect(try await engine.count("SELECT sum(quantity_returned)::int FROM order_lines") == 1)
        }
    }

    @Test("the serial-returner flag counts a customer's returns across the emails of their orders")
    func serialReturnerAcrossEmails() async throws {
        try await TestDatabase.withEngine { engine in
            var workflows: [String] = []
            for number in 1...6 {
                let email = number % 2 == 0 ? "ana@example.com" : "ana.work@example.com"
                try await engine.makeOrder("C-\(number)", email: email, customerID: "CUST-7", lines: ["SHOE:1:89.90"])
                workflows.append(try await engine.transitions.create(from: ask("C-\(number)", [("1", 1)], email: email)).workflow)
            }
            // Three returns per email, six for the customer: the sixth is more than the policy's 5 in 90 days.
            #expect(workflows == ["standard", "standard", "standard", "standard", "standard", "specialist"])
        }
    }

    @Test("an operator's price override needs a reason and is kept in the history")
    func priceOverride() async throws {
        try await TestDatabase.withEngine { engine in
            try await engine.makeOrder("O-11", lines: ["BAG:1:120.00"])
            var request = ReturnFromOrder(
                orderRef: "O-11", proof: .staff, lines: [.init(orderLine: "1", quantity: 1)], priceOverrides: ["1": 9_000])
            await #expect(throws: EngineError.self) { try await engine.transitions.create(from: request, actor: "operator") }
            request.overrideReason = "price match promised by support"
            let created = try await engine.transitions.create(from: request, actor: "operator")
            #expect(try await engine.count("SELECT unit_price_minor::int FROM return_items WHERE return_id = \(created.id)") == 9_000)
            let history = try await engine.rows(
                "SELECT data::text FROM return_events WHERE return_id = \(created.id) AND seq = 1", as: (String.self))
            #expect(history.first?.contains("price match promised by support") == true)
            // A customer cannot set a price at all.
            let customer = ReturnFromOrder(
                orderRef: "O-11", proof: .email("o-11@example.com"), lines: [.init(orderLine: "1", quantity: 1)],
                priceOverrides: ["1": 1], overrideReason: "please")
            await #expect(throws: EngineError.self) { try await engine.transitions.create(from: customer) }
        }
    }
}

@Suite("Orders of record under attack and retry")
struct OrderAttackTests {
    @Test("20 parallel guesses of one order's email: at most the limit are looked up, the rest are 429")
    func parallelGuesses() async throws {
        try await TestDatabase.withEngine { engine in
            try await engine.makeOrder("G-1", email: "real@example.com")
            let outcomes = try await withThrowingTaskGroup(of: String.self) { group in
                for number in 0..<20 {
                    group.addTask {
                        do {
                            _ = try await engine.transitions.create(
                                from: ReturnFromOrder(
                                    orderRef: "G-1", proof: .email("guess\(number)@example.com"),
                                    lines: [.init(orderLine: "1", quantity: 1)], clientAddress: "198.51.100.\(number)"))
                            return "created"
                        } catch EngineError.orderNotFound {
                            return "404"
                        } catch EngineError.tooManyLookups {
                            return "429"
                        }
                    }
                }
                var all: [String] = []
                for try await outcome in group { all.append(outcome) }
                return all
            }
            #expect(outcomes.filter { $0 == "404" }.count == engine.lookupLimits.perOrder, "\(outcomes)")
            #expect(outcomes.filter { $0 == "429" }.count == 20 - engine.lookupLimits.perOrder)
            #expect(try await engine.count("SELECT count(*)::int FROM returns") == 0)
        }
    }

    @Test("guesses just before a window's edge still count after it: the limit holds over a sliding window")
    func burstAcrossWindowEdge() async throws {
        let settings = try await TestDatabase.makeDatabase()
        try await Database.with(settings, logger: TestDatabase.logger) { database in
            // A window whose edge passed two seconds ago: windows are aligned to multiples of their length since
            // 1970, so one as long as the seconds since then, less two, began two seconds ago.
            let databaseNow = {
                var now = 0
                for try await seconds in try await database.client.query(
                    "SELECT floor(extract(epoch FROM now()))::int", logger: TestDatabase.logger
                ).decode(Int.self) { now = seconds }
                return now
            }
            let epoch = try await databaseNow()
            let limits = LookupLimits(perAddress: 10, perOrder: 5, windowSeconds: epoch - 2)
            let engine = Engine(database: database, catalog: TestDatabase.catalog, lookupLimits: limits)
            try await engine.deployWorkflows()
            try await engine.makeOrder("E-1", email: "real@example.com")
            let address = "192.0.2.44"
            // Nine failures in the window that just ended, as a burst in its last seconds leaves them.
            try await database.client.query(
                """
                INSERT INTO lookup_failures (scope, key, window_start, failures)
                VALUES ('address', \(address), to_timestamp(0), 9)
                """, logger: TestDatabase.logger)
            let guess = { (email: String) in
                try await engine.transitions.create(
                    from: ReturnFromOrder(
                        orderRef: "E-1", proof: .email(email), lines: [.init(orderLine: "1", quantity: 1)],
                        clientAddress: address))
            }
            // Nine of the last window's length plus one now reach the limit of ten, where a window aligned to the
            // clock alone would have forgotten the nine.
            await #expect(throws: EngineError.orderNotFound) { _ = try await guess("guess@example.com") }
            let before = try await databaseNow()
            do {
                _ = try await guess("real@example.com")
                Issue.record("an eleventh lookup within the window's length was let through")
            } catch EngineError.tooManyLookups(let retryAfter) {
                // Ten now; below the limit once the nine's share has shrunk to eight: the window's end less the
                // eight ninths of it the share may still cover, as of the moment the lookup was refused, which
                // lies between the two readings of the clock (seconds apart on a loaded machine).
                let after = try await databaseNow()
                let window = limits.windowSeconds
                let expected = { (now: Int) in 2 * window - now - 8 * window / 9 }
                #expect((expected(after) - 1...expected(before) + 1).contains(retryAfter), "\(retryAfter)")
            }
            #expect(try await engine.count("SELECT count(*)::int FROM returns") == 0)
        }
    }

    @Test("a repeated request answers as the first time after the order changed and the limit was reached")
    func replayAfterChange() async throws {
        try await TestDatabase.withEngine { engine in
            var order = try await engine.makeOrder("P-1", lines: ["SHOE:1:89.90"])
            let request = ReturnFromOrder(
                orderRef: "P-1", proof: .email("p-1@example.com"), lines: [.init(orderLine: "1", quantity: 1)],
                clientAddress: "203.0.113.7")
            let first = try await engine.transitions.create(from: request, idempotencyKey: "retry-me")
            order.deliveredAt = Date()
            #expect(try await engine.orders.put(order) == .updated)
            for number in 0..<10 {
                _ = try? await engine.transitions.create(
                    from: ReturnFromOrder(
                        orderRef: "P-\(number + 100)", proof: .email("x@example.com"),
                        lines: [.init(orderLine: "1", quantity: 1)], clientAddress: "203.0.113.7"))
            }
            let again = try await engine.transitions.create(from: request, idempotencyKey: "retry-me")
            #expect(again.replayed && again.id == first.id && again.token == first.token)
            #expect(try await engine.count("SELECT count(*)::int FROM returns") == 1)
        }
    }

    @Test("an order cannot be lowered below what is refunded of it, and settling its refund still works")
    func lowerBelowRefunded() async throws {
        try await TestDatabase.withEngine { engine in
            var order = try await engine.makeOrder("L-1", lines: ["CABLE:1:7.99"])
            let kept = try await engine.transitions.create(
                from: ReturnFromOrder(orderRef: "L-1", proof: .staff, lines: [.init(orderLine: "1", quantity: 1)]))
            #expect(kept.workflow == "keep-it")
            order.lines[0].unitPriceMinor = 500
            await #expect(throws: EngineError.self) { try await engine.orders.put(order) }
            #expect(try await engine.count("SELECT unit_price_minor::int FROM order_lines") == 799)
            // The refund's own updates (claim, settle) do not re-check the order, so the worker is never stuck.
            let sent = try await engine.refunds.sendDue(through: LedgerProvider(database: engine.database))
            #expect(sent.paid == 1, "\(sent)")
        }
    }

    @Test("typed items cannot be used for an order of record")
    func typedForOrderOfRecord() async throws {
        try await TestDatabase.withEngine { engine in
            try await engine.makeOrder("T-1", lines: ["SHOE:1:89.90"])
            await #expect(throws: EngineError.self) {
                try await engine.transitions.create(
                    NewReturn(
                        workflow: "standard", orderRef: "T-1", customerEmail: "t-1@example.com",
                        items: [try ReturnItem.parse("SHOE:5:89.90:EUR")]))
            }
            #expect(try await engine.count("SELECT count(*)::int FROM returns") == 0)
        }
    }
}

extension Int {
    var asInt64: Int64 { Int64(self) }
}
