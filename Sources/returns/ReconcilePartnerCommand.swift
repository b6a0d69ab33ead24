import ArgumentParser
import Foundation
import ReturnsEngine
import ReturnsReconcile

struct ReconcilePartnerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "partner",
        abstract: "Reconcile a logistics partner's manifest with the engine's receipts and inspections.",
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
        try await reconciling(database, output: options.output) { db, handle in
            guard let partner else { throw ReconcileError.usage("give the partner: --partner NAME") }
            guard let manifest else { throw ReconcileError.usage("give the manifest file: --manifest FILE") }
            let (from, to) = try options.period()
            let report = ReportWriter(format: options.resolvedFormat, handle: handle)
            let catalog = WorkflowCatalog.load(folder: try Configuration.current.workflowsFolder())
            let progress = ProgressBar(file: manifest)
            defer { progress.finish() }
            let summary = try await PartnerReconciler(
                file: manifest, partner: partner, rules: InspectionRules(catalog: catalog), from: from, to: to
            ).run(in: db, report: report, warn: printWarning, progress: progress.update)
            do {
                try ReconciliationRecord(partner: partner, file: manifest, at: Date(), summary: summary).save(
                    home: Configuration.current.home)
            } catch {
                printWarning("could not keep this reconciliation for the scorecard: \(error)")
            }
            return summary
        }
    }
}
