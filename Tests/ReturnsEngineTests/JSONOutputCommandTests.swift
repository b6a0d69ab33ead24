import Foundation
import ReturnsCore
import ReturnsEngine
import ReturnsStore
import Testing

/// Commands that print data answer `--json` with what the text says; closed choices are refused by the parser.
@Suite("--json on every command that prints data, and closed choices, as a user runs them")
struct JSONOutputCommandTests {
    @Test("partner add and rotate-key print the partner and its new key as JSON")
    func partnerKeys() async throws {
        let database = try await TestDatabase.makeDatabase()
        let added = try CLI.run(["partner", "add", "acme", "--region", "EU", "--json"], database: database)
        #expect(added.code == 0, "\(added.text)")
        let first = try CLI.json(added.output)
        #expect(first["partner"] as? String == "acme")
        let key = try #require(first["key"] as? String)
        #expect(key.hasPrefix("rk_partner_"))
        // The warning that the key is shown once stays on standard error, out of the JSON.
        #expect(added.errors.contains("not shown again"))

        let rotated = try CLI.run(["partner", "rotate-key", "acme", "--json"], database: database)
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
            let made = try CLI.run(["finance", "add-key", "payouts-bot", "--json"], database: database)
            #expect(made.code == 0, "\(made.text)")
            let answer = try CLI.json(made.output)
            #expect(answer["name"] as? String == "payouts-bot")
            #expect((answer["key"] as? String)?.hasPrefix("rk_finance_") == true)
        }
        let revoked = try CLI.run(["finance", "revoke-key", "payouts-bot", "--json"], database: database)
        #expect(revoked.code == 0, "\(revoked.text)")
        let answer = try CLI.json(revoked.output)
        #expect(answer["name"] as? String == "payouts-bot")
        #expect(answer["revoked"] as? Int == 2)
        #expect(try CLI.run(["finance", "revoke-key", "payouts-bot", "--json"], database: database).code == 2)
    }

    @Test("an option with a closed set of values refuses others before doing anything, naming the values")
    func closedChoices() throws {
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
            let result = try CLI.run(
                arguments, database: nil,
                environment: ["DATABASE_URL": "postgres://nobody@127.0.0.1:1/none?sslmode=disable"])
            #expect(result.code == code, "\(arguments): \(result.text)")
            #expect(result.errors.contains(values), "\(arguments): \(result.errors)")
        }
    }

    @Test("the help of an option with a closed set of values lists them")
    func helpListsValues() throws {
        for (command, values) in [
            (["refunds", "list"], "pending, sent, succeeded, failed"),
            (["notify", "list"], "pending, delivered, dead"),
            (["workflow", "graph"], "mermaid, dot"),
            (["reconcile", "refunds"], "table, csv, json"),
            (["refunds", "send"], "ledger, webhook"),
        ] {
            let help = try CLI.run(command + ["--help"], database: nil)
            #expect(help.code == 0)
            // Help wraps at the terminal's width; the words count, not where the lines break.
            let words = help.output.split(whereSeparator: \.isWhitespace).joined(separator: " ")
            #expect(words.contains(values), "\(command): \(help.output)")
        }
    }
}
