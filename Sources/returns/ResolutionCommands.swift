import ArgumentParser
import Foundation
import ReturnsCore
import ReturnsEngine
import ReturnsReconcile
import ReturnsStore

struct CatalogCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "catalog",
        abstract: "Load the shop's exchangeable variants (price, stock), which exchanges hold and ship; look one up.",
        subcommands: [Import.self, Show.self]
    )

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Insert or update catalog variants from a CSV file.",
            discussion: """
                The whole file is read and checked first; any bad line is reported as FILE:LINE:COLUMN: message \
                and nothing is written (exit 64). The variants are then written in one transaction: all of them, \
                or none when one is refused (exit 1), as when its stock would fall below the units exchanges hold. \
                A variant given again with the same content changes nothing.

                Columns, in any order: sku, product_id, price, currency, on_hand (required); title, attributes \
                (optional; name=value pairs separated by ';', like size=M;colour=navy).
                """)

        @Argument(help: "The catalog file (CSV).")
        var file: String
        @Flag(name: .customLong("dry-run"), help: "Check the file and say what would change, writing nothing.")
        var dryRun = false
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let variants: [CatalogVariant]
            do { variants = try CatalogFileReader(path: file).read() } catch {
                printError(error.description, prefix: "")
                printError("nothing was written; fix the lines above and import again")
                throw ExitCode(64)
            }
            let writes = try await database.withEngine { engine in
                try await engine.exchangeCatalog.importVariants(variants, dryRun: dryRun)
            }
            let counts = Dictionary(grouping: writes, by: \.self).mapValues(\.count)
            struct Summary: Encodable {
                var variants, created, updated, unchanged: Int
                var dryRun: Bool
            }
            let summary = Summary(
                variants: variants.count, created: counts[.created] ?? 0, updated: counts[.updated] ?? 0,
                unchanged: counts[.unchanged] ?? 0, dryRun: dryRun)
            if output.json { return try printJSON(summary) }
            print(
                "\(summary.variants) variants: \(summary.created) created, \(summary.updated) updated, "
                    + "\(summary.unchanged) unchanged" + (dryRun ? " (dry run: nothing written)" : ""))
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a catalog variant: price, stock, units held.")

        @Argument(help: "The variant's SKU.")
        var sku: String
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            guard let stored = try await database.withEngine({ engine in try await engine.exchangeCatalog.find(sku: sku) }) else {
                printError("no variant '\(sku)'; `returns catalog import FILE` loads the catalog")
                throw ExitCode(2)
            }
            let variant = stored.variant
            struct Shown: Encodable {
                var sku, productId, title, price, currency: String
                var attributes: [String: String]
                var onHand, held, available: Int
            }
            let shown = Shown(
                sku: variant.sku, productId: variant.productID, title: variant.title, price: variant.price.decimalString,
                currency: variant.currency.code, attributes: variant.attributes, onHand: variant.onHand,
                held: stored.held, available: stored.available)
            if output.json { return try printJSON(shown) }
            print("\(variant.sku) (product \(variant.productID)) \(variant.title)")
            print("price      \(variant.price)")
            if !variant.attributes.isEmpty { print("attributes \(CatalogFields.attributesText(variant.attributes))") }
            print("stock      \(variant.onHand) on hand, \(stored.held) held for exchanges, \(stored.available) free")
        }
    }
}

struct CreditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "credit",
        abstract: "Customers' store credit: balances and ledger; operators' adjustments.",
        subcommands: [Show.self, Adjust.self]
    )

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a customer's store-credit balances and newest ledger lines.")

        @Argument(help: "The customer: the shop's customer id, or the email of orders without one.")
        var customer: String
        @Option(help: "Ledger lines to show (1 to 1000).")
        var limit = 20
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func validate() throws {
            guard (1...1000).contains(limit) else { throw ValidationError("--limit must be from 1 to 1000") }
        }

        func run() async throws {
            let statement = try await database.withEngine { engine in
                try await engine.credits.statement(of: customer, limit: limit)
            }
            if output.json { return try printJSON(statement) }
            if statement.balances.isEmpty {
                print("\(statement.customer) has no store credit")
                return
            }
            for (currency, balance) in statement.balances.sorted(by: { $0.key < $1.key }) {
                print("balance \(Money.decimalString(minorUnits: balance, currencyCode: currency)) \(currency)")
            }
            print(
                Table(
                    header: ["WHEN", "KIND", "AMOUNT", "EXPIRES", "CODE", "BY", "NOTE"],
                    rows: statement.entries.map {
                        [$0.createdAt.shortText, $0.kind,
                         "\(Money.decimalString(minorUnits: $0.amountMinor, currencyCode: $0.currency)) \($0.currency)",
                         $0.expiresAt?.shortText ?? "", $0.code ?? "", $0.actor, $0.note ?? ""]
                    }
                ).text)
        }
    }

    struct Adjust: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add to or take from a customer's store credit, with the reason kept in the ledger.",
            discussion: """
                AMOUNT is a decimal in CURRENCY, negative to take credit away (write it after --, like \
                `returns credit adjust ann@example.com EUR -- -5.00 --reason "duplicate credit"`). Taking more than \
                the balance is refused (exit 1) and writes nothing. With --key, running the same adjustment again \
                writes it once.
                """)

        @Argument(help: "The customer: the shop's customer id, or the email of orders without one.")
        var customer: String
        @Argument(help: "The currency, like EUR.")
        var currency: String
        @Argument(help: "The amount, like 5.00 or -5.00.")
        var amount: String
        @Option(help: "Why (kept in the ledger).")
        var reason: String
        @Option(help: "An idempotency key: the same key again changes nothing. Default: a new one each run.")
        var key: String?
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let money: Money
            do { money = try Money.parse(amount, currency: try Currency(code: currency.uppercased())) } catch {
                throw ValidationError("'\(amount) \(currency)': \(error)")
            }
            let entry = try await database.withEngine { engine in
                try await engine.credits.adjust(
                    customer, amount: money, reason: reason, idempotencyKey: key ?? UUID().uuidString, actor: "operator")
            }
            if output.json { return try printJSON(entry) }
            print("adjusted \(StoreCredits.account(customer)) by \(money) (ledger line \(entry.id))")
        }
    }
}

/// The period of a report: --from and --to, the last 30 days unless given.
struct ReportPeriod: ParsableArguments {
    @Option(help: "From this date (YYYY-MM-DD or ISO 8601; default: 30 days ago).")
    var from: String?
    @Option(help: "Up to this date, inclusive for a bare date (default: now).")
    var to: String?

    func dates() throws -> (Date, Date) {
        do {
            return (
                try from.map { try ReconcilePeriod.parse($0, option: "--from") } ?? Date().addingTimeInterval(-30 * 86_400),
                try to.map { try ReconcilePeriod.parse($0, option: "--to", endOfDay: true) } ?? Date()
            )
        } catch {
            throw ValidationError("\(error)")
        }
    }
}

struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report", abstract: "Figures for the business.", subcommands: [RetainedRevenue.self, NegativeResponses.self])

    struct NegativeResponses: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "nrr",
            abstract: "The negative response rate: the share of \"no\" to \"Did we resolve your problem?\".",
            discussion: """
                Customers answer on their return's status page once it has ended; an answer counts in the period it \
                was last given. Rows per workflow, partner, reason code (the return's first line's) and locale: \
                ANSWERS, NO and NRR = no / answers. A "no" opens a follow-up for the staff.
                """)

        @OptionGroup var period: ReportPeriod
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let (start, end) = try period.dates()
            let rows = try await database.withEngine { engine in try await engine.lookup.responseRates(from: start, to: end) }
            if output.json {
                struct Row: Encodable {
                    var dimension, value: String
                    var answers, negative: Int
                    var rate: Double
                }
                return try printJSON(
                    rows.map { Row(dimension: $0.dimension, value: $0.value, answers: $0.answers, negative: $0.negative, rate: $0.rate) })
            }
            if rows.isEmpty {
                print("no answers in the period")
                return
            }
            print(
                Table(
                    header: ["BY", "VALUE", "ANSWERS", "NO", "NRR"],
                    rows: rows.map { [$0.dimension, $0.value, "\($0.answers)", "\($0.negative)", String(format: "%.1f%%", $0.rate * 100)] }
                ).text)
        }
    }

    struct RetainedRevenue: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "retained-revenue",
            abstract: "What returns were worth and how much was kept as exchanges and store credit, by reason and SKU.",
            discussion: """
                Value is units times the price paid. TOTAL counts every unit of returns made in the period that were \
                not cancelled; EXCHANGED, CREDITED and REFUNDED count the units settled each way so far. RETAINED is \
                (exchanged + credited) / total.
                """)

        @OptionGroup var period: ReportPeriod
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let (start, end) = try period.dates()
            let rows = try await database.withEngine { engine in try await engine.lookup.retainedRevenue(from: start, to: end) }
            if output.json {
                struct Row: Encodable {
                    var currency, dimension, key, total, exchanged, credited, refunded: String
                    var retainedShare: Double
                }
                return try printJSON(
                    rows.map { row in
                        let money = { (minor: Int64) in Money.decimalString(minorUnits: minor, currencyCode: row.currency) }
                        return Row(
                            currency: row.currency, dimension: row.dimension, key: row.key, total: money(row.totalMinor),
                            exchanged: money(row.exchangedMinor), credited: money(row.creditedMinor),
                            refunded: money(row.refundedMinor), retainedShare: row.retainedShare)
                    })
            }
            if rows.isEmpty {
                print("no returns in the period")
                return
            }
            print(
                Table(
                    header: ["CURRENCY", "BY", "KEY", "TOTAL", "EXCHANGED", "CREDITED", "REFUNDED", "RETAINED"],
                    rows: rows.map { row in
                        let money = { (minor: Int64) in Money.decimalString(minorUnits: minor, currencyCode: row.currency) }
                        return [
                            row.currency, row.dimension, row.key, money(row.totalMinor), money(row.exchangedMinor),
                            money(row.creditedMinor), money(row.refundedMinor), String(format: "%.1f%%", row.retainedShare * 100),
                        ]
                    }
                ).text)
        }
    }
}
