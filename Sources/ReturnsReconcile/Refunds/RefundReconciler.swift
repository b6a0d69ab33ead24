import Foundation
import Logging
import NIOCore
import PostgresNIO

/// Compares a payment processor's settlement file with the engine's refunds.
///
/// The file streams into a temporary table with `COPY FROM STDIN` and is matched in SQL, inside one transaction
/// that is set read-only once the temporary tables exist and is always rolled back: the database itself refuses
/// any write to the engine's tables, and nothing outlives the run.
public struct RefundReconciler: Sendable {
    public static let kinds = [
        "matched", "missing_in_settlement", "unknown_in_settlement", "amount_mismatch", "currency_mismatch",
        "status_mismatch", "duplicate_settlement",
    ]

    public var file: String
    public var layout: SettlementLayout
    /// Engine refunds created in [from, to) are expected in the file; nil leaves that end open.
    public var from: Date?
    public var to: Date?

    public init(file: String, layout: SettlementLayout, from: Date? = nil, to: Date? = nil) {
        self.file = file
        self.layout = layout
        self.from = from
        self.to = to
    }

    /// Reads the file, matches it, and writes the report. `warn` hears about ignored columns; `progress` gets the
    /// bytes read so far.
    public func run(
        on client: PostgresClient, logger: Logger, report: ReportWriter, warn: (String) -> Void = { _ in },
        progress: ((Int) -> Void)? = nil
    ) async throws -> ReconcileSummary {
        let reader = try SettlementReader(path: file, layout: layout)
        warnOfIgnoredColumns(reader.ignoredColumns, in: file, warn: warn)
        return try await client.withConnection { [self] connection in
            try await ReadOnlyRun.run(on: connection, logger: logger) {
                try await connection.query(PostgresQuery(unsafeSQL: Self.linesTableSQL), logger: logger)
                try await ReadOnlyRun.createResultTable(on: connection, logger: logger)
                try await ReadOnlyRun.copy(into: "settlement_lines", on: connection, logger: logger) { row in
                    let more = try reader.next(into: &row)
                    if let progress, reader.lines % 16_384 == 0 { progress(reader.bytesRead) }
                    return more
                }
                try await ReadOnlyRun.seal(on: connection, table: "settlement_lines", logger: logger)
                let matched = try await judge(on: connection, logger: logger)
                var counts = try await ReadOnlyRun.counts(on: connection, kinds: Self.kinds, logger: logger)
                counts[0].count = matched
                let summary = ReconcileSummary(
                    counts: counts, totals: try await totals(on: connection, logger: logger), skipped: reader.skipped,
                    lines: reader.lines)
                report.begin(summary)
                try await ReadOnlyRun.streamResults(on: connection, keyName: "refund_id", logger: logger) {
                    report.write($0)
                }
                report.end()
                return summary
            }
        }
    }

    /// Stores every discrepancy in `recon_result` and answers how many lines matched.
    private func judge(on connection: PostgresConnection, logger: Logger) async throws -> Int {
        var binds = PostgresBindings()
        binds.append(from)
        binds.append(to)
        let rows = try await connection.query(PostgresQuery(unsafeSQL: Self.judgeSQL, binds: binds), logger: logger)
        for try await matched in rows.decode(Int.self) { return matched }
        return 0
    }

    /// Per currency: what the engine counts as refunded (in the period, or named in the file) and what the file
    /// settled, net of failures and reversals of refunds it settled.
    private func totals(on connection: PostgresConnection, logger: Logger) async throws -> [CurrencyTotal] {
        var engine: [String: Int64] = [:]
        var settlement: [String: Int64] = [:]
        var binds = PostgresBindings()
        binds.append(from)
        binds.append(to)
        let engineRows = try await connection.query(
            PostgresQuery(unsafeSQL: Self.engineTotalsSQL, binds: binds), logger: logger)
        for try await (currency, sum) in engineRows.decode((String, Int64).self) { engine[currency] = sum }
        let fileRows = try await connection.query(PostgresQuery(unsafeSQL: Self.settlementTotalsSQL), logger: logger)
        for try await (currency, sum) in fileRows.decode((String, Int64).self) { settlement[currency] = sum }
        return Set(engine.keys).union(settlement.keys).sorted().map {
            CurrencyTotal(currency: $0, engineMinor: engine[$0] ?? 0, settlementMinor: settlement[$0] ?? 0)
        }
    }

    /// Stores every discrepancy in `recon_result` and answers how many lines matched. $1, $2: the period (NULL for open).
    public static let judgeSQL = """
        WITH lines AS (
            SELECT s.*, row_number() OVER (PARTITION BY s.refund_key, s.status ORDER BY s.line) AS copy_no
            FROM settlement_lines s
        ),
        firsts AS (
            SELECT l.*, l.line = max(l.line) OVER (PARTITION BY l.refund_key) AS is_last
            FROM lines l WHERE l.copy_no = 1
        ),
        found AS (
            SELECT f.line, f.refund_key, f.amount_minor, f.currency, f.status, f.is_last, r.id IS NOT NULL AS known,
                   r.amount_minor AS e_amount, r.currency::text AS e_currency, r.status AS e_status
            FROM firsts f LEFT JOIN refunds r ON r.id = f.refund_id
        ),
        kinds AS (
            SELECT f.line, f.refund_key AS key, k.kind, k.expected, k.actual, k.expected_minor, k.actual_minor,
                   k.currency
            FROM found f CROSS JOIN LATERAL (VALUES
                ('unknown_in_settlement', NOT f.known, NULL, f.status, NULL::bigint, f.amount_minor, f.currency),
                ('currency_mismatch', f.known AND f.currency <> f.e_currency, f.e_currency, f.currency, NULL, NULL,
                 NULL),
                ('amount_mismatch', f.known AND f.currency = f.e_currency AND f.amount_minor <> f.e_amount, NULL,
                 NULL, f.e_amount, f.amount_minor, f.currency),
                ('status_mismatch',
                 f.known AND f.is_last AND (f.status = 'settled') <> (f.e_status IN ('sent', 'succeeded')),
                 f.e_status, f.status, NULL, NULL, NULL)
            ) AS k(kind, hit, expected, actual, expected_minor, actual_minor, currency)
            WHERE k.hit
            UNION ALL
            SELECT l.line, l.refund_key, 'duplicate_settlement', NULL, l.status, NULL, l.amount_minor, l.currency
            FROM lines l WHERE l.copy_no > 1
            UNION ALL
            SELECT NULL, r.id::text, 'missing_in_settlement', r.status, NULL, r.amount_minor, NULL, r.currency::text
            FROM refunds r
            WHERE r.status IN ('sent', 'succeeded')
              AND ($1::timestamptz IS NULL OR r.created_at >= $1::timestamptz)
              AND ($2::timestamptz IS NULL OR r.created_at < $2::timestamptz)
              AND NOT EXISTS (SELECT 1 FROM settlement_lines s WHERE s.refund_id = r.id)
        ),
        stored AS (
            INSERT INTO recon_result (kind, key, line, expected, actual, expected_minor, actual_minor, currency)
            SELECT kind, key, line, expected, actual, expected_minor, actual_minor, currency FROM kinds
            RETURNING line
        )
        SELECT ((SELECT count(*) FROM settlement_lines)
                - (SELECT count(DISTINCT line) FROM stored WHERE line IS NOT NULL))::bigint
        """

    /// Per currency, what the engine counts as refunded: in the period ($1, $2) or named in the file.
    public static let engineTotalsSQL = """
        SELECT r.currency::text, sum(r.amount_minor)::bigint FROM refunds r
        WHERE r.status IN ('sent', 'succeeded')
          AND ((($1::timestamptz IS NULL OR r.created_at >= $1::timestamptz)
                AND ($2::timestamptz IS NULL OR r.created_at < $2::timestamptz))
               OR EXISTS (SELECT 1 FROM settlement_lines s WHERE s.refund_id = r.id))
        GROUP BY r.currency
        """

    /// Per currency, what the file settled, net of failures and reversals of refunds it settled.
    public static let settlementTotalsSQL = """
        SELECT currency, sum(CASE WHEN status = 'settled' THEN amount_minor
                                  WHEN has_settled THEN -amount_minor ELSE 0 END)::bigint
        FROM (SELECT currency, status, amount_minor,
                     bool_or(status = 'settled') OVER (PARTITION BY refund_key) AS has_settled
              FROM settlement_lines) s
        GROUP BY currency
        """

    /// The temporary table the settlement file is copied into.
    public static let linesTableSQL = """
        CREATE TEMPORARY TABLE settlement_lines (
            line bigint NOT NULL, refund_key text NOT NULL, refund_id uuid, reference text,
            amount_minor bigint NOT NULL, currency text NOT NULL, status text NOT NULL,
            settled_at timestamptz NOT NULL
        ) ON COMMIT DROP
        """
}
