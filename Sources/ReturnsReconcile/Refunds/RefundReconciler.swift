import Foundation
import ReturnsStore

/// Compares a provider's settlement file with what the engine sent it: the payment processor's with the refunds
/// and charges, the gift-card provider's with the cards issued through it (`SettlementMatching.Ledger`).
///
/// The file streams into a temporary table with `COPY FROM STDIN` and is matched in SQL, inside one transaction
/// that is set read-only once the temporary tables exist and is always rolled back: the database itself refuses
/// any write to the engine's tables, and nothing outlives the run.
public struct RefundReconciler: Sendable {
    public static let kinds = [
        "matched", "missing_in_settlement", "unknown_in_settlement", "amount_mismatch", "currency_mismatch",
        "status_mismatch", "duplicate_settlement",
    ]

    public var file: String
    public var layout: SettlementLayout
    public var ledger: SettlementMatching.Ledger
    /// What the engine made in [from, to) is expected in the file; nil leaves that end open.
    public var from: Date?
    public var to: Date?

    public init(
        file: String, layout: SettlementLayout, ledger: SettlementMatching.Ledger = .payments, from: Date? = nil,
        to: Date? = nil
    ) {
        self.file = file
        self.layout = layout
        self.ledger = ledger
        self.from = from
        self.to = to
    }

    /// Reads the file, matches it, and writes the report. `warn` hears about ignored columns; `progress` gets the
    /// bytes read so far.
    public func run(
        in database: Database, report: ReportWriter, warn: (String) -> Void = { _ in },
        progress: ((Int) -> Void)? = nil
    ) async throws -> ReconcileSummary {
        let reader = try SettlementReader(path: file, layout: layout)
        warnOfIgnoredColumns(reader.ignoredColumns, in: file, warn: warn)
        let matching = SettlementMatching(ledger, from: from, to: to)
        return try await database.reconcileRun { run in
            try await run.loadSettlement { row in
                let more = try reader.next(into: &row)
                if let progress, reader.lines % 16_384 == 0 { progress(reader.bytesRead) }
                return more
            }
            let matched = try await run.judge(matching)
            let counts = ReconcileSummary.counts(of: Self.kinds, matched: matched, found: try await run.counts())
            let summary = ReconcileSummary(
                counts: counts, totals: Self.currencyTotals(try await run.totals(matching)), skipped: reader.skipped,
                lines: reader.lines)
            report.begin(summary)
            try await run.results { report.write(Discrepancy($0, keyName: keyName)) }
            report.end()
            return summary
        }
    }

    /// What the report calls the file's id column.
    private var keyName: String { ledger == .giftCards ? "gift_card_id" : "refund_id" }

    /// One line per currency that either side has, in code order.
    private static func currencyTotals(_ totals: SettlementMatching.Totals) -> [CurrencyTotal] {
        Set(totals.engine.keys).union(totals.settlement.keys).sorted().map {
            CurrencyTotal(
                currency: $0, engineMinor: totals.engine[$0] ?? 0, settlementMinor: totals.settlement[$0] ?? 0)
        }
    }
}
