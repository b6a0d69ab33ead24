import Foundation
import PostgresNIO

/// How a logistics partner performs over a period, from the engine's own records of its receipts and inspections.
public struct PartnerScorecardQuery: Sendable, Hashable {
    /// The partner, its inspection rules and the period; receipts in [from, to) count.
    public var inspections: PartnerInspections

    public init(_ inspections: PartnerInspections) {
        self.inspections = inspections
    }

    /// The partner's figures for the period.
    public struct Figures: Sendable, Hashable {
        /// Returns the partner received in the period.
        public var volume = 0
        /// Of those, how many are inspected.
        public var inspected = 0
        /// Receipt to inspection, in hours (nil when nothing is inspected).
        public var medianHours: Double?
        public var p95Hours: Double?
        /// Inspected returns whose workflow has an SLA, and how many of them were inspected within it.
        public var judged = 0
        public var withinSLA = 0
        /// Items per grade.
        public var grades: [String: Int] = [:]
    }

    /// Reads the figures; writes nothing.
    public func figures(in database: Database) async throws -> Figures {
        let logger = database.logger
        let workflows = inspections.slaSeconds.keys.sorted()
        let seconds = workflows.map { inspections.slaSeconds[$0]! }
        let scoped: PostgresQuery = """
            WITH times AS (
                SELECT r.id, r.workflow_name,
                       min(e.occurred_at) FILTER (WHERE e.event = ANY(\(inspections.receiptEvents)::text[])) AS received_at,
                       min(e.occurred_at) FILTER (WHERE e.event = ANY(\(inspections.inspectionEvents)::text[])) AS inspected_at
                FROM returns r JOIN return_events e ON e.return_id = r.id
                WHERE r.partner_id = \(inspections.partnerID)::bigint
                GROUP BY r.id, r.workflow_name
            ),
            scoped AS (
                SELECT t.*, extract(epoch FROM t.inspected_at - t.received_at) AS took, sla.seconds
                FROM times t
                LEFT JOIN unnest(\(workflows)::text[], \(seconds)::bigint[]) AS sla(workflow_name, seconds)
                       ON sla.workflow_name = t.workflow_name
                WHERE t.received_at IS NOT NULL
                  AND (\(inspections.from)::timestamptz IS NULL OR t.received_at >= \(inspections.from)::timestamptz)
                  AND (\(inspections.to)::timestamptz IS NULL OR t.received_at < \(inspections.to)::timestamptz)
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
        return try await database.withConnection { connection in
            var figures = Figures()
            let rows = try await connection.query(scoped, logger: logger)
            for try await (volume, inspected, median, p95, within, judged, grades) in rows.decode(
                (Int, Int, Double?, Double?, Int, Int, String).self)
            {
                figures.volume = volume
                figures.inspected = inspected
                figures.medianHours = median
                figures.p95Hours = p95
                figures.withinSLA = within
                figures.judged = judged
                figures.grades = (try? JSONDecoder().decode([String: Int].self, from: Data(grades.utf8))) ?? [:]
            }
            return figures
        }
    }
}
