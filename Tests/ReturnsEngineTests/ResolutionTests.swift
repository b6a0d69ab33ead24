import Foundation
import ReturnsCore
import ReturnsEngine
import ReturnsStore
@testable import ReturnsTestSupport
import Testing

/// Store credit, exchanges and early refunds against a real PostgreSQL: what the ledgers, stock and reviews hold.
@Suite("Resolutions: store credit, exchanges, and when money is released")
struct ResolutionTests {
    static let graded: [(String, [String: JSONValue])] = [
        ("ship", tracking), ("receive", [:]), ("inspect", [:]), ("grade", ["grade": .string("A")]),
        ("approve_refund", [:]),
    ]

    func ask(_ ref: String, _ lines: [ReturnFromOrder.Line]) -> ReturnFromOrder {
        ReturnFromOrder(orderRef: ref, proof: .email("\(ref.lowercased())@example.com"), lines: lines)
    }

    func stock(_ engine: Engine, _ sku: String, product: String = "P-SHIRT", price: String, onHand: Int) async throws {
        _ = try await engine.exchangeCatalog.put(
            CatalogVariant(
                sku: sku, productID: product, title: "Shirt", attributes: ["size": String(sku.suffix(1))],
                priceMinor: try Money.parse(price, currency: try Currency(code: "EUR")).minorUnits,
                currency: try Currency(code: "EUR"), onHand: onHand))
    }

    /// Runs `attempt` `count` times at once; which of them succeeded.
    func concurrently(_ count: Int, _ attempt: @escaping @Sendable (Int) async throws -> Bool) async throws -> [Bool] {
        try await withThrowingTaskGroup(of: Bool.self) { group in
            for number in 0..<count { group.addTask { try await attempt(number) } }
            var all: [Bool] = []
            for try await outcome in group { all.append(outcome) }
            return all
        }
    }

    func state(_ engine: Engine, _ id: UUID) async throws -> String {
        try await engine.lookup.details(of: id).record.state
    }

    @Test("store credit: the line is credited with its bonus, less the label; nothing is refunded; the return closes")
    func storeCredit() async throws {
        try await TestDatabase.withEngine { engine in
            try await engine.makeOrder("SC-1", customerID: "C-1", lines: ["SHIRT-S:1:60.00:general:P-SHIRT"])
            let created = try await engine.transitions.create(
                from: ask("SC-1", [.init(orderLine: "1", quantity: 1, reason: "doesnt_fit", resolution: .storeCredit)]))
            try await engine.drive(created.id, Self.graded)
            #expect(try await state(engine, created.id) == "closed")
            #expect(try await engine.count("SELECT count(*)::int FROM refunds") == 0)
            let statement = try await engine.credits.statement(of: "C-1")
            // 60.00 less the 5.95 label, and a 10% bonus on the 60.00.
            let balance = try #require(statement.balances["EUR"])
            #expect(balance == 6_000 - 595 + 600)
            #expect(Set(statement.entries.map(\.kind)) == ["credit", "bonus"])
            #expect(statement.entries.allSatisfy { $0.code?.hasPrefix("GC-") == true && $0.expiresAt != nil })
            let outbox = try await engine.rows("SELECT template FROM outbox ORDER BY id DESC LIMIT 1", as: (String.self))
            #expect(outbox.first == "resolution_settled")
            let status = try #require(try await engine.customers.status(token: created.token))
            #expect(status.lines.first?.resolution == "store_credit" && status.credit?.amount == "60.05")
        }
    }

    @Test("exchange: stock held at request, shipped at receipt, a cheaper replacement's difference credited")
    func exchangeDownsell() async throws {
        try await TestDatabase.withEngine { engine in
            try await stock(engine, "SHIRT-M", price: "55.00", onHand: 1)
            try await engine.makeOrder("EX-1", customerID: "C-2", lines: ["SHIRT-S:1:60.00:general:P-SHIRT"])
            let created = try await engine.transitions.create(
                from: ask("EX-1", [.init(orderLine: "1", quantity: 1, reason: "damaged", resolution: .exchange, exchangeSKU: "SHIRT-M")]))
            #expect(try await engine.exchangeCatalog.find(sku: "SHIRT-M")?.held == 1)
            try await engine.drive(created.id, [("ship", tracking)])
            #expect(try await engine.count("SELECT count(*)::int FROM exchange_orders") == 0)
            try await engine.drive(created.id, [("receive", [:])])
            let shelf = try #require(try await engine.exchangeCatalog.find(sku: "SHIRT-M"))
            #expect(shelf.variant.onHand == 0 && shelf.held == 0)
            #expect(try await engine.count("SELECT count(*)::int FROM exchange_orders WHERE sku = 'SHIRT-M' AND price_minor = 5500") == 1)
            try await engine.drive(created.id, Array(Self.graded.dropFirst(2)))
            #expect(try await state(engine, created.id) == "closed")
            // 60.00 paid, 55.00 replacement, free label (damaged): 5.00 credited, no bonus on a difference.
            #expect(try await engine.credits.statement(of: "C-2").balances["EUR"] == 500)
            #expect(try await engine.count("SELECT count(*)::int FROM refunds") == 0)
            let settled = try await engine.rows(
                "SELECT settlement, difference_minor FROM exchange_orders", as: (String, Int64).self)
            #expect(settled.first?.0 == "credited" && settled.first?.1 == -500)
        }
    }

    @Test("exchange upsell: the difference is charged, itemised on its line")
    func exchangeUpsell() async throws {
        try await TestDatabase.withEngine { engine in
            try await stock(engine, "SHIRT-L", price: "75.00", onHand: 3)
            try await engine.makeOrder("EX-2", lines: ["SHIRT-S:1:60.00:general:P-SHIRT"])
            let created = try await engine.transitions.create(
                from: ask("EX-2", [.init(orderLine: "1", quantity: 1, resolution: .exchange, exchangeSKU: "SHIRT-L")]))
            try await engine.drive(created.id, Self.graded)
            let charges = try await engine.rows("SELECT line, amount_minor FROM charges", as: (Int, Int64).self)
            #expect(charges.count == 1 && charges.first?.0 == 1 && charges.first?.1 == 1_500)
            #expect(try await state(engine, created.id) == "closed")
            #expect(try await engine.exchangeCatalog.find(sku: "SHIRT-L")?.variant.onHand == 2)
        }
    }

    @Test("the last unit is promised to exactly one of 20 concurrent exchange requests")
    func lastUnit() async throws {
        try await TestDatabase.withEngine { engine in
            try await stock(engine, "SHIRT-XL", price: "60.00", onHand: 1)
            for number in 0..<20 {
                try await engine.makeOrder("LU-\(number)", lines: ["SHIRT-S:1:60.00:general:P-SHIRT"])
            }
            let outcomes = try await concurrently(20) { number in
                do {
                    _ = try await engine.transitions.create(
                        from: ask("LU-\(number)", [.init(orderLine: "1", quantity: 1, resolution: .exchange, exchangeSKU: "SHIRT-XL")]),
                        idempotencyKey: "lu-\(number)")
                    return true
                } catch EngineError.notAvailable {
                    return false
                }
            }
            #expect(outcomes.filter { $0 }.count == 1)
            #expect(try await engine.count("SELECT count(*)::int FROM stock_holds WHERE status = 'held'") == 1)
            #expect(try await engine.exchangeCatalog.find(sku: "SHIRT-XL")?.held == 1)
            #expect(try await engine.count("SELECT count(*)::int FROM returns") == 1)
        }
    }

    @Test("a lapsed hold whose stock is gone falls back to a refund, and the customer is told")
    func outOfStockFallback() async throws {
        try await TestDatabase.withEngine { engine in
            try await stock(engine, "SHIRT-M", price: "60.00", onHand: 1)
            try await engine.makeOrder("OS-1", lines: ["SHIRT-S:1:60.00:general:P-SHIRT"])
            let created = try await engine.transitions.create(
                from: ask("OS-1", [.init(orderLine: "1", quantity: 1, resolution: .exchange, exchangeSKU: "SHIRT-M")]))
            _ = try await engine.database.client.query(
                "UPDATE stock_holds SET expires_at = now() - interval '1 day'")
            #expect(try await engine.maintenance.expireLapsed().holds == 1)
            // The shop sold the last unit meanwhile.
            try await stock(engine, "SHIRT-M", price: "60.00", onHand: 0)
            try await engine.drive(created.id, Self.graded)
            #expect(try await engine.count("SELECT count(*)::int FROM return_items WHERE fallback = 'refund'") == 1)
            #expect(try await engine.count("SELECT count(*)::int FROM outbox WHERE template = 'exchange_unavailable'") == 1)
            #expect(try await engine.count("SELECT count(*)::int FROM exchange_orders") == 0)
            let refunds = try await engine.rows("SELECT amount_minor FROM refunds", as: (Int64.self))
            #expect(refunds == [6_000 - 595])
            #expect(try await state(engine, created.id) == "refund_pending")
        }
    }

    @Test("cancelling gives the held stock back; stock below what is held is refused")
    func cancelReleases() async throws {
        try await TestDatabase.withEngine { engine in
            try await stock(engine, "SHIRT-M", price: "60.00", onHand: 1)
            try await engine.makeOrder("CR-1", lines: ["SHIRT-S:1:60.00:general:P-SHIRT"])
            let created = try await engine.transitions.create(
                from: ask("CR-1", [.init(orderLine: "1", quantity: 1, resolution: .exchange, exchangeSKU: "SHIRT-M")]))
            await #expect(throws: EngineError.self) { try await stock(engine, "SHIRT-M", price: "60.00", onHand: 0) }
            _ = try await engine.customers.cancel(token: created.token, idempotencyKey: nil)
            #expect(try await engine.exchangeCatalog.find(sku: "SHIRT-M")?.held == 0)
            try await stock(engine, "SHIRT-M", price: "60.00", onHand: 0)
        }
    }

    @Test("what is not offered, or not the same product, is refused and writes nothing")
    func refusals() async throws {
        try await TestDatabase.withEngine { engine in
            try await stock(engine, "MUG-1", product: "P-MUG", price: "60.00", onHand: 5)
            try await engine.makeOrder("RF-1", lines: ["SHIRT-S:1:60.00:general:P-SHIRT"])
            for line in [
                ReturnFromOrder.Line(orderLine: "1", quantity: 1, resolution: .exchange, exchangeSKU: "MUG-1"),
                ReturnFromOrder.Line(orderLine: "1", quantity: 1, resolution: .exchange, exchangeSKU: "NOPE"),
                ReturnFromOrder.Line(orderLine: "1", quantity: 1, resolution: .exchange),
                ReturnFromOrder.Line(orderLine: "1", quantity: 1, resolution: .refund, exchangeSKU: "MUG-1"),
            ] {
                await #expect(throws: EngineError.self) { try await engine.transitions.create(from: ask("RF-1", [line])) }
            }
            #expect(try await engine.count("SELECT count(*)::int FROM returns") == 0)
            #expect(try await engine.count("SELECT count(*)::int FROM stock_holds") == 0)
        }
    }

    @Test("store credit never goes below zero: 50 concurrent debits of 10.00 against 100.00, exactly 10 pass")
    func concurrentDebits() async throws {
        try await TestDatabase.withEngine { engine in
            let eur = try Currency(code: "EUR")
            _ = try await engine.credits.adjust(
                "C-9", amount: Money(minorUnits: 10_000, currency: eur), reason: "goodwill", idempotencyKey: "seed",
                actor: "test")
            let outcomes = try await concurrently(50) { number in
                do {
                    _ = try await engine.credits.debit(
                        "C-9", amount: Money(minorUnits: 1_000, currency: eur), idempotencyKey: "d-\(number)", actor: "test")
                    return true
                } catch EngineError.notAvailable {
                    return false
                }
            }
            #expect(outcomes.filter { $0 }.count == 10)
            #expect(try await engine.credits.statement(of: "C-9").balances["EUR"] == 0)
            // A repeated debit key answers the first line and takes nothing more.
            _ = try? await engine.credits.debit(
                "C-9", amount: Money(minorUnits: 1_000, currency: eur), idempotencyKey: "d-0", actor: "test")
            #expect(try await engine.count("SELECT count(*)::int FROM credit_entries WHERE kind = 'debit'") == 10)
            // The database refuses a debit past the balance whoever writes it, and the ledger cannot be edited.
            await #expect(throws: (any Error).self) {
                try await engine.database.client.query(
                    """
                    INSERT INTO credit_entries (customer, currency, kind, amount_minor, idempotency_key, actor)
                    VALUES ('C-9', 'EUR', 'debit', -1, 'raw', 'sql')
                    """)
            }
            await #expect(throws: (any Error).self) {
                try await engine.database.client.query("UPDATE credit_entries SET amount_minor = 1")
            }
        }
    }

    @Test("credit past its date expires, and a debit cannot spend it")
    func expiry() async throws {
        try await TestDatabase.withEngine { engine in
            let eur = try Currency(code: "EUR")
            _ = try await engine.credits.adjust(
                "C-7", amount: Money(minorUnits: 2_000, currency: eur), reason: "goodwill", idempotencyKey: "a",
                actor: "test")
            _ = try await engine.database.client.query("UPDATE credit_lots SET expires_at = now() - interval '1 hour'")
            await #expect(throws: EngineError.self) {
                try await engine.credits.debit("C-7", amount: Money(minorUnits: 500, currency: eur), idempotencyKey: "x", actor: "t")
            }
            #expect(try await engine.maintenance.expireLapsed().credits == 1)
            #expect(try await engine.maintenance.expireLapsed().credits == 0)
            let statement = try await engine.credits.statement(of: "C-7")
            #expect(statement.balances["EUR"] == 0 && statement.entries.first?.kind == "expiry")
        }
    }

    @Test("a refund released at the first scan, then a failed inspection: a review with the amount to recover")
    func releasedThenFailed() async throws {
        var catalog = TestDatabase.catalog
        catalog.policy.resolutions.release.moments[.unflagged] = .firstScan
        try await TestDatabase.withEngine(catalog: catalog) { engine in
            try await engine.makeOrder("RL-1", lines: ["COAT:1:80.00"])
            let created = try await engine.transitions.create(from: ask("RL-1", [.init(orderLine: "1", quantity: 1)]))
            try await engine.drive(created.id, [("ship", tracking)])
            #expect(try await engine.rows("SELECT amount_minor FROM refunds", as: (Int64.self)) == [8_000 - 595])
            try await engine.drive(
                created.id, [("receive", [:]), ("inspect", [:]), ("grade", ["grade": .string("wrong_item")]), ("approve_refund", [:])])
            // Inspection still recorded, no second refund, and the 74.05 already paid is owed back.
            #expect(try await engine.count("SELECT count(*)::int FROM return_items WHERE grade = 'wrong_item'") == 1)
            #expect(try await engine.count("SELECT count(*)::int FROM refunds") == 1)
            let reviews = try await engine.rows(
                "SELECT kind, amount_owed_minor FROM resolution_reviews", as: (String, Int64).self)
            #expect(reviews.count == 1 && reviews.first?.0 == "released_refund_too_high" && reviews.first?.1 == 8_000 - 595)
            #expect(try await state(engine, created.id) == "closed")
        }
    }

    @Test("an exchange shipped for an item found to be the wrong one opens a review of what is owed")
    func exchangeNotAcceptable() async throws {
        try await TestDatabase.withEngine { engine in
            try await stock(engine, "SHIRT-M", price: "60.00", onHand: 2)
            try await engine.makeOrder("NA-1", lines: ["SHIRT-S:1:60.00:general:P-SHIRT"])
            let created = try await engine.transitions.create(
                from: ask("NA-1", [.init(orderLine: "1", quantity: 1, resolution: .exchange, exchangeSKU: "SHIRT-M")]))
            try await engine.drive(
                created.id,
                [("ship", tracking), ("receive", [:]), ("inspect", [:]), ("grade", ["grade": .string("wrong_item")]),
                 ("approve_refund", [:])])
            let reviews = try await engine.rows(
                "SELECT kind, amount_owed_minor FROM resolution_reviews", as: (String, Int64).self)
            #expect(reviews.count == 1 && reviews.first?.0 == "exchange_not_acceptable" && reviews.first?.1 == 6_000)
            #expect(try await engine.count("SELECT count(*)::int FROM refunds") == 0)
        }
    }

    @Test("instant exchange: shipped at request and authorised; past the deadline charged once though the timer fires twice")
    func instantExchangeCharged() async throws {
        var catalog = TestDatabase.catalog
        catalog.policy.resolutions.exchange.shipOn = .request
        try await TestDatabase.withEngine(catalog: catalog) { engine in
            try await stock(engine, "SHIRT-M", price: "60.00", onHand: 1)
            try await engine.makeOrder("IX-1", lines: ["SHIRT-S:1:60.00:general:P-SHIRT"])
            let created = try await engine.transitions.create(
                from: ask("IX-1", [.init(orderLine: "1", quantity: 1, resolution: .exchange, exchangeSKU: "SHIRT-M")]))
            #expect(try await engine.count("SELECT count(*)::int FROM exchange_orders") == 1)
            #expect(try await engine.exchangeCatalog.find(sku: "SHIRT-M")?.variant.onHand == 0)
            #expect(try await engine.count("SELECT count(*)::int FROM charges WHERE status = 'authorized' AND amount_minor = 6000") == 1)
            // Two workers at the deadline at once, then the same timer come due again: the authorisation is charged once.
            let later = Date().addingTimeInterval(15 * 86_400)
            async let first = engine.timers.fireDue(asOf: later)
            async let second = engine.timers.fireDue(asOf: later)
            #expect(try await first.fired + second.fired == 1)
            _ = try await engine.database.client.query("UPDATE timers SET status = 'pending' WHERE name = 'exchange_deadline'")
            #expect(try await engine.timers.fireDue(asOf: later).fired == 1)
            #expect(try await engine.count("SELECT count(*)::int FROM charges WHERE status = 'charged'") == 1)
            #expect(try await engine.count("SELECT count(*)::int FROM return_events WHERE event = 'exchange_charged'") == 1)
            #expect(try await state(engine, created.id) == "label_issued")
        }
    }

    @Test("instant exchange shipped in time: the authorisation is released and the deadline cancelled")
    func instantExchangeReleased() async throws {
        var catalog = TestDatabase.catalog
        catalog.policy.resolutions.exchange.shipOn = .request
        try await TestDatabase.withEngine(catalog: catalog) { engine in
            try await stock(engine, "SHIRT-M", price: "60.00", onHand: 1)
            try await engine.makeOrder("IX-2", lines: ["SHIRT-S:1:60.00:general:P-SHIRT"])
            let created = try await engine.transitions.create(
                from: ask("IX-2", [.init(orderLine: "1", quantity: 1, resolution: .exchange, exchangeSKU: "SHIRT-M")]))
            try await engine.drive(created.id, Self.graded)
            #expect(try await engine.count("SELECT count(*)::int FROM charges WHERE status = 'released'") == 1)
            #expect(try await engine.count("SELECT count(*)::int FROM charges WHERE status = 'charged'") == 0)
            #expect(try await engine.count("SELECT count(*)::int FROM timers WHERE name = 'exchange_deadline' AND status = 'pending'") == 0)
            #expect(try await state(engine, created.id) == "closed")
        }
    }

    @Test("released at delivery: nothing at the pickup, the refund at the carrier's delivery scan, nothing more at inspection")
    func releasedAtDelivery() async throws {
        var catalog = TestDatabase.catalog
        catalog.policy.resolutions.release.moments[.default] = .delivered
        try await TestDatabase.withEngine(catalog: catalog) { engine in
            try await engine.makeOrder("RD-1", lines: ["COAT:1:80.00"])
            let created = try await engine.transitions.create(from: ask("RD-1", [.init(orderLine: "1", quantity: 1)]))
            try await engine.drive(created.id, [("ship", tracking), ("scan", ["kind": .string("in_transit")])])
            #expect(try await engine.count("SELECT count(*)::int FROM refunds") == 0)
            try await engine.drive(created.id, [("scan", ["kind": .string("delivered")])])
            #expect(try await engine.rows("SELECT amount_minor FROM refunds", as: (Int64.self)) == [8_000 - 595])
            try await engine.drive(created.id, Array(Self.graded.dropFirst()))
            #expect(try await engine.count("SELECT count(*)::int FROM refunds") == 1)
            #expect(try await engine.count("SELECT count(*)::int FROM resolution_reviews") == 0)
            #expect(try await state(engine, created.id) == "closed")
        }
    }
}
