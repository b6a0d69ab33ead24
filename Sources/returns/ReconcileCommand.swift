import ArgumentParser
import Foundation
import ReturnsEngine
import ReturnsReconcile

struct ReconcileCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reconcile",
        abstract: "Compare a partner's manifest or a processor's settlement file with the engine's records.",
        discussion: """
            Nothing is written to the database: the file goes into a temporary table of a read-only, rolled-back \
            transaction. Exit codes: 0 everything matches; 1 discrepancies found; 2 bad input or usage; \
            3 the database cannot be reached.
            """,
        subcommands: [ReconcileRefundsCommand.self, ReconcilePartnerCommand.self])
}

/// Options both reconciliations share.
struct ReconcileOutputOptions: ParsableArguments {
    @Option(help: "Engine records from this date (YYYY-MM-DD or ISO 8601).")
    var from: String?
    @Option(help: "Engine records up to this date, inclusive for a bare date.")
    var to: String?
    @Option(help: "table, csv or json. Default: table on a terminal, json otherwise.")
    var format: String?
    @Option(help: "Write the report to this file instead of standard output.")
    var output: String?

    func period() throws -> (Date?, Date?) {
        (
            try from.map { try ReconcilePeriod.parse($0, option: "--from") },
            try to.map { try ReconcilePeriod.parse($0, option: "--to", endOfDay: true) }
        )
    }

    func resolvedFormat() throws -> ReportWriter.Format {
        guard let format else { return output == nil && isatty(STDOUT_FILENO) == 1 ? .table : .json }
        guard let chosen = ReportWriter.Format(rawValue: format) else {
            throw ReconcileError.usage("--format must be table, csv or json")
        }
        return chosen
    }
}

struct ReconcileRefundsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "refunds", abstract: "Reconcile refunds with the payment processor's settlement file.",
        discussion: """
            Presets read processors' own exports: stripe (itemized balance change report) and adyen (settlement \
            details report); other rows in them (payments, fees) are skipped and counted. --map FIELD=COLUMN names \
            the column for a field (refund_id, processor_reference, amount, currency, status, settled_at).
            """)

    @Option(help: "The settlement CSV file.")
    var settlement: String?
    @Option(help: "standard (default), stripe or adyen.")
    var preset: String?
    @Option(help: "FIELD=COLUMN: read FIELD from COLUMN (repeatable).")
    var map: [String] = []
    @OptionGroup var options: ReconcileOutputOptions
    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        try await reconciling(database, output: options.output) { client, logger, handle in
            guard let settlement else { throw ReconcileError.usage("give the settlement file: --settlement FILE") }
            var layout = SettlementLayout(preset: .standard)
            if let preset {
                guard let chosen = SettlementLayout.Preset(rawValue: preset) else {
                    throw ReconcileError.usage("--preset must be stripe or adyen (or standard)")
                }
                layout = SettlementLayout(preset: chosen)
            }
            try layout.map(map)
            let (from, to) = try options.period()
            let report = ReportWriter(format: try options.resolvedFormat(), handle: handle)
            let progress = ProgressBar(file: settlement)
            defer { progress.finish() }
            return try await RefundReconciler(file: settlement, layout: layout, from: from, to: to).run(
                on: client, logger: logger, report: report, warn: printWarning, progress: progress.update)
        }
    }
}

struct ReconcilePartnerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "partner", abstract: "Reconcile a logistics partner's manifest with the engine's receipts and inspections.",
        discussion: """
            The manifest is CSV with a header; columns in any order: return_id, sku, quantity_received, grade, \
            disposition, received_at, inspected_at (required), partner_reference, notes (optional). The outcome is kept \
            in $RETURNS_HOME/reconciliations/ for `returns partner scorecard`.
            """)

    @Option(help: "The partner's name.")
    var partner: String?
    @Option(help: "The manifest CSV file.")
    var manifest: String?
    @OptionGroup var options: ReconcileOutputOptions
    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        try await reconciling(database, output: options.output) { client, logger, handle in
            guard let partner else { throw ReconcileError.usage("give the partner: --partner NAME") }
            guard let manifest else { throw ReconcileError.usage("give the manifest file: --manifest FILE") }
            let (from, to) = try options.period()
            let report = ReportWriter(format: try options.resolvedFormat(), handle: handle)
            let catalog = WorkflowCatalog.load(folder: try WorkflowCatalog.locateFolder())
            let progress = ProgressBar(file: manifest)
            defer { progress.finish() }
            let summary = try await PartnerReconciler(
                file: manifest, partner: partner, rules: InspectionRules(catalog: catalog), from: from, to: to
            ).run(on: client, logger: logger, report: report, warn: printWarning, progress: progress.update)
            do {
                try ReconciliationRecord(partner: partner, file: manifest, at: Date(), summary: summary).save(
                    home: database.home)
            } catch {
                printWarning("could not keep this reconciliation for the scorecard: \(error)")
            }
            return summary
        }
    }
}
