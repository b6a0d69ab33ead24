import Foundation
import PostgresNIO
import ReturnsCore
import ReturnsEngine
import ReturnsStore
@testable import ReturnsTestSupport
import Testing

@Suite("returns catalog, credit and report retained-revenue, as a user runs them")
struct ResolutionCommandTests {
    @Test("a catalog file with one bad line writes nothing and names FILE:LINE:COLUMN; fixed, it imports once")
    func catalogImport() async throws {
        let database = try await TestDatabase.makeDatabase()
        let bad = try OrdersCommandTests.write(
            "sku,product_id,title,attributes,price,currency,on_hand\n"
                + "SHIRT-M,P-SHIRT,Oxford,size=M,55.00,EUR,4\n"
                + "SHIRT-L,P-SHIRT,Oxford,size=L,55.005,EUR,2\n"
                + "SHIRT-XL,P-SHIRT,Oxford,size,55.00,EUR,2\n",
            name: "catalog.csv")
        let refused = try await CLI.run(["catalog", "import", bad], database: database)
        #expect(refused.code == 64)
        #expect(refused.errors.contains("catalog.csv:3:5:"), "\(refused.text)")
        #expect(refused.errors.contains("catalog.csv:4:4:"), "\(refused.text)")
        #expect(refused.errors.contains("nothing was written"))
        let good = try OrdersCommandTests.write(
            "sku,product_id,title,attributes,price,currency,on_hand\n"
                + "SHIRT-M,P-SHIRT,\"Oxford, slim\",size=M;colour=navy,55.00,EUR,4\n",
            name: "catalog.csv")
        let dry = try await CLI.run(["catalog", "import", good, "--dry-run", "--json"], database: database)
        #expect(try CLI.json(dry.output)["created"] as? Int == 1 && CLI.json(dry.output)["dryRun"] as? Bool == true)
        let first = try await CLI.run(["catalog", "import", good, "--json"], database: database)
        #expect(try CLI.json(first.output)["created"] as? Int == 1, "\(first.text)")
        let again = try await CLI.run(["catalog", "import", good, "--json"], database: database)
        #expect(try CLI.json(again.output)["unchanged"] as? Int == 1)
        let shown = try await CLI.run(["catalog", "show", "SHIRT-M"], database: database)
        #expect(shown.output.contains("4 on hand, 0 held for exchanges, 4 free") && shown.output.contains("colour=navy"))
        #expect(try await CLI.run(["catalog", "show", "NOPE"], database: database).code == 2)
    }

    @Test("credit adjust adds and takes with a reason; taking past the balance is refused (exit 1); show prints the ledger")
    func creditAdjust() async throws {
        let database = try await TestDatabase.makeDatabase()
        let added = try await CLI.run(
            ["credit", "adjust", "Ann@Example.com", "EUR", "12.50", "--reason", "goodwill", "--key", "k1"],
            database: database)
        #expect(added.code == 0, "\(added.text)")
        let repeated = try await CLI.run(
            ["credit", "adjust", "ann@example.com", "EUR", "12.50", "--reason", "goodwill", "--key", "k1"],
            database: database)
        #expect(repeated.code == 0)
        let tooMuch = try await CLI.run(
            ["credit", "adjust", "ann@example.com", "EUR", "--reason", "correction", "--", "-20.00"], database: database)
        #expect(tooMuch.code == 1 && tooMuch.errors.contains("12.50"), "\(tooMuch.text)")
        let noReason = try await CLI.run(["credit", "adjust", "ann@example.com", "EUR", "5.00"], database: database)
        #expect(noReason.code == 64)
        let shown = try await CLI.run(["credit", "show", "ann@example.com", "--json"], database: database)
        let statement = try CLI.json(shown.output)
        #expect((statement["balances"] as? [String: Any])?["EUR"] as? Int == 1_250)
        #expect((statement["entries"] as? [Any])?.count == 1)
        let text = try await CLI.run(["credit", "show", "ann@example.com"], database: database)
        #expect(text.output.contains("balance 12.50 EUR") && text.output.contains("goodwill"))
    }

    @Test("report retained-revenue counts exchanges and credit against what was returned")
    func retainedRevenue() async throws {
        let database = try await TestDatabase.makeDatabase()
        let catalog = try OrdersCommandTests.write(
            "sku,product_id,price,currency,on_hand\nSHIRT-M,P-SHIRT,60.00,EUR,5\n", name: "catalog.csv")
        let orders = try OrdersCommandTests.write(
            "order_ref,customer_email,ordered_at,currency,line_id,sku,product_id,quantity,unit_price\n"
                + "RR-1,rr@example.com,2026-11-28,EUR,1,SHIRT-S,P-SHIRT,1,60.00\n"
                + "RR-1,rr@example.com,2026-11-28,EUR,2,TIE-1,,1,40.00\n",
            name: "orders.csv")
        #expect(try await CLI.run(["catalog", "import", catalog], database: database).code == 0)
        #expect(try await CLI.run(["orders", "import", orders], database: database).code == 0)
        let created = try await CLI.run(
            ["return", "create", "--order", "RR-1", "--line", "1:1:doesnt_fit:exchange=SHIRT-M",
             "--line", "2:1::store_credit", "--json"], database: database)
        #expect(created.code == 0, "\(created.text)")
        let id = try #require(try CLI.json(created.output)["id"] as? String)
        for (event, data) in [
            ("issue_label", "{}"), ("ship", #"{"tracking_number": "1Z1"}"#), ("receive", "{}"), ("inspect", "{}"),
            ("grade", #"{"grade": "A"}"#), ("approve_refund", "{}"),
        ] {
            let step = try await CLI.run(["return", "event", id, event, "--data", data], database: database)
            #expect(step.code == 0, "\(event): \(step.text)")
        }
        let shown = try await CLI.run(["return", "show", id], database: database)
        #expect(shown.output.contains("exchange for SHIRT-M") && shown.output.contains("settled  refund 0.00"), "\(shown.output)")
        let report = try await CLI.run(["report", "retained-revenue", "--json"], database: database)
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(report.output.utf8)) as? [[String: Any]])
        let all = try #require(rows.first { $0["dimension"] as? String == "all" })
        #expect(all["total"] as? String == "100.00" && all["exchanged"] as? String == "60.00" && all["credited"] as? String == "40.00")
        #expect(rows.contains { $0["dimension"] as? String == "sku" && $0["key"] as? String == "SHIRT-S" })
        let bad = try await CLI.run(["return", "create", "--order", "RR-1", "--line", "1:1:x:cash"], database: database)
        #expect(bad.code == 64 && bad.errors.contains("refund, store_credit or exchange=SKU"))
    }

    @Test("report nrr: the share of 'no' per workflow, reason and locale, as a table and as JSON; nothing answered says so")
    func negativeResponseRate() async throws {
        let settings = try await TestDatabase.makeDatabase()
        let empty = try await CLI.run(["report", "nrr"], database: settings)
        #expect(empty.code == 0 && empty.output.contains("no answers in the period"), "\(empty.text)")
        try await TestDatabase.withEngine(on: settings) { engine in
            for (index, answer) in [(true, "en"), (false, "de"), (false, "de")].enumerated() {
                try await engine.makeOrder("N-\(index)", lines: ["SHOE-1:1:80.00"])
                let created = try await engine.transitions.create(
                    from: ReturnFromOrder(
                        orderRef: "N-\(index)", proof: .email("n-\(index)@example.com"),
                        lines: [.init(orderLine: "1", quantity: 1, reason: "doesnt_fit")], locale: answer.1))
                _ = try await engine.database.client.query(
                    """
                    INSERT INTO return_feedback (return_id, resolved, locale, follow_up)
                    VALUES (\(created.id), \(answer.0), \(answer.1), CASE WHEN \(answer.0) THEN NULL ELSE 'open' END)
                    """)
            }
        }
        let table = try await CLI.run(["report", "nrr"], database: settings)
        #expect(table.code == 0, "\(table.text)")
        #expect(table.output.contains("locale") && table.output.contains("66.7%") && table.output.contains("100.0%"), "\(table.output)")
        let json = try await CLI.run(["report", "nrr", "--json"], database: settings)
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [[String: Any]])
        let reason = try #require(rows.first { $0["dimension"] as? String == "reason" })
        #expect(reason["value"] as? String == "doesnt_fit" && reason["answers"] as? Int == 3 && reason["negative"] as? Int == 2)
        let german = try #require(rows.first { $0["dimension"] as? String == "locale" && $0["value"] as? String == "de" })
        #expect(german["rate"] as? Double == 1.0)
        let later = try await CLI.run(["report", "nrr", "--from", "2030-01-01"], database: settings)
        #expect(later.output.contains("no answers in the period"))
    }

    static let graded: [(String, [String: JSONValue])] = [
        ("ship", tracking), ("receive", [:]), ("inspect", [:]), ("grade", ["grade": .string("A")]),
        ("approve_refund", [:]),
    ]

    @Test("reconcile refunds matches the ledger's charges beside its refunds, netted in the totals; a missing charge is named")
    func chargesReconcile() async throws {
        let settings = try await TestDatabase.makeDatabase()
        let (chargeID, refunded) = try await TestDatabase.withEngine(on: settings) { engine in
            let eur = try Currency(code: "EUR")
            _ = try await engine.exchangeCatalog.put(
                CatalogVariant(sku: "SHIRT-L", productID: "P-SHIRT", priceMinor: 7_500, currency: eur, onHand: 2))
            try await engine.makeOrder("RC-1", lines: ["SHIRT-S:1:60.00:general:P-SHIRT"])
            let upsell = try await engine.transitions.create(
                from: ReturnFromOrder(
                    orderRef: "RC-1", proof: .email("rc-1@example.com"),
                    lines: [.init(orderLine: "1", quantity: 1, resolution: .exchange, exchangeSKU: "SHIRT-L")]))
            try await engine.drive(upsell.id, Self.graded)
            try await engine.makeOrder("RC-2", lines: ["SHOE-42:1:89.90"])
            let refund = try await engine.transitions.create(
                from: ReturnFromOrder(
                    orderRef: "RC-2", proof: .email("rc-2@example.com"),
                    lines: [.init(orderLine: "1", quantity: 1, reason: "damaged")]))
            try await engine.drive(refund.id, Self.graded)
            #expect(try await engine.refunds.sendDue(through: LedgerProvider(database: engine.database)).paid == 1)
            let charge = try #require(
                try await engine.rows("SELECT id FROM charges WHERE status = 'recorded' AND amount_minor = 1500", as: UUID.self).first)
            let paid = try #require(try await engine.rows("SELECT amount_minor FROM refunds", as: Int64.self).first)
            return (charge, paid)
        }
        let export = try OrdersCommandTests.write("", name: "settlement.csv")
        #expect(try await CLI.run(["refunds", "export-settlement", "--output", export], database: settings).code == 0)
        let exported = try String(contentsOfFile: export, encoding: .utf8)
        #expect(exported.contains("\(chargeID.uuidString.lowercased()),charge:"), "\(exported)")
        let clean = try await CLI.run(["reconcile", "refunds", "--settlement", export, "--format", "json"], database: settings)
        #expect(clean.code == 0, "\(clean.text)")
        let json = try CLI.json(clean.output)
        #expect((json["summary"] as? [String: Int])?["matched"] == 2)
        let net = Money.decimalString(minorUnits: refunded - 1_500, currencyCode: "EUR")
        #expect((json["totals"] as? [[String: String]])?.first?["engine"] == net, "\(clean.output)")
        #expect((json["totals"] as? [[String: String]])?.first?["settlement"] == net)

        let lacking = try OrdersCommandTests.write(
            exported.split(separator: "\n").filter { !$0.contains(chargeID.uuidString.lowercased()) }
                .joined(separator: "\n") + "\n",
            name: "settlement.csv")
        let missing = try await CLI.run(["reconcile", "refunds", "--settlement", lacking, "--format", "json"], database: settings)
        #expect(missing.code == 1)
        let found = try #require(try CLI.json(missing.output)["discrepancies"] as? [[String: Any]])
        #expect(found.count == 1 && found.first?["kind"] as? String == "missing_in_settlement")
        #expect(found.first?["refund_id"] as? String == chargeID.uuidString.lowercased())
    }

    @Test("reconcile credits: the gift-card provider's report against the cards issued through it")
    func creditsReconcile() async throws {
        let settings = try await TestDatabase.makeDatabase()
        let cards = ProviderWebhooks(giftCards: URL(string: "http://127.0.0.1:9/gift-cards")!)
        let ids = try await TestDatabase.withEngine(on: settings, webhooks: cards) { engine in
            var ids: [UUID] = []
            for number in 1...3 {
                try await engine.makeOrder("CR-\(number)", customerID: "C-\(number)", lines: ["SHIRT-S:1:60.00"])
                let created = try await engine.transitions.create(
                    from: ReturnFromOrder(
                        orderRef: "CR-\(number)", proof: .email("cr-\(number)@example.com"),
                        lines: [.init(orderLine: "1", quantity: 1, reason: "doesnt_fit", resolution: .storeCredit)]))
                try await engine.drive(created.id, Self.graded)
                ids.append(
                    try #require(try await engine.rows("SELECT id FROM gift_cards WHERE return_id = \(created.id)", as: UUID.self).first))
            }
            // The provider issued the first two; the third is still pending.
            _ = try await engine.database.client.query(
                "UPDATE gift_cards SET status = 'issued', reference = 'CARD-' || seq WHERE id = ANY(\([ids[0], ids[1]]))")
            return ids
        }
        func lid(_ id: UUID) -> String { id.uuidString.lowercased() }
        let unknown = UUID()
        // 60.00 less the 5.95 label, plus the 10% bonus: each card is 60.05.
        let report = try OrdersCommandTests.write(
            """
            gift_card_id,code,amount,currency,status,issued_at
            \(lid(ids[0])),CARD-1,60.05,EUR,issued,2026-12-01T10:00:00Z
            \(lid(ids[2])),CARD-3,60.05,EUR,issued,2026-12-01T10:00:00Z
            \(lid(unknown)),CARD-X,10.00,EUR,issued,2026-12-01T10:00:00Z

            """, name: "cards.csv")
        let result = try await CLI.run(["reconcile", "credits", "--report", report, "--format", "json"], database: settings)
        #expect(result.code == 1, "\(result.text)")
        let json = try CLI.json(result.output)
        #expect(
            json["summary"] as? [String: Int] == [
                "matched": 1, "status_mismatch": 1, "unknown_in_settlement": 1, "missing_in_settlement": 1,
                "amount_mismatch": 0, "currency_mismatch": 0, "duplicate_settlement": 0,
            ], "\(result.output)")
        let found = try #require(json["discrepancies"] as? [[String: Any]])
        let byKind = Dictionary(uniqueKeysWithValues: found.map { ($0["kind"] as! String, $0) })
        #expect(byKind["missing_in_settlement"]?["gift_card_id"] as? String == lid(ids[1]))
        #expect(byKind["status_mismatch"]?["gift_card_id"] as? String == lid(ids[2]))
        #expect(byKind["unknown_in_settlement"]?["gift_card_id"] as? String == lid(unknown))
        let bad = try OrdersCommandTests.write(
            "gift_card_id,code,amount,currency,status,issued_at\n\(lid(ids[0])),CARD-1,60.05,EUR,spent,2026-12-01T10:00:00Z\n",
            name: "cards.csv")
        let refused = try await CLI.run(["reconcile", "credits", "--report", bad], database: settings)
        #expect(refused.code == 2 && refused.errors.contains("cards.csv:2:5") && refused.errors.contains("issued, failed, voided"), "\(refused.text)")
    }
}
