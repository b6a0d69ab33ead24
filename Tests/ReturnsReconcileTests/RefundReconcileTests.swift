import Foundation
import PostgresNIO
import ReturnsEngine
import ReturnsStore
@testable import ReturnsTestSupport
import Testing

@Suite("returns reconcile refunds, against a real ledger")
struct RefundReconcileTests {
    static let header = "refund_id,processor_reference,amount,currency,status,settled_at\n"

    func lid(_ id: UUID) -> String { id.uuidString.lowercased() }

    @Test("every discrepancy kind from a small hand-made file; nothing is written; exit 1")
    func everyKind() async throws {
        let settings = try await TestDatabase.makeDatabase()
        let r = (0..<7).map { _ in UUID() }
        let unknown = UUID()
        try await Database.with(settings, logger: TestDatabase.logger) { database in
            try await ReconcileFixtures.insert(
                [
                    .init(id: r[0], minor: 10_000), .init(id: r[1], minor: 5_000), .init(id: r[2], minor: 2_000),
                    .init(id: r[3], minor: 3_000), .init(id: r[4], minor: 1_000),
                    .init(id: r[5], minor: 1_500, currency: "JPY"), .init(id: r[6], minor: 700, status: "pending"),
                ], into: database)
            let before = try await ReconcileFixtures.tableCounts(database)
            let file = try ReconcileFixtures.file(
                Self.header + """
                    \(lid(r[0])),pr_0,100.00,EUR,settled,2025-11-03T10:00:00Z
                    \(lid(r[1])),pr_1,49.99,EUR,settled,2025-11-03T10:00:00Z
                    \(lid(r[2])),pr_2,20.00,USD,settled,2025-11-03T10:00:00Z
                    \(lid(r[3])),pr_3,30.00,EUR,reversed,2025-11-03T10:00:00Z
                    \(lid(r[4])),pr_4,10.00,EUR,settled,2025-11-03T10:00:00Z
                    \(lid(r[4])),pr_4,10.00,EUR,settled,2025-11-04T10:00:00Z
                    \(lid(unknown)),pr_x,5.00,EUR,settled,2025-11-03T10:00:00Z

                    """)
            let result = try await CLI.run(
                ["reconcile", "refunds", "--settlement", file, "--format", "json"], database: settings)
            #expect(result.code == 1, "\(result.text)")
            let json = try CLI.json(result.output)
            let summary = try #require(json["summary"] as? [String: Int])
            #expect(
                summary == [
                    "matched": 2, "amount_mismatch": 1, "currency_mismatch": 1, "status_mismatch": 1,
                    "duplicate_settlement": 1, "missing_in_settlement": 1, "unknown_in_settlement": 1,
                ])
            let found = try #require(json["discrepancies"] as? [[String: Any]])
            let byKind = Dictionary(uniqueKeysWithValues: found.map { ($0["kind"] as! String, $0) })
            #expect(byKind["amount_mismatch"]?["refund_id"] as? String == lid(r[1]))
            #expect(byKind["amount_mismatch"]?["line"] as? Int == 3)
            #expect(byKind["amount_mismatch"]?["expected"] as? String == "50.00 EUR")
            #expect(byKind["amount_mismatch"]?["actual"] as? String == "49.99 EUR")
            #expect(byKind["currency_mismatch"]?["expected"] as? String == "EUR")
            #expect(byKind["currency_mismatch"]?["actual"] as? String == "USD")
            #expect(byKind["status_mismatch"]?["expected"] as? String == "succeeded")
            #expect(byKind["status_mismatch"]?["actual"] as? String == "reversed")
            #expect(byKind["duplicate_settlement"]?["line"] as? Int == 7)
            #expect(byKind["missing_in_settlement"]?["refund_id"] as? String == lid(r[5]))
            #expect(byKind["missing_in_settlement"]?["line"] is NSNull)
            #expect(byKind["missing_in_settlement"]?["expected"] as? String == "succeeded 1500 JPY")
            #expect(byKind["unknown_in_settlement"]?["refund_id"] as? String == lid(unknown))
            let totals = try #require(json["totals"] as? [[String: String]])
            // Engine: 100 + 50 + 20 + 30 + 10 EUR and 1500 JPY (the pending 7.00 is not counted as refunded).
            // File: 100 + 49.99 + 10 + 10 + 5 EUR settled (the reversal has no settled line), 20 USD.
            #expect(
                totals == [
                    ["currency": "EUR", "engine": "210.00", "settlement": "174.99", "difference": "-35.01"],
                    ["currency": "JPY", "engine": "1500", "settlement": "0", "difference": "-1500"],
                    ["currency": "USD", "engine": "0.00", "settlement": "20.00", "difference": "20.00"],
                ])
            #expect(try await ReconcileFixtures.tableCounts(database) == before)

            let csv = try await CLI.run(
                ["reconcile", "refunds", "--settlement", file, "--format", "csv"], database: settings)
            #expect(csv.code == 1)
            let rows = csv.output.split(separator: "\n")
            #expect(rows.first == "kind,key_name,key,line,expected,actual")
            #expect(rows.count == 7)
            #expect(rows.contains("amount_mismatch,refund_id,\(lid(r[1])),3,50.00 EUR,49.99 EUR"))

            let out = NSTemporaryDirectory() + "report-\(UUID().uuidString).txt"
            let table = try await CLI.run(
                ["reconcile", "refunds", "--settlement", file, "--format", "table", "--output", out], database: settings
            )
            #expect(table.code == 1)
            #expect(table.output.isEmpty)
            let text = try String(contentsOfFile: out, encoding: .utf8)
            #expect(text.hasPrefix("matched                2\nmissing_in_settlement  1\n"))
            #expect(text.contains("amount_mismatch         3         \(lid(r[1]))  50.00 EUR -> 49.99 EUR"))
            // Not a terminal: no progress bar, nothing but the report.
            #expect(table.errors.isEmpty)
        }
    }

    @Test("a file that agrees exits 0; --from/--to limit what the engine expects")
    func allMatch() async throws {
        let settings = try await TestDatabase.makeDatabase()
        let id = UUID()
        try await Database.with(settings, logger: TestDatabase.logger) { database in
            try await ReconcileFixtures.insert([.init(id: id, minor: 1_999), .init(minor: 500)], into: database)
            try await database.client.query("UPDATE refunds SET created_at = '2025-10-15T00:00:00Z' WHERE id <> \(id)")
        }
        let file = try ReconcileFixtures.file(Self.header + "\(lid(id)),pr_1,19.99,EUR,settled,2025-11-03T10:00:00Z\n")
        let inPeriod = try await CLI.run(
            ["reconcile", "refunds", "--settlement", file, "--from", "2025-11-01", "--format", "json"],
            database: settings)
        #expect(inPeriod.code == 0, "\(inPeriod.text)")
        #expect(
            try CLI.json(inPeriod.output)["summary"] as? [String: Int] == [
                "matched": 1, "amount_mismatch": 0, "currency_mismatch": 0, "status_mismatch": 0,
                "duplicate_settlement": 0, "missing_in_settlement": 0, "unknown_in_settlement": 0,
            ])
        let everything = try await CLI.run(
            ["reconcile", "refunds", "--settlement", file, "--format", "json"], database: settings)
        #expect(everything.code == 1)
        #expect((try CLI.json(everything.output)["summary"] as? [String: Int])?["missing_in_settlement"] == 1)
    }

    @Test("bad input exits 2 with FILE:LINE:COLUMN; usage errors exit 2; an unreachable database exits 3")
    func exitCodes() async throws {
        let settings = try await TestDatabase.makeDatabase()
        let file = try ReconcileFixtures.file(
            Self.header + "\(lid(UUID())),pr_1,1500.5,JPY,settled,2025-11-03T10:00:00Z\n", name: "bad.csv")
        let bad = try await CLI.run(["reconcile", "refunds", "--settlement", file], database: settings)
        #expect(bad.code == 2)
        #expect(bad.errors == "error: \(file):2:3: amount '1500.5' has 1 decimal, but JPY has no decimals\n")
        #expect(bad.output.isEmpty)

        let noFile = try await CLI.run(["reconcile", "refunds"], database: settings)
        #expect(noFile.code == 2)
        #expect(noFile.errors.contains("give the settlement file: --settlement FILE"))
        let unknownOption = try await CLI.run(["reconcile", "refunds", "--bogus"], database: settings)
        #expect(unknownOption.code == 2)
        let badPreset = try await CLI.run(
            ["reconcile", "refunds", "--settlement", file, "--preset", "paypal"], database: settings)
        #expect(badPreset.code == 2)
        #expect(badPreset.errors.contains("--preset must be stripe or adyen"))
        let badMap = try await CLI.run(["reconcile", "refunds", "--settlement", file, "--map", "price"], database: settings)
        #expect(badMap.code == 2)

        let good = try ReconcileFixtures.file(
            Self.header + "\(lid(UUID())),pr_1,15.00,EUR,settled,2025-11-03T10:00:00Z\n")
        let down = try await CLI.run(
            ["reconcile", "refunds", "--settlement", good], database: nil,
            environment: ["DATABASE_URL": "postgres://nobody@127.0.0.1:1/returns?sslmode=disable"])
        #expect(down.code == 3, "\(down.text)")
        #expect(down.errors.contains("127.0.0.1:1"))
    }

    @Test("--preset stripe reads an itemized balance change report; other rows are skipped and counted")
    func stripe() async throws {
        let settings = try await TestDatabase.makeDatabase()
        let (a, b, c) = (UUID(), UUID(), UUID())
        try await Database.with(settings, logger: TestDatabase.logger) { database in
            try await ReconcileFixtures.insert(
                [
                    .init(id: a, minor: 2_500), .init(id: b, minor: 1_000),
                    .init(id: c, minor: 300_000, currency: "JPY"),
                ],
                into: database)
        }
        // Columns as Stripe's itemized balance change report (balance_change_from_activity.itemized.3) writes them.
        let file = try ReconcileFixtures.file(
            """
            balance_transaction_id,created_utc,created,available_on_utc,currency,gross,fee,net,reporting_category,source_id,description,customer_facing_amount,customer_facing_currency,refund_metadata[refund_id]
            txn_1Pay,2025-11-02 09:00:00,2025-11-02 10:00:00,2025-11-04 00:00:00,eur,89.90,-1.55,88.35,charge,ch_1,Order 1,89.90,eur,
            txn_2Ref,2025-11-03 09:00:00,2025-11-03 10:00:00,2025-11-05 00:00:00,eur,-25.00,0.00,-25.00,refund,re_a,"Refund, order 1",25.00,eur,\(lid(a))
            txn_3Ref,2025-11-03 09:05:00,2025-11-03 10:05:00,2025-11-05 00:00:00,eur,-10.00,0.00,-10.00,refund,re_b,Refund,10.00,eur,\(lid(b))
            txn_4Fail,2025-11-04 09:00:00,2025-11-04 10:00:00,2025-11-06 00:00:00,eur,10.00,0.00,10.00,refund_failure,re_b,Refund failed,10.00,eur,\(lid(b))
            txn_5Ref,2025-11-03 11:00:00,2025-11-03 12:00:00,2025-11-05 00:00:00,jpy,-3000,0,-3000,refund,re_c,Refund,3000,jpy,\(lid(c))
            txn_6Fee,2025-11-05 00:00:00,2025-11-05 01:00:00,2025-11-05 00:00:00,eur,-2.00,0.00,-2.00,fee,,Radar,,,

            """, name: "stripe.csv")
        let result = try await CLI.run(
            ["reconcile", "refunds", "--settlement", file, "--preset", "stripe", "--format", "json"], database: settings
        )
        #expect(result.code == 1, "\(result.text)")
        let json = try CLI.json(result.output)
        let summary = try #require(json["summary"] as? [String: Int])
        #expect(summary["matched"] == 2)
        #expect(summary["status_mismatch"] == 1)
        #expect(summary["amount_mismatch"] == 1)
        #expect(json["skipped"] as? Int == 2)
        let found = try #require(json["discrepancies"] as? [[String: Any]])
        #expect(found.map { $0["kind"] as? String } == ["status_mismatch", "amount_mismatch"])
        #expect(found[0]["refund_id"] as? String == lid(b))
        #expect(found[0]["actual"] as? String == "failed")
        #expect(found[1]["refund_id"] as? String == lid(c))
        #expect(found[1]["expected"] as? String == "300000 JPY")
        #expect(found[1]["actual"] as? String == "3000 JPY")
    }

    @Test("--preset adyen reads a settlement details report; --map maps any other file")
    func adyenAndMap() async throws {
        let settings = try await TestDatabase.makeDatabase()
        let (a, b) = (UUID(), UUID())
        try await Database.with(settings, logger: TestDatabase.logger) { database in
            try await ReconcileFixtures.insert(
                [.init(id: a, minor: 4_990), .init(id: b, minor: 1_250)], into: database)
        }
        // Columns as Adyen's settlement details report writes them.
        let file = try ReconcileFixtures.file(
            """
            Company Account,Merchant Account,Psp Reference,Merchant Reference,Payment Method,Creation Date,TimeZone,Type,Modification Reference,Gross Currency,Gross Debit (GC),Gross Credit (GC),Exchange Rate,Net Currency,Net Debit (NC),Net Credit (NC),Commission (NC),Markup (NC),Scheme Fees (NC),Interchange (NC),Payment Method Variant,Modification Merchant Reference,Batch Number
            Shop,ShopEU,8815000000000001,ORDER-1,visa,2025-11-01 10:00:00,CET,Settled,8815000000000001,EUR,,99.80,1,EUR,,99.50,0.30,,,,visa,,41
            Shop,ShopEU,8815000000000002,ORDER-1,visa,2025-11-03 10:00:00,CET,Refunded,8825000000000002,EUR,49.90,,1,EUR,49.90,,,,,,visa,\(lid(a)),41
            Shop,ShopEU,8815000000000003,\(lid(b)),visa,2025-11-03 11:00:00,CET,Refunded,8825000000000003,EUR,12.50,,1,EUR,12.50,,,,,,visa,,41
            Shop,ShopEU,8815000000000004,ORDER-2,visa,2025-11-04 10:00:00,CET,RefundedReversed,8825000000000004,EUR,,12.50,1,EUR,,12.50,,,,,visa,\(lid(b)),41
            Shop,ShopEU,,,,2025-11-05 00:00:00,CET,Fee,,EUR,0.12,,1,EUR,0.12,,,,,,,,41

            """, name: "adyen.csv")
        let result = try await CLI.run(
            ["reconcile", "refunds", "--settlement", file, "--preset", "adyen", "--format", "json"], database: settings)
        #expect(result.code == 1, "\(result.text)")
        let json = try CLI.json(result.output)
        let summary = try #require(json["summary"] as? [String: Int])
        #expect(summary["matched"] == 2)
        #expect(summary["status_mismatch"] == 1)
        #expect(json["skipped"] as? Int == 2)
        let found = try #require(json["discrepancies"] as? [[String: Any]])
        #expect(found.first?["refund_id"] as? String == lid(b))
        #expect(found.first?["line"] as? Int == 5)
        #expect(found.first?["actual"] as? String == "reversed")

        let mapped = try ReconcileFixtures.file(
            "Ref;ID,Bank ref,Value,Cur,State,When\n\(lid(a)),b1,49.90,EUR,settled,2025-11-03\n\(lid(b)),b2,12.50,EUR,settled,2025-11-03\n"
        )
        let custom = try await CLI.run(
            [
                "reconcile", "refunds", "--settlement", mapped, "--map", "refund_id=Ref;ID", "--map",
                "processor_reference=Bank ref", "--map", "amount=Value", "--map", "currency=Cur", "--map",
                "status=State",
                "--map", "settled_at=When", "--format", "json",
            ], database: settings)
        #expect(custom.code == 0, "\(custom.text)")
        #expect((try CLI.json(custom.output)["summary"] as? [String: Int])?["matched"] == 2)
    }

    @Test("a 100,000-line file streams through with exact counts")
    func hundredThousandLines() async throws {
        let settings = try await TestDatabase.makeDatabase()
        let lines = 100_000
        // Refund g has the id 00000000-0000-0000-0000-<g in hex> and is worth 100 + g cents; every 1,000th line is
        // off by a cent, the last 10 refunds are left out of the file.
        func id(_ g: Int) -> String {
            let hex = String(g, radix: 16)
            return "00000000-0000-0000-0000-" + String(repeating: "0", count: 12 - hex.count) + hex
        }
        // Only the refunds matter to this test: skip the triggers and foreign keys (their returns) to keep it quick.
        try await Database.with(settings, logger: TestDatabase.logger) { database in
            try await database.client.withConnection { connection in
                try await connection.query("SET session_replication_role = replica", logger: TestDatabase.logger)
                try await connection.query(
                    """
                    INSERT INTO refunds (id, return_id, idempotency_key, amount_minor, currency, status, decided_seq)
                    SELECT lpad(to_hex(g), 32, '0')::uuid, gen_random_uuid(), 'k' || g, 100 + g, 'EUR', 'succeeded', 5
                    FROM generate_series(1, \(lines)) g
                    """, logger: TestDatabase.logger)
                try await connection.query("SET session_replication_role = origin", logger: TestDatabase.logger)
            }
        }
        var text = "refund_id,processor_reference,amount,currency,status,settled_at\r\n"
        text.reserveCapacity(lines * 100)
        for g in 1...(lines - 10) {
            let minor = 100 + g + (g % 1_000 == 0 ? 1 : 0)
            let cents = minor % 100
            text +=
                id(g) + ",\"pr,\(g)\"," + String(minor / 100) + (cents < 10 ? ".0" : ".") + String(cents)
                + ",EUR,settled,2025-11-03T10:00:00Z\r\n"
        }
        let file = try ReconcileFixtures.file(text)
        let result = try await CLI.run(
            ["reconcile", "refunds", "--settlement", file, "--format", "json"], database: settings)
        #expect(result.code == 1, "\(result.errors)")
        let summary = try #require(try CLI.json(result.output)["summary"] as? [String: Int])
        #expect(summary["matched"] == lines - 10 - 99)
        #expect(summary["amount_mismatch"] == 99)
        #expect(summary["missing_in_settlement"] == 10)
        #expect(summary["unknown_in_settlement"] == 0)
        #expect(summary["duplicate_settlement"] == 0)
    }
}
