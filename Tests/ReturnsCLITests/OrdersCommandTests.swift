import Foundation
import PostgresNIO
import ReturnsEngine
import ReturnsStore
@testable import ReturnsTestSupport
import Testing

@Suite("returns orders import and return create --line, as a user runs them")
struct OrdersCommandTests {
    static func write(_ text: String, name: String) throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("orders-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let path = folder.appendingPathComponent(name).path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    static func counts(_ database: DatabaseSettings) async throws -> [Int] {
        try await Database.with(database, logger: TestDatabase.logger) { db in
            var counts: [Int] = []
            for table in ["orders", "order_lines", "returns"] {
                for try await count in try await db.client.query(
                    PostgresQuery(unsafeSQL: "SELECT count(*)::int FROM \(table)")
                ).decode(Int.self) {
                    counts.append(count)
                }
            }
            return counts
        }
    }

    @Test("a messy CSV (BOM, CRLF, quoted fields, reordered columns) is imported; the same file again changes nothing")
    func messyCSV() async throws {
        let database = try await TestDatabase.makeDatabase()
        let file = try Self.write(
            "\u{FEFF}sku,order_ref,line_id,quantity,unit_price,currency,customer_email,ordered_at,title,final_sale\r\n"
                + "SHOE-42,A-1,1,1,89.90,EUR,ana@example.com,2026-11-20,\"Runner, size 42\",false\r\n"
                + "SOCK-3P,A-1,2,2,9.95,EUR,ana@example.com,2026-11-20,\"Socks \"\"3 pack\"\"\",\r\n"
                + "\r\n"
                + "LAMP,B-7,1,1,49.00,GBP,bo@example.com,2026-11-21,Lamp,yes\r\n",
            name: "orders.csv")
        let first = try await CLI.run(["orders", "import", file, "--json"], database: database)
        #expect(first.code == 0, "\(first.text)")
        let answer = try CLI.json(first.output)
        #expect(answer["orders"] as? Int == 2 && answer["lines"] as? Int == 3 && answer["created"] as? Int == 2)
        let again = try await CLI.run(["orders", "import", file, "--json"], database: database)
        #expect(try CLI.json(again.output)["unchanged"] as? Int == 2, "\(again.text)")
        #expect(try await Self.counts(database) == [2, 3, 0])

        let shown = try await CLI.run(["orders", "show", "A-1", "--json"], database: database)
        #expect(shown.code == 0)
        #expect(shown.output.contains("\"paid\" : \"109.80\"") || shown.output.contains("\"paid\":\"109.80\""), "\(shown.output)")

        // A return of the order's lines from the CLI takes the order's prices; more than remains is refused.
        let created = try await CLI.run(["return", "create", "--order", "A-1", "--line", "2:2:damaged", "--json"], database: database)
        #expect(created.code == 0, "\(created.text)")
        let beyond = try await CLI.run(["return", "create", "--order", "A-1", "--line", "2:1"], database: database)
        #expect(beyond.code == 1)
        #expect(beyond.errors.contains("already returned or in a return"), "\(beyond.errors)")
        let override = try await CLI.run(["return", "create", "--order", "A-1", "--line", "1:1", "--override-price", "1:10.00"], database: database)
        #expect(override.code == 64)
        #expect(override.errors.contains("--override-reason"))
    }

    /// Each bad line class, the position the message must name, and the words it must say.
    static let badFiles: [(name: String, text: String, position: String, words: String)] = [
        ("unknown column", "order_ref,customer_email,ordered_at,currency,line_id,sku,quantity,unit_price,colour\nA,a@x.com,2026-11-20,EUR,1,S,1,1.00,red\n", ":1:9:", "unknown column 'colour'"),
        ("missing column", "order_ref,customer_email,ordered_at,currency,line_id,sku,quantity\nA,a@x.com,2026-11-20,EUR,1,S,1\n", ":1:8:", "missing required column 'unit_price'"),
        ("negative price", "order_ref,customer_email,ordered_at,currency,line_id,sku,quantity,unit_price\nA,a@x.com,2026-11-20,EUR,1,S,1,-1.00\n", ":2:8:", "must not be negative"),
        ("bad date", "order_ref,customer_email,ordered_at,currency,line_id,sku,quantity,unit_price\nA,a@x.com,20/11/2026,EUR,1,S,1,1.00\n", ":2:3:", "is not a date"),
        ("bad currency", "order_ref,customer_email,ordered_at,currency,line_id,sku,quantity,unit_price\nA,a@x.com,2026-11-20,EURO,1,S,1,1.00\n", ":2:4:", "ISO 4217"),
        ("extra field", "order_ref,customer_email,ordered_at,currency,line_id,sku,quantity,unit_price\nA,a@x.com,2026-11-20,EUR,1,S,1,1.00,surplus\n", ":2:9:", "the header names 8"),
        ("zero quantity", "order_ref,customer_email,ordered_at,currency,line_id,sku,quantity,unit_price\nA,a@x.com,2026-11-20,EUR,1,S,0,1.00\n", ":2:7:", "from 1 to 10000"),
        ("duplicate line", "order_ref,customer_email,ordered_at,currency,line_id,sku,quantity,unit_price\nA,a@x.com,2026-11-20,EUR,1,S,1,1.00\nA,a@x.com,2026-11-20,EUR,1,T,1,2.00\n", ":3:5:", "appears twice"),
        ("order told two ways", "order_ref,customer_email,ordered_at,currency,line_id,sku,quantity,unit_price\nA,a@x.com,2026-11-20,EUR,1,S,1,1.00\nA,b@x.com,2026-11-20,EUR,2,T,1,2.00\n", ":3:2:", "described differently than on line 2"),
        ("header injection", "order_ref,customer_email,ordered_at,currency,line_id,sku,quantity,unit_price\nA,\"a@x.com\r\nBcc: e@evil.example\",2026-11-20,EUR,1,S,1,1.00\n", ":2:2:", "is not an email address"),
        ("NUL in a field", "order_ref,customer_email,ordered_at,currency,line_id,sku,quantity,unit_price,title\nA,a@x.com,2026-11-20,EUR,1,S,1,1.00,a\u{0}b\n", ":2:9:", "NUL byte"),
        ("JSON line with a bad price", #"{"order_ref": "A", "customer_email": "a@x.com", "ordered_at": "2026-11-20", "currency": "JPY", "lines": [{"line_id": "1", "sku": "S", "quantity": 1, "unit_price": "1.5"}]}"# + "\n", ":1:1:", "lines[0].unit_price"),
    ]

    @Test("every bad line class is refused with FILE:LINE:COLUMN, exit 64, and nothing written", arguments: 0..<badFiles.count)
    func badFile(_ index: Int) async throws {
        let bad = Self.badFiles[index]
        let database = try await TestDatabase.makeDatabase()
        let file = try Self.write(bad.text, name: bad.name.hasPrefix("JSON") ? "orders.jsonl" : "orders.csv")
        let result = try await CLI.run(["orders", "import", file], database: database)
        #expect(result.code == 64, "\(bad.name): \(result.text)")
        #expect(result.errors.contains(file + bad.position), "\(bad.name): \(result.errors)")
        #expect(result.errors.contains(bad.words), "\(bad.name): \(result.errors)")
        #expect(result.errors.contains("nothing was written"))
        #expect(try await Self.counts(database) == [0, 0, 0], "\(bad.name)")
    }

    @Test("--dry-run says what would change and writes nothing")
    func dryRun() async throws {
        let database = try await TestDatabase.makeDatabase()
        let file = try Self.write(
            "order_ref,customer_email,ordered_at,currency,line_id,sku,quantity,unit_price\nD-1,d@x.com,2026-11-20,EUR,1,S,1,1.00\n",
            name: "orders.csv")
        let result = try await CLI.run(["orders", "import", file, "--dry-run"], database: database)
        #expect(result.code == 0, "\(result.text)")
        #expect(result.output.contains("1 created") && result.output.contains("dry run"))
        #expect(try await Self.counts(database) == [0, 0, 0])
    }
}
