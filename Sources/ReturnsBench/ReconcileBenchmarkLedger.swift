import Foundation
import PostgresNIO
import ReturnsStore

/// The SQL of `returns bench reconcile`: a ledger of refunds in a scratch database, the settlement file that matches
/// it, and psql's baseline. Never used on a real database: the benchmark creates its own and drops it after the run.
enum ReconcileBenchmarkLedger {
    /// Writes `lines` refunded returns, one succeeded refund each, in the three currencies in turn.
    static func seed(lines: Int, workflowVersion version: Int, in db: Database) async throws {
        let logger = db.logger
        // The per-row over-refund trigger is the engine's guard, not what is measured here; the scratch
        // database is dropped afterwards.
        try await db.client.query("ALTER TABLE refunds DISABLE TRIGGER refunds_within_paid", logger: logger)
        try await db.client.query(
            """
            INSERT INTO returns (id, status_token, workflow_name, workflow_version, state, version, order_ref,
                                 customer_email, currency, paid_minor)
            SELECT md5('r' || g)::uuid, md5('t' || g), 'standard', \(version), 'refunded', 1, 'O-' || g,
                   'c' || g || '@example.com', (ARRAY['EUR', 'USD', 'JPY'])[g % 3 + 1], 1000000
            FROM generate_series(1, \(lines)) g
            """, logger: logger)
        try await db.client.query(
            """
            INSERT INTO refunds (id, return_id, idempotency_key, amount_minor, currency, status, decided_seq,
                                 provider_reference)
            SELECT md5('f' || g)::uuid, md5('r' || g)::uuid, 'bench:' || g, 100 + g % 50000,
                   (ARRAY['EUR', 'USD', 'JPY'])[g % 3 + 1], 'succeeded', 5, 'pr_' || g
            FROM generate_series(1, \(lines)) g
            """, logger: logger)
        try await db.client.query("ANALYZE", logger: logger)
    }

    /// psql: writes the settlement file that settles every refund of the ledger to `file`; with `discrepancies`
    /// (percent), that share of its lines names a refund and reference the engine does not know instead, so each
    /// such line is an unknown refund and its ledger refund one missing from the file.
    static func exportScript(file: String, discrepancies: Int = 0) -> String {
        let unknown = "substr(provider_reference, 4)::bigint % 100 < \(discrepancies)"
        return """
        \\copy (SELECT CASE WHEN \(unknown) THEN md5('unknown' || id)::uuid ELSE id END AS refund_id, CASE WHEN \(unknown) THEN 'px_' ELSE 'pr_' END || substr(provider_reference, 4) AS processor_reference, CASE currency WHEN 'JPY' THEN amount_minor::text ELSE (amount_minor / 100) || '.' || lpad((amount_minor % 100)::text, 2, '0') END AS amount, currency, 'settled' AS status, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS settled_at FROM refunds ORDER BY provider_reference) TO '\(file)' WITH (FORMAT csv, HEADER true)

        """
    }

    /// psql: `\copy` the CSV as it is, convert to the same typed table, then the identical matching SQL and report
    /// queries `reconcile refunds` runs, and `\copy` the report rows out to `report`.
    static func baselineScript(file: String, report: String) -> String {
        """
        \\set ON_ERROR_STOP on
        BEGIN;
        SET LOCAL TimeZone = 'UTC';
        CREATE TEMPORARY TABLE settlement_raw (refund_id text, processor_reference text, amount text, currency text,
                                               status text, settled_at text) ON COMMIT DROP;
        \\copy settlement_raw FROM '\(file)' WITH (FORMAT csv, HEADER true)
        \(SettlementMatching.linesTableSQL);
        INSERT INTO settlement_lines
        SELECT row_number() OVER () + 1, lower(refund_id), refund_id::uuid, processor_reference,
               (amount::numeric * CASE upper(currency) WHEN 'JPY' THEN 1 ELSE 100 END)::bigint, upper(currency), status,
               settled_at::timestamptz
        FROM settlement_raw;
        ANALYZE settlement_lines;
        \(ReconcileRun.resultTableSQL);
        PREPARE judge(timestamptz, timestamptz) AS \(SettlementMatching.judgeSQL(.payments));
        EXECUTE judge(NULL, NULL);
        SELECT kind, count(*) FROM recon_result GROUP BY kind;
        PREPARE engine_totals(timestamptz, timestamptz) AS \(SettlementMatching.engineTotalsSQL(.payments));
        EXECUTE engine_totals(NULL, NULL);
        \(SettlementMatching.settlementTotalsSQL(.payments));
        \\copy (\(ReconcileRun.resultsSQL.replacingOccurrences(of: "\n", with: " "))) TO '\(report)' WITH (FORMAT csv)
        ROLLBACK;

        """
    }
}
