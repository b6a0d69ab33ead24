import ArgumentParser
import Foundation
import ReturnsReconcile

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
    // A transform rather than ArgumentParser's generic refusal: scripts match this message, as reconcile's tests do.
    @Option(
        help: "The settlement file's layout: standard (ours, the default), stripe or adyen.",
        transform: { text in
            guard let preset = SettlementLayout.Preset(argument: text) else {
                throw ValidationError("--preset must be stripe or adyen (or standard)")
            }
            return preset
        })
    var preset: SettlementLayout.Preset = .standard
    @Option(help: "FIELD=COLUMN: read FIELD from COLUMN (repeatable).")
    var map: [String] = []
    @OptionGroup var options: ReconcileOutputOptions
    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        try await reconciling(database, output: options.output) { db, handle in
            guard let settlement else { throw ReconcileError.usage("give the settlement file: --settlement FILE") }
            var layout = SettlementLayout(preset: preset)
            try layout.map(map)
            let (from, to) = try options.period()
            let report = ReportWriter(format: options.resolvedFormat, handle: handle)
            let progress = ProgressBar(file: settlement)
            defer { progress.finish() }
            return try await RefundReconciler(file: settlement, layout: layout, from: from, to: to).run(
                in: db, report: report, warn: printWarning, progress: progress.update)
        }
    }
}
