import Foundation
import Logging
import PostgresNIO

/// A refund as the refund worker and finance see it.
public struct RefundRow: Sendable, Hashable, Codable {
    public var id: UUID
    public var returnID: UUID
    public var idempotencyKey: String
    public var amountMinor: Int64
    public var currency: String
    public var status: String
    public var attempts: Int
    public var lastError: String?
    public var providerReference: String?
    public var createdAt: Date
}

/// The SQL of sending refunds: claiming due ones, recording outcomes, the ledger provider's payouts.
public struct RefundRepository: Sendable {
    public let logger: Logger

    public init(logger: Logger) {
        self.logger = logger
    }

    static let columns = """
        id, return_id, idempotency_key, amount_minor, currency, status, attempts, last_error, provider_reference, \
        created_at
        """

    private func decode(_ rows: PostgresRowSequence) async throws -> [RefundRow] {
        var refunds: [RefundRow] = []
        for try await (id, returnID, key, amount, currency, status, attempts, error, reference, created) in rows.decode(
            (UUID, UUID, String, Int64, String, String, Int, String?, String?, Date).self)
        {
            refunds.append(
                RefundRow(
                    id: id, returnID: returnID, idempotencyKey: key, amountMinor: amount, currency: currency,
                    status: status, attempts: attempts, lastError: error, providerReference: reference,
                    createdAt: created))
        }
        return refunds
    }

    /// Takes up to `limit` due pending refunds for `leaseSeconds`: another worker skips them until then, and if this
    /// one dies they fall due again. Each claim counts as an attempt.
    /// Claims up to `limit` pending refunds due by `dueBy` (the database clock when nil), pushing their next
    /// attempt a lease away so no other worker takes them meanwhile.
    public func claimDue(limit: Int, leaseSeconds: Int, dueBy: Date? = nil, on connection: DatabaseConnection)
        async throws -> [RefundRow]
    {
        try await decode(
            try await connection.query(
                """
                UPDATE refunds SET attempts = attempts + 1, updated_at = now(),
                       next_attempt_at = now() + make_interval(secs => \(Double(leaseSeconds)))
                WHERE id IN (
                    SELECT id FROM refunds WHERE status = 'pending'
                      AND next_attempt_at <= least(now(), coalesce(\(dueBy)::timestamptz, now()))
                    ORDER BY next_attempt_at LIMIT \(limit) FOR UPDATE SKIP LOCKED)
                RETURNING \(unescaped: Self.columns)
                """, logger: logger))
    }

    /// pending → succeeded; false when it was not pending (already confirmed, or failed meanwhile).
    public func markSucceeded(_ id: UUID, provider: String, reference: String, on connection: DatabaseConnection)
        async throws -> Bool
    {
        let rows = try await connection.query(
            """
            UPDATE refunds SET status = 'succeeded', provider = \(provider), provider_reference = \(reference),
                   last_error = NULL, updated_at = now()
            WHERE id = \(id) AND status = 'pending' RETURNING id
            """, logger: logger)
        for try await _ in rows { return true }
        return false
    }

    /// Schedules another attempt after `delaySeconds`, keeping the error.
    public func scheduleRetry(_ id: UUID, error: String, delaySeconds: Double, on connection: DatabaseConnection)
        async throws
    {
        try await connection.query(
            """
            UPDATE refunds SET last_error = \(error), updated_at = now(),
                   next_attempt_at = now() + make_interval(secs => \(delaySeconds))
            WHERE id = \(id) AND status = 'pending'
            """, logger: logger)
    }

    /// pending → failed; false when it was not pending.
    public func markFailed(_ id: UUID, error: String, on connection: DatabaseConnection) async throws -> Bool {
        let rows = try await connection.query(
            """
            UPDATE refunds SET status = 'failed', last_error = \(error), updated_at = now()
            WHERE id = \(id) AND status = 'pending' RETURNING id
            """, logger: logger)
        for try await _ in rows { return true }
        return false
    }

    /// failed → pending with a fresh attempt count; false when it was not failed.
    public func reopen(_ id: UUID, on connection: DatabaseConnection) async throws -> Bool {
        let rows = try await connection.query(
            """
            UPDATE refunds SET status = 'pending', attempts = 0, next_attempt_at = now(), updated_at = now()
            WHERE id = \(id) AND status = 'failed' RETURNING id
            """, logger: logger)
        for try await _ in rows { return true }
        return false
    }

    public func find(_ id: UUID, on connection: DatabaseConnection) async throws -> RefundRow? {
        try await decode(
            try await connection.query("SELECT \(unescaped: Self.columns) FROM refunds WHERE id = \(id)", logger: logger)
        ).first
    }

    public func list(status: String?, limit: Int, on connection: DatabaseConnection) async throws -> [RefundRow] {
        let query: PostgresQuery =
            if let status {
                "SELECT \(unescaped: Self.columns) FROM refunds WHERE status = \(status) ORDER BY created_at, id LIMIT \(limit)"
            } else {
                "SELECT \(unescaped: Self.columns) FROM refunds ORDER BY created_at, id LIMIT \(limit)"
            }
        return try await decode(try await connection.query(query, logger: logger))
    }

    /// A page of refunds created in [from, to), oldest first, after the position `after` (created_at in
    /// microseconds since 1970, and the id).
    public func page(
        status: String?, from: Date?, to: Date?, after: (micros: Int64, id: UUID)?, limit: Int,
        on connection: DatabaseConnection
    ) async throws -> [RefundRow] {
        try await decode(
            try await connection.query(
                """
                SELECT \(unescaped: Self.columns)
                FROM refunds
                WHERE (\(status)::text IS NULL OR status = \(status))
                  AND (\(from)::timestamptz IS NULL OR created_at >= \(from))
                  AND (\(to)::timestamptz IS NULL OR created_at < \(to))
                  AND (\(after?.micros)::int8 IS NULL
                       OR (created_at, id) > (to_timestamp(0) + \(after?.micros) * interval '1 microsecond', \(after?.id)))
                ORDER BY created_at, id
                LIMIT \(limit)
                """, logger: logger))
    }

    /// Records a payout approval once per refund and returns its reference (the first one on a repeat).
    public func approvePayout(_ refund: RefundRow, on connection: DatabaseConnection) async throws -> String {
        let reference = "LEDGER-" + refund.id.uuidString.prefix(8).uppercased()
        try await connection.query(
            """
            INSERT INTO ledger_payouts (return_id, refund_id, amount_minor, currency, reference)
            VALUES (\(refund.returnID), \(refund.id), \(refund.amountMinor), \(refund.currency), \(reference))
            ON CONFLICT (return_id, refund_id) DO NOTHING
            """, logger: logger)
        for try await stored in try await connection.query(
            "SELECT reference FROM ledger_payouts WHERE return_id = \(refund.returnID) AND refund_id = \(refund.id)",
            logger: logger
        ).decode(String.self) {
            return stored
        }
        return reference
    }

    /// The database's clock, which every due time is measured against.
    public func now(on connection: DatabaseConnection) async throws -> Date {
        for try await now in try await connection.query("SELECT now()", logger: logger).decode(Date.self) {
            return now
        }
        return Date()
    }

    /// Ledger payouts and the ledger's charges (upsells, instant exchanges captured) in the settlement file's shape,
    /// oldest first, streamed to `row`.
    public func settlementRows(
        in database: Database,
        _ row: (_ refundID: UUID, _ reference: String, _ amountMinor: Int64, _ currency: String, _ status: String, _ at: Date) throws -> Void
    ) async throws {
        for try await (id, reference, amount, currency, status, at) in try await database.client.query(
            """
            SELECT id, reference, amount_minor, currency, status, at FROM (
                SELECT p.refund_id AS id, p.reference, p.amount_minor, p.currency::text AS currency,
                       CASE r.status WHEN 'failed' THEN 'failed' ELSE 'settled' END AS status, p.approved_at AS at
                FROM ledger_payouts p JOIN refunds r ON r.return_id = p.return_id AND r.id = p.refund_id
                UNION ALL
                SELECT c.id, c.idempotency_key, c.amount_minor, c.currency::text, 'settled', c.created_at
                FROM charges c WHERE c.provider = 'ledger' AND c.status IN ('recorded', 'charged')
            ) lines
            ORDER BY at, id
            """, logger: logger
        ).decode((UUID, String, Int64, String, String, Date).self) {
            try row(id, reference, amount, currency, status, at)
        }
    }
}

/// The refunds a transition decides, written in its transaction.
extension RefundRepository {

    /// Inserts a refund with its itemized breakdown; false when one with the same idempotency key exists.
    /// The table's trigger refuses refunds adding up to more than was paid.
    public func insertRefund(
        _ id: UUID, idempotencyKey: String, amountMinor: Int64, currency: String, seq: Int, breakdownJSON: String,
        on connection: DatabaseConnection
    ) async throws -> Bool {
        let rows = try await connection.prepared(
            """
            INSERT INTO refunds (id, return_id, idempotency_key, amount_minor, currency, decided_seq, breakdown)
            VALUES (\(UUID()), \(id), \(idempotencyKey), \(amountMinor), \(currency), \(seq), \(breakdownJSON)::jsonb)
            ON CONFLICT (return_id, idempotency_key) DO NOTHING
            RETURNING id
            """, logger: logger)
        for try await _ in rows { return true }
        return false
    }

    /// What has been refunded or is on its way (everything but failed refunds).
    public func refundedMinor(of id: UUID, on connection: DatabaseConnection) async throws -> Int64 {
        // No held write touches refunds.
        let rows = try await connection.executeBesideHeldWrites(TransitionStatements.RefundedMinor(id: id), logger: logger)
        for try await total in rows { return total }
        return 0
    }

    public func refunds(of id: UUID, on connection: DatabaseConnection) async throws -> [RefundRecord] {
        var refunds: [RefundRecord] = []
        for try await (refundID, key, amount, currency, status) in try await connection.query(
            "SELECT id, idempotency_key, amount_minor, currency, status FROM refunds WHERE return_id = \(id) ORDER BY created_at",
            logger: logger
        ).decode((UUID, String, Int64, String, String).self) {
            refunds.append(
                RefundRecord(id: refundID, idempotencyKey: key, amountMinor: amount, currency: currency, status: status))
        }
        return refunds
    }
}
