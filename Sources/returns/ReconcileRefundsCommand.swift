import ArgumentParser
import Foundation
import ReturnsReconcile
import ReturnsStore

struct ReconcileRefundsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "refunds",
        abstract: "Reconcile refunds and charges with the payment processor's settlement file.",
        discussion: """
            A line names one of the engine's refunds or charges (an upsell's difference, an instant exchange \
            captured) by its id in refund_id; charges count against refunds in the totals. Presets read processors' own exports: stripe (itemized balance change report) and adyen (settlement \
            details report); other rows in them (payments, fees) are skipped and counted. --map FIELD=COLUMN names \
            the column for a field (refund_id, processor_reference, amount, currency, status, settled_at).
            """)

    @Option(help: "The settlement CSV file.")
    var settlement: String?
    // A transform rather than ArgumentParser's generic refusal: scripts match this message, as reconcile's tests do.
    @Option(
        help: "The settlement file's layout: standard (ours, the default), stripe or adyen.",
        transform: { text in
            guard let preset = SettlementLayout.Preset(argument: text), preset != .giftCards else {
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
            return try await reconcileFile(
                settlement, preset: preset, map: map, ledger: .payments, options: options, in: db, to: handle)
        }
    }
}

struct ReconcileCreditsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "credits", abstract: "Reconcile gift cards with the gift-card provider's report.",
        discussion: """
            Store credit issued through the gift-card provider (RETURNS_GIFT_CARD_WEBHOOK_URL) against the \
            provider's report of the cards it issued: a CSV with gift_card_id, code, amount, currency, status \
            (issued, failed, voided) and issued_at; --map FIELD=COLUMN names other columns (refund_id for the card's \
            id, processor_reference for the code, settled_at for issued_at). Cards the ledger issued itself are \
            not expected in it. The discrepancies are those of reconcile refunds.
            """)

    @Option(help: "The gift-card provider's report (CSV).")
    var report: String?
    @Option(help: "FIELD=COLUMN: read FIELD from COLUMN (repeatable).")
    var map: [String] = []
    @OptionGroup var options: ReconcileOutputOptions
    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        try await reconciling(database, output: options.output) { db, handle in
            guard let report else { throw ReconcileError.usage("give the provider's report: --report FILE") }
            return try await reconcileFile(
                report, preset: .giftCards, map: map, ledger: .giftCards, options: options, in: db, to: handle)
        }
    }
}

/// What `reconcile refunds` and `reconcile credits` share: the file read with its layout and `--map`, judged against
/// `ledger` for the period, the report written with a progress bar.
private func reconcileFile(
    _ file: String, preset: SettlementLayout.Preset, map: [String], ledger: SettlementMatching.Ledger,
    options: ReconcileOutputOptions, in database: Database, to handle: FileHandle
) async throws -> ReconcileSummary {
    var layout = SettlementLayout(preset: preset)
    try layout.map(map)
    let (from, to) = try options.period()
    let report = ReportWriter(format: options.resolvedFormat, handle: handle)
    let progress = ProgressBar(file: file)
    defer { progress.finish() }
    return try await RefundReconciler(file: file, layout: layout, ledger: ledger, from: from, to: to).run(
        in: database, report: report, warn: printWarning, progress: progress.update)
}
