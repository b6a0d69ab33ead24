import ArgumentParser
import Foundation
import ReturnsCore
import ReturnsEngine
import ReturnsReconcile
import ReturnsStore

struct OrdersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "orders",
        abstract: "Load the shop's orders of record, which returns are made from; look one up.",
        subcommands: [Import.self, Show.self]
    )

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Insert or update orders of record from a CSV or JSON Lines file.",
            discussion: """
                The whole file is read and checked first; any bad line is reported as FILE:LINE:COLUMN: message \
                and nothing is written (exit 64). The orders are then written in one transaction: all of them, or \
                none when the database refuses one (exit 1), as when a line would fall below what was already \
                returned. An order given again with the same content changes nothing, so importing a file twice is safe.

                CSV: one row per order line, columns in any order: order_ref, customer_email, ordered_at, currency, \
                line_id, sku, quantity, unit_price (required); postal_code, customer_id, delivered_at, region, product_id, \
                variant_id, title, tax, category, final_sale (optional). The order's own columns repeat on each of \
                its rows. A byte order mark, CRLF line ends and quoted fields are accepted.

                JSON Lines: one order per line, {"order_ref": ..., "customer_email": ..., "lines": [{"line_id": ...}]}.
                """)

        @Argument(help: "The orders file.")
        var file: String
        @Option(help: "csv or jsonl (default: from the file name; .jsonl and .ndjson are JSON Lines, others CSV).")
        var format: OrderFileReader.Format?
        @Flag(name: .customLong("dry-run"), help: "Check the file and say what would change, writing nothing.")
        var dryRun = false
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            var reader = OrderFileReader(path: file, format: format ?? .guess(path: file))
            let terminal = isatty(STDERR_FILENO) == 1 && !output.json
            if terminal {
                reader.progress = { done in
                    FileHandle.standardError.write(Data("\rreading \(file): \(done) ...".utf8))
                }
            }
            let orders: [Order]
            do { orders = try reader.read() } catch {
                if terminal { FileHandle.standardError.write(Data("\r".utf8)) }
                printError(error.description, prefix: "")
                printError("nothing was written; fix the lines above and import again")
                throw ExitCode(64)
            }
            if terminal { FileHandle.standardError.write(Data("\r".utf8)) }
            let writes = try await database.withEngine { engine in
                try await engine.orders.importOrders(orders, dryRun: dryRun)
            }
            let counts = Dictionary(grouping: writes, by: \.self).mapValues(\.count)
            let summary = ImportSummary(
                orders: orders.count, lines: orders.reduce(0) { $0 + $1.lines.count },
                created: counts[.created] ?? 0, updated: counts[.updated] ?? 0, unchanged: counts[.unchanged] ?? 0,
                dryRun: dryRun)
            if output.json { return try printJSON(summary) }
            print(
                "\(summary.orders) orders (\(summary.lines) lines): \(summary.created) created, \(summary.updated) updated, "
                    + "\(summary.unchanged) unchanged" + (dryRun ? " (dry run: nothing written)" : ""))
        }

        struct ImportSummary: Encodable {
            var orders: Int
            var lines: Int
            var created: Int
            var updated: Int
            var unchanged: Int
            var dryRun: Bool
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show an order of record and what its returns hold.")

        @Argument(help: "The order reference.")
        var order: String
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            guard let stored = try await database.withEngine({ engine in try await engine.orders.find(ref: order) }) else {
                printError("no order '\(order)'; `returns orders import FILE` loads orders")
                throw ExitCode(2)
            }
            let o = stored.order
            let money = { (minor: Int64) in Money(minorUnits: minor, currency: o.currency).decimalString }
            if output.json {
                struct Line: Encodable {
                    var lineId, sku: String
                    var quantity, returned: Int
                    var unitPrice, category: String
                    var finalSale: Bool
                }
                struct Shown: Encodable {
                    var orderRef, customerEmail, currency, paid: String
                    var orderedAt: Date
                    var deliveredAt: Date?
                    var lines: [Line]
                }
                return try printJSON(
                    Shown(
                        orderRef: o.ref, customerEmail: o.customerEmail, currency: o.currency.code, paid: money(o.paidMinor),
                        orderedAt: o.orderedAt, deliveredAt: o.deliveredAt,
                        lines: o.lines.map {
                            Line(
                                lineId: $0.lineID, sku: $0.sku, quantity: $0.quantity, returned: stored.returned[$0.lineID] ?? 0,
                                unitPrice: money($0.unitPriceMinor), category: $0.category, finalSale: $0.finalSale)
                        }))
            }
            let dates = ISO8601DateFormatter()
            print("order \(o.ref) for \(o.customerEmail): \(money(o.paidMinor)) \(o.currency.code), ordered \(dates.string(from: o.orderedAt))"
                + (o.deliveredAt.map { ", delivered \(dates.string(from: $0))" } ?? ""))
            print(
                Table(
                    header: ["LINE", "SKU", "QTY", "RETURNED", "UNIT PRICE", "CATEGORY", "FINAL SALE"],
                    rows: o.lines.map {
                        [$0.lineID, $0.sku, "\($0.quantity)", "\(stored.returned[$0.lineID] ?? 0)", money($0.unitPriceMinor),
                         $0.category, $0.finalSale ? "yes" : ""]
                    }
                ).text)
        }
    }
}
