import Foundation
import Logging
import PostgresNIO

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

    /// Reads the partner's figures for receipts in [from, to); writes nothing.
    public static func compute(
        partner: String, rules: InspectionRules, from: Date?, to: Date?, client: PostgresClient, logger: Logger
    ) async throws -> PartnerScorecard {
        try await client.withConnection { connection in
            let partnerID = try await PartnerLookup.id(of: partner, on: connection, logger: logger)
            let workflows = rules.slaSeconds.keys.sorted()
            let seconds = workflows.map { rules.slaSeconds[$0]! }
            var card = PartnerScorecard(partner: partner, volume: 0, inspected: 0, grades: [:])
            let scoped: PostgresQuery = """
                WITH times AS (
                    SELECT r.id, r.workflow_name,
                           min(e.occurred_at) FILTER (WHERE e.event = ANY(\(rules.receiptEvents)::text[])) AS received_at,
                           min(e.occurred_at) FILTER (WHERE e.event = ANY(\(rules.inspectionEvents)::text[])) AS inspected_at
                    FROM returns r JOIN return_events e ON e.return_id = r.id
                    WHERE r.partner_id = \(partnerID)::bigint
                    GROUP BY r.id, r.workflow_name
                ),
                scoped AS (
                    SELECT t.*, extract(epoch FROM t.inspected_at - t.received_at) AS took, sla.seconds
                    FROM times t
                    LEFT JOIN unnest(\(workflows)::text[], \(seconds)::bigint[]) AS sla(workflow_name, seconds)
                           ON sla.workflow_name = t.workflow_name
                    WHERE t.received_at IS NOT NULL
                      AND (\(from)::timestamptz IS NULL OR t.received_at >= \(from)::timestamptz)
                      AND (\(to)::timestamptz IS NULL OR t.received_at < \(to)::timestamptz)
                )
                SELECT count(*)::bigint, count(inspected_at)::bigint,
                       (percentile_cont(0.5) WITHIN GROUP (ORDER BY took) / 3600)::float8,
                       (percentile_cont(0.95) WITHIN GROUP (ORDER BY took) / 3600)::float8,
                       count(*) FILTER (WHERE took <= seconds)::bigint,
                       count(*) FILTER (WHERE took IS NOT NULL AND seconds IS NOT NULL)::bigint,
                       coalesce((SELECT jsonb_object_agg(grade, n) FROM (
                           SELECT i.grade, sum(i.quantity_received)::bigint AS n
                           FROM return_items i JOIN scoped s ON s.id = i.return_id
                           WHERE i.grade IS NOT NULL GROUP BY i.grade) g), '{}')::text
                FROM scoped
                """
            let rows = try await connection.query(scoped, logger: logger)
            for try await (volume, inspected, median, p95, within, judged, grades) in rows.decode(
                (Int, Int, Double?, Double?, Int, Int, String).self)
            {
                card.volume = volume
                card.inspected = inspected
                card.medianHours = median
                card.p95Hours = p95
                card.slaCompliance = judged > 0 ? Double(within) / Double(judged) : nil
                card.grades = (try? JSONDecoder().decode([String: Int].self, from: Data(grades.utf8))) ?? [:]
            }
            return card
        }
    }
}
