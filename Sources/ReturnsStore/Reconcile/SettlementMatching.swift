import Foundation
import PostgresNIO

/// How a payment processor's settlement file is judged against the engine's refunds, in the SQL of a
/// `ReconcileRun` that loaded the file. The statements are public for the psql baseline of `returns bench reconcile`,
/// which runs them as they are.
public struct SettlementMatching: Sendable, Hashable {
    /// Engine refunds created in [from, to) are expected in the file; nil leaves that end open.
    public var from: Date?
    public var to: Date?

    public init(from: Date? = nil, to: Date? = nil) {
        self.from = from
        self.to = to
    }

    /// Per currency, in minor units: what the engine counts as refunded (in the period, or named in the file) and
    /// what the file settled, net of failures and reversals of refunds it settled.
    public struct Totals: Sendable, Hashable {
        public var engine: [String: Int64] = [:]
        public var settlement: [String: Int64] = [:]
    }

    /// The period as the statements' $1 and $2.
    private var period: PostgresBindings {
        var binds = PostgresBindings()
        binds.append(from)
        binds.append(to)
        return binds
    }

    var judgeQuery: PostgresQuery { PostgresQuery(unsafeSQL: Self.judgeSQL, binds: period) }

    var engineTotalsQuery: PostgresQuery { PostgresQuery(unsafeSQL: Self.engineTotalsSQL, binds: period) }

    /// Stores every discrepancy in `recon_result` and answers how many lines matched. $1, $2: the period (NULL for
    /// open).
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
