import Foundation
import ReturnsCore
import ReturnsEngine
import ReturnsStore
import Testing

/// Commands that print data answer `--json` with what the text says; closed choices are refused by the parser.
@Suite("--json on every command that prints data, and closed choices, as a user runs them")
struct JSONOutputCommandTests {
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
