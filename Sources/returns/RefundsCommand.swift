import ArgumentParser
import Foundation
import ReturnsCore
import ReturnsEngine
import ReturnsStore

struct RefundsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "refunds", abstract: "Send refunds to the payment provider, list them, retry failed ones.",
        subcommands: [Send.self, List.self, Retry.self, ExportSettlement.self])

    struct Send: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send every due pending refund once and print the outcome.",
            discussion: """
                Providers: ledger (records the refund as approved for payout in this database; export it with \
                `returns refunds export-settlement`) or webhook (POST to a payment adapter with the refund's \
                idempotency key as Idempotency-Key). Temporary failures are retried with exponential backoff; \
                after --max-attempts the refund fails and its return moves to refund_failed.
                """)

        @Option(help: "Where refunds go: the ledger in this database, or a payment adapter's webhook.")
        var provider: RefundProviderKind = .ledger
        @Option(name: .customLong("webhook-url"), help: "The payment adapter's URL, for --provider webhook.")
        var webhookURL: String?
        @Option(name: .customLong("max-attempts"), help: "Attempts before a refund fails for good (1 to 100).")
        var maxAttempts = 5
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func validate() throws {
            if provider == .webhook {
                guard let webhookURL, let url = URL(string: webhookURL), url.scheme == "http" || url.scheme == "https"
                else { throw ValidationError("--provider webhook needs --webhook-url http(s)://...") }
            }
            guard (1...100).contains(maxAttempts) else { throw ValidationError("--max-attempts must be from 1 to 100") }
        }

        func run() async throws {
            let report = try await database.withEngine { engine in
                let chosen: any RefundProvider =
                    provider == .webhook
                    ? WebhookRefundProvider(url: URL(string: webhookURL ?? "")!) : LedgerProvider(database: engine.database)
                return try await engine.refunds.sendDue(
                    through: chosen, retry: RefundRetryPolicy(maxAttempts: maxAttempts))
            }
            if output.json {
                try printJSON(report)
            } else {
                print("\(report.paid) paid, \(report.retrying) to retry later, \(report.failed) failed")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List refunds, oldest first.")

        @Option(help: "Only refunds with this status.")
        var status: RefundStatus?
        @Option(help: "At most this many (1 to 10000).")
        var limit = 100
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func validate() throws {
            try validateListLimit(limit)
        }

        func run() async throws {
            let rows = try await database.withEngine { engine in
                try await engine.refunds.list(status: status?.rawValue, limit: limit)
            }
            if output.json {
                try printJSON(rows)
                return
            }
            if rows.isEmpty {
                print("no refunds" + (status.map { " with status \($0.rawValue)" } ?? ""))
                return
            }
            print(
                Table(
                    header: ["refund", "return", "amount", "status", "attempts", "reference / last error"],
                    rows: rows.map { row in
                        let amount =
                            Money.decimalString(minorUnits: row.amountMinor, currencyCode: row.currency) + " "
                            + row.currency
                        return [
                            row.id.uuidString.lowercased(), row.returnID.uuidString.lowercased(), amount, row.status,
                            String(row.attempts), row.providerReference ?? row.lastError ?? "",
                        ]
                    }
                ).text)
        }
    }

    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send a failed refund again; its return goes back to refund_pending.")

        @Argument(help: "The refund's id.")
        var id: String
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            guard let refundID = UUID(uuidString: id) else { throw ValidationError("'\(id)' is not a refund id") }
            let reopened = try await database.withEngine { engine in try await engine.refunds.retry(refundID) }
            guard reopened else {
                printError("refund \(refundID.uuidString.lowercased()) has not failed, so there is nothing to retry")
                throw ExitCode(1)
            }
            print("refund \(refundID.uuidString.lowercased()) is pending again")
        }
    }

    struct ExportSettlement: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export-settlement",
            abstract: "Write the ledger's payouts as a settlement CSV (the format `reconcile refunds` reads).")

        @Option(help: "The file to write (default: standard output).")
        var output: String?
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var format: OutputOptions

        func validate() throws {
            try validateJSONNeedsFile(json: format.json, output: output)
        }

        func run() async throws {
            let count = try await writing(to: output) { handle in
                try await database.withEngine { engine in try await engine.refunds.exportSettlement(to: handle) }
            }
            if let output {
                if format.json { return try printJSON(ExportOutput(file: output, rows: count)) }
                print("wrote \(count) settlement rows to \(output)")
            }
        }

        struct ExportOutput: Encodable {
            var file: String
            var rows: Int
        }
    }
}
