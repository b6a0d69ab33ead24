import Foundation
import ReturnsCore
import ReturnsEngine
import ReturnsStore
@testable import ReturnsTestSupport
import Testing

/// Commands that print data answer `--json` with what the text says; closed choices are refused by the parser.
@Suite("--json on every command that prints data, and closed choices, as a user runs them")
struct JSONOutputCommandTests {
    @Test("partner add and rotate-key print the partner and its new key as JSON")
    func partnerKeys() async throws {
        let database = try await TestDatabase.makeDatabase()
        let added = try await CLI.run(["partner", "add", "acme", "--region", "EU", "--json"], database: database)
        #expect(added.code == 0, "\(added.text)")
        let first = try CLI.json(added.output)
        #expect(first["partner"] as? String == "acme")
        let key = try #require(first["key"] as? String)
        #expect(key.hasPrefix("rk_partner_"))
        // The warning that the key is shown once stays on standard error, out of the JSON.
        #expect(added.errors.contains("not shown again"))

        let rotated = try await CLI.run(["partner", "rotate-key", "acme", "--json"], database: database)
        #expect(rotated.code == 0, "\(rotated.text)")
        let second = try CLI.json(rotated.output)
        #expect(second["partner"] as? String == "acme")
        let newKey = try #require(second["key"] as? String)
        #expect(newKey.hasPrefix("rk_partner_"))
        #expect(newKey != key)
    }

    @Test("finance add-key prints the name and key, revoke-key the count, as JSON")
    func financeKeys() async throws {
        let database = try await TestDatabase.makeDatabase()
        for _ in 0..<2 {
            let made = try await CLI.run(["finance", "add-key", "payouts-bot", "--json"], database: database)
            #expect(made.code == 0, "\(made.text)")
            let answer = try CLI.json(made.output)
            #expect(answer["name"] as? String == "payouts-bot")
            #expect((answer["key"] as? String)?.hasPrefix("rk_finance_") == true)
        }
        let revoked = try await CLI.run(["finance", "revoke-key", "payouts-bot", "--json"], database: database)
        #expect(revoked.code == 0, "\(revoked.text)")
        let answer = try CLI.json(revoked.output)
        #expect(answer["name"] as? String == "payouts-bot")
        #expect(answer["revoked"] as? Int == 2)
        #expect(try await CLI.run(["finance", "revoke-key", "payouts-bot", "--json"], database: database).code == 2)
    }

    @Test("the exports report the file and its row count as JSON, and --json without --output is refused")
    func exports() async throws {
        try await TestDatabase.withEngine { engine in
            let id = try await engine.makeReturn()
            try await engine.drive(
                id, untilReceived + [("inspect", [:]), ("grade", ["grade": .string("A")]), ("approve_refund", [:])])
            let database = engine.database.settings
            let sent = try await CLI.run(["refunds", "send", "--json"], database: database)
            #expect(sent.code == 0, "\(sent.text)")
            #expect(try CLI.json(sent.output)["paid"] as? Int == 1)

            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("exports-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            func dataLines(_ path: String) throws -> Int {
                try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").count - 1
            }

            let settlement = folder.appendingPathComponent("settlement.csv").path
            let exported = try await CLI.run(
                ["refunds", "export-settlement", "--output", settlement, "--json"], database: database)
            #expect(exported.code == 0, "\(exported.text)")
            let rows = try CLI.json(exported.output)
            #expect(rows["file"] as? String == settlement)
            #expect(rows["rows"] as? Int == 1)
            #expect(try dataLines(settlement) == 1)

            let stock = folder.appendingPathComponent("stock.csv").path
            let moved = try await CLI.run(["inventory", "export", "--output", stock, "--json"], database: database)
            #expect(moved.code == 0, "\(moved.text)")
            let movements = try CLI.json(moved.output)
            #expect(movements["file"] as? String == stock)
            let count = try #require(movements["movements"] as? Int)
            #expect(count == 2)
            #expect(try dataLines(stock) == count)

            for command in [["refunds", "export-settlement"], ["inventory", "export"]] {
                let refused = try await CLI.run(command + ["--json"], database: database)
                #expect(refused.code == 64, "\(command): \(refused.text)")
                #expect(refused.errors.contains("--json needs --output FILE"))
            }
        }
    }

    @Test("notify retry reports how many are pending again, and notify run what it delivered, as JSON")
    func notifications() async throws {
        try await TestDatabase.withEngine { engine in
            _ = try await engine.refundedReturn(locale: "en")
            let ids = try await engine.rows("SELECT message_id::text FROM outbox ORDER BY seq", as: (String.self))
            #expect(ids.count == 4)
            let database = engine.database.settings

            try await engine.database.client.query(
                "UPDATE outbox SET status = 'dead' WHERE message_id::text = \(ids[0])")
            let one = try await CLI.run(["notify", "retry", ids[0], "--json"], database: database)
            #expect(one.code == 0, "\(one.text)")
            let answer = try CLI.json(one.output)
            #expect(answer["retried"] as? Int == 1)
            #expect(answer["messageID"] as? String == ids[0])

            try await engine.database.client.query(
                "UPDATE outbox SET status = 'dead' WHERE message_id::text <> \(ids[0])")
            let all = try await CLI.run(["notify", "retry", "--all-dead", "--json"], database: database)
            #expect(all.code == 0, "\(all.text)")
            #expect(try CLI.json(all.output)["retried"] as? Int == 3)

            let spool = FileManager.default.temporaryDirectory.appendingPathComponent("spool-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: spool) }
            let running = try CLI.spawn(
                ["notify", "run", "--channel", "spool", "--spool-dir", spool.path, "--json"], database: database)
            let delivered = try await engine.eventually(60) { try await engine.outboxStatuses() == ["delivered": 4] }
            #expect(delivered, "\(running.read(running.errorPath))")
            kill(running.pid, SIGTERM)
            let stopped = try await running.wait()
            #expect(stopped.code == 0, "\(stopped.text)")
            #expect(stopped.errors.contains("dispatching notifications through spool"))
            #expect(try CLI.json(stopped.output)["delivered"] as? Int == 4)
        }
    }

    @Test("migrate --json lists the migrations it applied, and none the second time")
    func migrate() async throws {
        let cloned = try await TestDatabase.makeDatabase()
        let empty = cloned.with(database: TestDatabase.prefix + "unmigrated")
        try await Database.createDatabaseIfMissing(empty, logger: TestDatabase.logger)
        let files = try FileManager.default.contentsOfDirectory(
            atPath: TestDatabase.packageRoot.appendingPathComponent("Schema").path
        ).filter { $0.hasSuffix(".sql") }.sorted()
        let first = try await CLI.run(["migrate", "--json"], database: empty)
        #expect(first.code == 0, "\(first.text)")
        #expect(try CLI.json(first.output)["applied"] as? [String] == files)
        let second = try await CLI.run(["migrate", "--json"], database: empty)
        #expect(try CLI.json(second.output)["applied"] as? [String] == [])
    }

    @Test("demo --json lists every return it made with its final state, and the counts")
    func demo() async throws {
        let database = try await TestDatabase.makeDatabase()
        let result = try await CLI.run(["demo", "--json"], database: database)
        #expect(result.code == 0, "\(result.text)")
        let answer = try CLI.json(result.output)
        let returns = try #require(answer["returns"] as? [[String: Any]])
        #expect(!returns.isEmpty)
        #expect(returns.allSatisfy { $0["id"] is String && $0["state"] is String && $0["path"] is String })
        #expect((answer["transitions"] as? Int ?? 0) > returns.count)
        #expect(((answer["timers"] as? [String: Any])?["fired"] as? Int ?? 0) > 0)
        let showcase = try #require(answer["showcase"] as? String)
        #expect(returns.contains { $0["id"] as? String == showcase })
        let shown = try await CLI.run(["return", "show", showcase, "--json"], database: database)
        let finalState = returns.first { $0["id"] as? String == showcase }?["state"] as? String
        #expect(try CLI.json(shown.output)["state"] as? String == finalState)
    }

    @Test("an option with a closed set of values refuses others before doing anything, naming the values")
    func closedChoices() async throws {
        let cases: [([String], String, Int32)] = [
            (["workflow", "graph", "keep-it", "--format", "svg"], "'mermaid' and 'dot'", 64),
            (["notify", "list", "--status", "lost"], "'pending', 'delivered' or 'dead'", 64),
            (["refunds", "list", "--status", "paid"], "'pending', 'sent', 'succeeded' or 'failed'", 64),
            (["refunds", "send", "--provider", "paypal"], "'ledger' and 'webhook'", 64),
            (["notify", "drain", "--channel", "pigeon"], "'webhook' and 'spool'", 64),
            // reconcile keeps its own exit code for usage errors.
            (["reconcile", "refunds", "--settlement", "x.csv", "--format", "xml"], "'table', 'csv' or 'json'", 2),
            (["reconcile", "partner", "--partner", "acme", "--manifest", "x.csv", "--format", "pdf"], "'json'", 2),
        ]
        for (arguments, values, code) in cases {
            // A database that cannot be reached: a value the parser let through would show as exit 69 (or 3).
            let result = try await CLI.run(
                arguments, database: nil,
                environment: ["DATABASE_URL": "postgres://nobody@127.0.0.1:1/none?sslmode=disable"])
            #expect(result.code == code, "\(arguments): \(result.text)")
            #expect(result.errors.contains(values), "\(arguments): \(result.errors)")
        }
    }

    @Test("the help of an option with a closed set of values lists them")
    func helpListsValues() async throws {
        for (command, values) in [
            (["refunds", "list"], "pending, sent, succeeded, failed"),
            (["notify", "list"], "pending, delivered, dead"),
            (["workflow", "graph"], "mermaid, dot"),
            (["reconcile", "refunds"], "table, csv, json"),
            (["refunds", "send"], "ledger, webhook"),
        ] {
            let help = try await CLI.run(command + ["--help"], database: nil)
            #expect(help.code == 0)
            // Help wraps at the terminal's width; the words count, not where the lines break.
            let words = help.output.split(whereSeparator: \.isWhitespace).joined(separator: " ")
            #expect(words.contains(values), "\(command): \(help.output)")
        }
    }
}
