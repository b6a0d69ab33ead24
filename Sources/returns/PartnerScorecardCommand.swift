import ArgumentParser
import Foundation
import ReturnsEngine
import ReturnsReconcile

struct PartnerScorecardCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scorecard",
        abstract:
            "Volume, receipt-to-inspection times, SLA compliance, grades, the customers' negative response rate and the "
            + "last reconciliation's discrepancy rate."
    )

    @Option(help: "The partner's name.")
    var partner: String
    @Option(help: "Receipts from this date (YYYY-MM-DD or ISO 8601).")
    var from: String?
    @Option(help: "Receipts up to this date, inclusive for a bare date.")
    var to: String?
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let card = try await database.withEngine { engine in
            do {
                let start = try from.map { try ReconcilePeriod.parse($0, option: "--from") }
                let end = try to.map { try ReconcilePeriod.parse($0, option: "--to", endOfDay: true) }
                var card = try await PartnerScorecard.compute(
                    partner: partner, rules: InspectionRules(catalog: engine.catalog), from: start, to: end,
                    in: engine.database)
                card.lastReconciliation = ReconciliationRecord.load(partner: partner, home: Configuration.current.home)
                let rates = try await engine.lookup.responseRates(
                    from: start ?? .distantPast, to: end ?? Date(), partner: partner)
                if let row = rates.first(where: { $0.dimension == "partner" }) {
                    card.feedbackAnswers = row.answers
                    card.negativeResponseRate = row.rate
                }
                return card
            } catch let error as ReconcileError {
                printError(error.description)
                throw ExitCode(64)
            }
        }
        if output.json {
            try printJSON(card)
            return
        }
        func hours(_ value: Double?) -> String { value.map { String(format: "%.1f h", $0) } ?? "-" }
        print("partner          \(card.partner)")
        print("volume           \(card.volume) returns received, \(card.inspected) inspected")
        print("inspection time  median \(hours(card.medianHours)), p95 \(hours(card.p95Hours))")
        print("SLA compliance   " + (card.slaCompliance.map { String(format: "%.1f%%", $0 * 100) } ?? "-"))
        print(
            "grades           "
                + (card.grades.isEmpty
                    ? "-"
                    : card.grades.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")))
        print(
            "NRR              "
                + (card.negativeResponseRate.map {
                    String(format: "%.1f%% \"no\" of %d answers to \"Did we resolve your problem?\"", $0 * 100, card.feedbackAnswers)
                } ?? "- (no answers)"))
        if let last = card.lastReconciliation {
            print(
                "last reconciled  \(last.at.shortText): \(last.discrepancies) discrepancies in \(last.lines) lines "
                    + String(format: "(%.1f%%)", last.rate * 100))
        } else {
            print("last reconciled  never (run `returns reconcile partner`)")
        }
    }
}
