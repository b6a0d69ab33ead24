import Foundation
import PostgresNIO
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
        let refused = try CLI.run(["catalog", "import", bad], database: database)
        #expect(refused.code == 64)
        #expect(refused.errors.contains("catalog.csv:3:5:"), "\(refused.text)")
        #expect(refused.errors.contains("catalog.csv:4:4:"), "\(refused.text)")
        #expect(refused.errors.contains("nothing was written"))
        let good = try OrdersCommandTests.write(
            "sku,product_id,title,attributes,price,currency,on_hand\n"
                + "SHIRT-M,P-SHIRT,\"Oxford, slim\",size=M;colour=navy,55.00,EUR,4\n",
            name: "catalog.csv")
        let dry = try CLI.run(["catalog", "import", good, "--dry-run", "--json"], database: database)
        #expect(try CLI.json(dry.output)["created"] as? Int == 1 && CLI.json(dry.output)["dryRun"] as? Bool == true)
        let first = try CLI.run(["catalog", "import", good, "--json"], database: database)
        #expect(try CLI.json(first.output)["created"] as? Int == 1, "\(first.text)")
        let again = try CLI.run(["catalog", "import", good, "--json"], database: database)
        #expect(try CLI.json(again.output)["unchanged"] as? Int == 1)
        let shown = try CLI.run(["catalog", "show", "SHIRT-M"], database: database)
        #expect(shown.output.contains("4 on hand, 0 held for exchanges, 4 free") && shown.output.contains("colour=navy"))
        #expect(try CLI.run(["catalog", "show", "NOPE"], database: database).code == 2)
    }

    @Test("credit adjust adds and takes with a reason; taking past the balance is refused (exit 1); show prints the ledger")
    func creditAdjust() async throws {
        let database = try await TestDatabase.makeDatabase()
        let added = try CLI.run(
            ["credit", "adjust", "Ann@Example.com", "EUR", "12.50", "--reason", "goodwill", "--key", "k1"],
            database: database)
        #expect(added.code == 0, "\(added.text)")
        let repeated = try CLI.run(
            ["credit", "adjust", "ann@example.com", "EUR", "12.50", "--reason", "goodwill", "--key", "k1"],
            database: database)
        #expect(repeated.code == 0)
        let tooMuch = try CLI.run(
            ["credit", "adjust", "ann@example.com", "EUR", "--reason", "correction", "--", "-20.00"], database: database)
        #expect(tooMuch.code == 1 && tooMuch.errors.contains("12.50"), "\(tooMuch.text)")
        let noReason = try CLI.run(["credit", "adjust", "ann@example.com", "EUR", "5.00"], database: database)
        #expect(noReason.code == 64)
        let shown = try CLI.run(["credit", "show", "ann@example.com", "--json"], database: database)
        let statement = try CLI.json(shown.output)
        #expect((statement["balances"] as? [String: Any])?["EUR"] as? Int == 1_250)
        #expect((statement["entries"] as? [Any])?.count == 1)
        let text = try CLI.run(["credit", "show", "ann@example.com"], database: database)
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
        #expect(try CLI.run(["catalog", "import", catalog], database: database).code == 0)
        #expect(try CLI.run(["orders", "import", orders], database: database).code == 0)
        let created = try CLI.run(
            ["return", "create", "--order", "RR-1", "--line", "1:1:doesnt_fit:exchange=SHIRT-M",
             "--line", "2:1::store_credit", "--json"], database: database)
        #expect(created.code == 0, "\(created.text)")
        let id = try #require(try CLI.json(created.output)["id"] as? String)
        for (event, data) in [
            ("issue_label", "{}"), ("ship", #"{"tracking_number": "1Z1"}"#), ("receive", "{}"), ("inspect", "{}"),
            ("grade", #"{"grade": "A"}"#), ("approve_refund", "{}"),
        ] {
            let step = try CLI.run(["return", "event", id, event, "--data", data], database: database)
            #expect(step.code == 0, "\(event): \(step.text)")
        }
        let shown = try CLI.run(["return", "show", id], database: database)
        #expect(shown.output.contains("exchange for SHIRT-M") && shown.output.contains("settled  refund 0.00"), "\(shown.output)")
        let report = try CLI.run(["report", "retained-revenue", "--json"], database: database)
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(report.output.utf8)) as? [[String: Any]])
        let all = try #require(rows.first { $0["dimension"] as? String == "all" })
        #expect(all["total"] as? String == "100.00" && all["exchanged"] as? String == "60.00" && all["credited"] as? String == "40.00")
        #expect(rows.contains { $0["dimension"] as? String == "sku" && $0["key"] as? String == "SHIRT-S" })
        let bad = try CLI.run(["return", "create", "--order", "RR-1", "--line", "1:1:x:cash"], database: database)
        #expect(bad.code == 64 && bad.errors.contains("refund, store_credit or exchange=SKU"))
    }
}
