import Foundation
import ReturnsStore

/// How a logistics partner performs, from the engine's own records of its receipts and inspections.
public struct PartnerScorecard: Sendable, Hashable, Codable {
    public var partner: String
    /// Returns the partner received in the period.
    public var volume: Int
    /// Of those, how many are inspected.
    public var inspected: Int
    /// Receipt to inspection, in hours (nil when nothing is inspected).
    public var medianHours: Double?
    public var p95Hours: Double?
    /// Inspected within the workflow's SLA, as a share of the inspected returns (nil when nothing is inspected).
    public var slaCompliance: Double?
    /// Items per grade.
    public var grades: [String: Int]
    /// From the last `reconcile partner` run (nil when there was none).
    public var lastReconciliation: ReconciliationRecord?
    /// Customers' answers to "Did we resolve your problem?" given in the period for the partner's returns, and the
    /// share of "no" (NRR; nil without answers).
    public var feedbackAnswers = 0
    public var negativeResponseRate: Double?

    /// Reads the partner's figures for receipts in [from, to); writes nothing.
    public static func compute(
        partner: String, rules: InspectionRules, from: Date?, to: Date?, in database: Database
    ) async throws -> PartnerScorecard {
        let partnerID = try await PartnerLookup.find(named: partner, in: database).id
        let figures = try await PartnerScorecardQuery(rules.inspections(of: partnerID, from: from, to: to))
            .figures(in: database)
        return PartnerScorecard(
            partner: partner, volume: figures.volume, inspected: figures.inspected, medianHours: figures.medianHours,
            p95Hours: figures.p95Hours,
            slaCompliance: figures.judged > 0 ? Double(figures.withinSLA) / Double(figures.judged) : nil,
            grades: figures.grades)
    }
}
