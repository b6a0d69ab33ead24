import Foundation
import PostgresNIO

/// How a provider's settlement file is judged against what the engine sent it, in the SQL of a `ReconcileRun` that
/// loaded the file. The statements are public for the psql baseline of `returns bench reconcile`, which runs them as
/// they are.
public struct SettlementMatching: Sendable, Hashable {
    /// What the file is judged against.
    public enum Ledger: String, Sendable, Hashable {
        /// The payment processor's: refunds, and what resolutions charged (upsells, instant exchanges captured),
        /// which count against the refunds in the totals.
        case payments
        /// The gift-card provider's: the cards issued for store credit through it.
        case giftCards = "gift_cards"

        /// One row per thing the engine sent: id, amount, currency, status, whether it counts as settled, when it
        /// was made, and its sign in the totals. Inlined where it is used, so a lookup by id uses the tables' keys.
        var engineSide: String {
            switch self {
            case .payments:
                """
                engine_side AS NOT MATERIALIZED (
                    SELECT id, amount_minor, currency::text AS currency, status, status IN ('sent', 'succeeded') AS settled,
                           created_at, 1 AS sign
                    FROM refunds
                    UNION ALL
                    -- An authorisation moves no money; its capture is a charge.
                    SELECT id, amount_minor, currency::text, status, status IN ('charged', 'recorded'), created_at, -1
                    FROM charges WHERE status NOT IN ('authorized', 'authorizing', 'releasing', 'released')
                )
                """
            case .giftCards:
                """
                engine_side AS NOT MATERIALIZED (
                    SELECT id, amount_minor, currency::text AS currency, status, status = 'issued' AS settled,
                           created_at, 1 AS sign
                    FROM gift_cards WHERE provider <> 'ledger'
                )
                """
            }
        }
    }

    public var ledger: Ledger
    /// What the engine made in [from, to) is expected in the file; nil leaves that end open.
    public var from: Date?
    public var to: Date?

    public init(_ ledger: Ledger = .payments, from: Date? = nil, to: Date? = nil) {
        self.ledger = ledger
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

    var judgeQuery: PostgresQuery { PostgresQuery(unsafeSQL: Self.judgeSQL(ledger), binds: period) }

    var engineTotalsQuery: PostgresQuery { PostgresQuery(unsafeSQL: Self.engineTotalsSQL(ledger), binds: period) }

    var settlementTotalsQuery: PostgresQuery { PostgresQuery(unsafeSQL: Self.settlementTotalsSQL(ledger)) }

    /// Stores every discrepancy in `recon_result` and answers how many lines matched. $1, $2: the period (NULL for
    /// open).
    public static func judgeSQL(_ ledger: Ledger) -> String {
        """
        WITH \(ledger.engineSide),
        lines AS (
            SELECT s.*, row_number() OVER (PARTITION BY s.refund_key, s.status ORDER BY s.line) AS copy_no
            FROM settlement_lines s
        ),
        firsts AS (
            SELECT l.*, l.line = max(l.line) OVER (PARTITION BY l.refund_key) AS is_last
            FROM lines l WHERE l.copy_no = 1
        ),
        found AS (
            SELECT f.line, f.refund_key, f.amount_minor, f.currency, f.status, f.is_last, r.id IS NOT NULL AS known,
                   r.amount_minor AS e_amount, r.currency AS e_currency, r.status AS e_status, r.settled AS e_settled
            FROM firsts f LEFT JOIN engine_side r ON r.id = f.refund_id
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
                 f.known AND f.is_last AND (f.status = 'settled') <> f.e_settled,
                 f.e_status, f.status, NULL, NULL, NULL)
            ) AS k(kind, hit, expected, actual, expected_minor, actual_minor, currency)
            WHERE k.hit
            UNION ALL
            SELECT l.line, l.refund_key, 'duplicate_settlement', NULL, l.status, NULL, l.amount_minor, l.currency
            FROM lines l WHERE l.copy_no > 1
            UNION ALL
            SELECT NULL, r.id::text, 'missing_in_settlement', r.status, NULL, r.amount_minor, NULL, r.currency
            FROM engine_side r
            WHERE r.settled
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
    }

    /// Per currency, what the engine counts as settled (refunds less charges, for payments): in the period ($1, $2)
    /// or named in the file.
    public static func engineTotalsSQL(_ ledger: Ledger) -> String {
        """
        WITH \(ledger.engineSide)
        SELECT r.currency, sum(r.sign * r.amount_minor)::bigint FROM engine_side r
        WHERE r.settled
          AND ((($1::timestamptz IS NULL OR r.created_at >= $1::timestamptz)
                AND ($2::timestamptz IS NULL OR r.created_at < $2::timestamptz))
               OR EXISTS (SELECT 1 FROM settlement_lines s WHERE s.refund_id = r.id))
        GROUP BY r.currency
        """
    }

    /// Per currency, what the file settled, net of failures and reversals of what it settled; a line naming one of
    /// the engine's charges counts against the refunds, as in the engine's totals.
    public static func settlementTotalsSQL(_ ledger: Ledger) -> String {
        """
        WITH \(ledger.engineSide)
        SELECT currency, sum(sign * CASE WHEN status = 'settled' THEN amount_minor
                                         WHEN has_settled THEN -amount_minor ELSE 0 END)::bigint
        FROM (SELECT s.currency, s.status, s.amount_minor,
                     coalesce((SELECT e.sign FROM engine_side e WHERE e.id = s.refund_id LIMIT 1), 1) AS sign,
                     bool_or(s.status = 'settled') OVER (PARTITION BY s.refund_key) AS has_settled
              FROM settlement_lines s) s
        GROUP BY currency
        """
    }

    /// The temporary table the settlement file is copied into.
    public static let linesTableSQL = """
        CREATE TEMPORARY TABLE settlement_lines (
            line bigint NOT NULL, refund_key text NOT NULL, refund_id uuid, reference text,
            amount_minor bigint NOT NULL, currency text NOT NULL, status text NOT NULL,
            settled_at timestamptz NOT NULL
        ) ON COMMIT DROP
        """
}
