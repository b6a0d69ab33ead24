import Foundation
import PostgresNIO

/// How a logistics partner's manifest is judged against what the engine recorded for returns assigned to that
/// partner, in the SQL of a `ReconcileRun` that loaded the manifest.
public struct ManifestMatching: Sendable, Hashable {
    /// The partner, its inspection rules and the period; in the manifest, engine receipts and inspections in
    /// [from, to) are expected.
    public var inspections: PartnerInspections

    public init(_ inspections: PartnerInspections) {
        self.inspections = inspections
    }

    /// The temporary table the manifest is copied into.
    static let linesTableSQL = """
        CREATE TEMPORARY TABLE manifest_lines (
            line bigint NOT NULL, return_key text NOT NULL, return_id uuid, sku text NOT NULL,
            quantity integer NOT NULL, grade text, disposition text, received_at timestamptz NOT NULL,
            inspected_at timestamptz
        ) ON COMMIT DROP
        """

    /// Stores every discrepancy in `recon_result` and answers how many lines matched.
    var judgeQuery: PostgresQuery {
        let workflows = inspections.slaSeconds.keys.sorted()
        let seconds = workflows.map { inspections.slaSeconds[$0]! }
        return """
            WITH lines AS (
                SELECT m.*, row_number() OVER (PARTITION BY m.return_key, m.sku ORDER BY m.line) AS copy_no
                FROM manifest_lines m
            ),
            items AS (
                SELECT i.return_id, i.sku, sum(i.quantity_received)::integer AS received, min(i.grade) AS grade,
                       min(i.disposition) AS disposition
                FROM return_items i
                WHERE i.return_id IN (SELECT return_id FROM manifest_lines WHERE return_id IS NOT NULL)
                GROUP BY i.return_id, i.sku
            ),
            times AS (
                SELECT e.return_id,
                       min(e.occurred_at) FILTER (WHERE e.event = ANY(\(inspections.receiptEvents)::text[])) AS received_at,
                       min(e.occurred_at) FILTER (WHERE e.event = ANY(\(inspections.inspectionEvents)::text[])) AS inspected_at
                FROM return_events e
                WHERE e.return_id IN (SELECT return_id FROM manifest_lines WHERE return_id IS NOT NULL)
                GROUP BY e.return_id
            ),
            found AS (
                SELECT l.line, l.return_key, l.sku, l.quantity, l.grade, l.disposition, l.copy_no,
                       r.id IS NOT NULL AS known, r.partner_id IS NOT DISTINCT FROM \(inspections.partnerID)::bigint AS assigned,
                       it.return_id IS NOT NULL AS has_sku, it.received, it.grade AS e_grade,
                       it.disposition AS e_disposition, l.inspected_at,
                       coalesce(t.inspected_at, l.inspected_at) - coalesce(t.received_at, l.received_at) AS took,
                       sla.seconds
                FROM lines l
                LEFT JOIN returns r ON r.id = l.return_id
                LEFT JOIN items it ON it.return_id = l.return_id AND it.sku = l.sku
                LEFT JOIN times t ON t.return_id = l.return_id
                LEFT JOIN unnest(\(workflows)::text[], \(seconds)::bigint[]) AS sla(workflow_name, seconds)
                       ON sla.workflow_name = r.workflow_name
            ),
            kinds AS (
                SELECT f.line, f.return_key AS key, k.kind, k.expected, k.actual
                FROM found f, LATERAL (SELECT f.copy_no = 1 AND f.known AND f.assigned AND f.has_sku AS ok) AS c
                CROSS JOIN LATERAL (VALUES
                    ('duplicate_line', f.copy_no > 1, NULL, f.sku || ' listed again'),
                    ('missing_in_engine', f.copy_no = 1 AND NOT c.ok,
                     CASE WHEN NOT f.known THEN 'no such return'
                          WHEN NOT f.assigned THEN 'return not assigned to this partner'
                          ELSE 'no item ' || f.sku || ' in the return' END,
                     f.sku || ' x ' || f.quantity),
                    ('quantity_mismatch', c.ok AND f.quantity <> f.received,
                     f.sku || ' received ' || f.received, f.sku || ' received ' || f.quantity),
                    ('state_mismatch', c.ok AND f.inspected_at IS NOT NULL AND f.e_grade IS NULL,
                     f.sku || ' not inspected', f.sku || ' inspected'),
                    ('grade_mismatch', c.ok AND f.grade IS NOT NULL AND f.e_grade IS NOT NULL AND f.grade <> f.e_grade,
                     f.sku || ' grade ' || f.e_grade, f.sku || ' grade ' || f.grade),
                    ('disposition_mismatch', c.ok AND f.disposition IS NOT NULL AND f.e_disposition IS NOT NULL
                                             AND f.disposition <> f.e_disposition,
                     f.sku || ' ' || f.e_disposition, f.sku || ' ' || f.disposition),
                    ('sla_breach', c.ok AND f.seconds IS NOT NULL AND f.took > make_interval(secs => f.seconds),
                     'inspected within ' || round(f.seconds / 3600.0, 1) || 'h of receipt',
                     'inspected ' || round(extract(epoch FROM f.took) / 3600.0, 1) || 'h after receipt')
                ) AS k(kind, hit, expected, actual)
                WHERE k.hit
                UNION ALL
                SELECT NULL, i.return_id::text, 'missing_in_manifest', i.sku || ' received ' || i.quantity_received,
                       NULL
                FROM returns r JOIN return_items i ON i.return_id = r.id
                WHERE r.partner_id = \(inspections.partnerID)::bigint AND i.quantity_received > 0
                  AND EXISTS (
                      SELECT 1 FROM return_events e
                      WHERE e.return_id = r.id
                        AND (e.event = ANY(\(inspections.receiptEvents)::text[]) OR e.event = ANY(\(inspections.inspectionEvents)::text[]))
                        AND (\(inspections.from)::timestamptz IS NULL OR e.occurred_at >= \(inspections.from)::timestamptz)
                        AND (\(inspections.to)::timestamptz IS NULL OR e.occurred_at < \(inspections.to)::timestamptz))
                  AND NOT EXISTS (SELECT 1 FROM manifest_lines m WHERE m.return_id = r.id AND m.sku = i.sku)
            ),
            stored AS (
                INSERT INTO recon_result (kind, key, line, expected, actual)
                SELECT kind, key, line, expected, actual FROM kinds
                RETURNING line
            )
            SELECT ((SELECT count(*) FROM manifest_lines)
                    - (SELECT count(DISTINCT line) FROM stored WHERE line IS NOT NULL))::bigint
            """
    }
}
