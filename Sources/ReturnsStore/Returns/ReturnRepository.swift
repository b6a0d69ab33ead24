import Foundation
import Logging
import PostgresNIO

/// The SQL of returns, items, history, timers, outbox, refunds and idempotency keys.
/// Every function runs on a connection the caller holds, so the engine composes them into one transaction.
public struct ReturnRepository: Sendable {
    public let logger: Logger

    public init(logger: Logger) {
        self.logger = logger
    }

    static let returnColumns = """
        id, status_token, workflow_name, workflow_version, state, version, order_ref, customer_email, locale, \
        currency, paid_minor, created_at, updated_at, partner_id
        """
    static let returnColumnCount = returnColumns.split(separator: ",").count

    func decodeReturns(_ rows: PostgresRowSequence) async throws -> [ReturnRecord] {
        var records: [ReturnRecord] = []
        for try await row in rows { records.append(try ReturnRecord(row: row)) }
        return records
    }

    /// Runs a prepared statement that answers no rows, to its end, so its error (a constraint, say) surfaces here.
    /// (postgres-nio's command-tag overload of `execute` traps when the statement was prepared in the same call.)
    func execute<Statement: PostgresPreparedStatement>(_ statement: Statement, on connection: DatabaseConnection)
        async throws where Statement.Row == ()
    {
        for try await _ in try await connection.execute(statement, logger: logger) {}
    }

    // MARK: - Returns

    /// Locks the return's row for this transaction. `skipLocked` returns nil instead of waiting for another holder.
    public func lockReturn(_ id: UUID, on connection: DatabaseConnection, skipLocked: Bool = false) async throws
        -> ReturnRecord?
    {
        guard skipLocked else {
            for try await record in try await connection.execute(TransitionStatements.LockReturn(id: id), logger: logger)
            {
                return record
            }
            return nil
        }
        let query: PostgresQuery =
            "SELECT \(unescaped: Self.returnColumns) FROM returns WHERE id = \(id) FOR UPDATE SKIP LOCKED"
        return try await decodeReturns(try await connection.query(query, logger: logger)).first
    }

    public func findReturn(_ id: UUID, on connection: DatabaseConnection) async throws -> ReturnRecord? {
        try await decodeReturns(
            try await connection.query(
                "SELECT \(unescaped: Self.returnColumns) FROM returns WHERE id = \(id)", logger: logger)
        ).first
    }

    /// The return a customer's status token opens.
    public func findReturn(token: String, on connection: DatabaseConnection) async throws -> ReturnRecord? {
        try await decodeReturns(
            try await connection.query(
                "SELECT \(unescaped: Self.returnColumns) FROM returns WHERE status_token = \(token)", logger: logger)
        ).first
    }

    /// What a customer's status shows, read in one statement: the return behind `token`, its state changes in
    /// order, the earliest pending timer, and the total of its refunds that have not failed.
    public func statusSnapshot(token: String, on connection: DatabaseConnection) async throws -> StatusSnapshot? {
        for try await snapshot in try await connection.execute(StatusLookup(token: token), logger: logger) {
            return snapshot
        }
        return nil
    }

    public func listReturns(state: String?, limit: Int, on connection: DatabaseConnection) async throws
        -> [ReturnRecord]
    {
        let query: PostgresQuery =
            if let state {
                "SELECT \(unescaped: Self.returnColumns) FROM returns WHERE state = \(state) ORDER BY updated_at DESC, id LIMIT \(limit)"
            } else {
                "SELECT \(unescaped: Self.returnColumns) FROM returns ORDER BY updated_at DESC, id LIMIT \(limit)"
            }
        return try await decodeReturns(try await connection.query(query, logger: logger))
    }

    public func insertReturn(_ record: ReturnRecord, items: [ItemRecord], on connection: DatabaseConnection)
        async throws
    {
        try await connection.query(
            """
            INSERT INTO returns (id, status_token, workflow_name, workflow_version, state, version, order_ref,
                                 customer_email, locale, currency, paid_minor, partner_id)
            VALUES (\(record.id), \(record.statusToken), \(record.workflowName), \(record.workflowVersion),
                    \(record.state), \(record.version), \(record.orderRef), \(record.customerEmail), \(record.locale),
                    \(record.currency), \(record.paidMinor), \(record.partnerID))
            """, logger: logger)
        for item in items {
            try await connection.query(
                """
                INSERT INTO return_items (return_id, line, sku, quantity, unit_price_minor, currency, category, reason)
                VALUES (\(record.id), \(item.line), \(item.sku), \(item.quantity), \(item.unitPriceMinor), \(item.currency),
                        \(item.category), \(item.reason))
                """, logger: logger)
        }
    }

    public func updateState(_ id: UUID, state: String, version: Int, on connection: DatabaseConnection) async throws {
        try await execute(
            TransitionStatements.UpdateState(state: state, version: version, id: id), on: connection)
    }

    /// Overdue timers and pending notifications, read through the partial indexes on pending rows.
    public func pendingWork(on connection: DatabaseConnection) async throws -> PendingWork {
        let rows = try await connection.query(
            """
            SELECT (SELECT count(*) FROM timers WHERE status = 'pending' AND due_at < now())::int,
                   (SELECT count(*) FROM outbox WHERE status = 'pending')::int,
                   coalesce((SELECT extract(epoch FROM now() - min(created_at)) FROM outbox WHERE status = 'pending'), 0)::float8
            """, logger: logger)
        for try await (timers, pending, age) in rows.decode((Int, Int, Double).self) {
            return PendingWork(timersOverdue: timers, outboxPending: pending, outboxOldestPendingAgeSeconds: age)
        }
        return PendingWork(timersOverdue: 0, outboxPending: 0, outboxOldestPendingAgeSeconds: 0)
    }

    /// Counts of returns per state, for summaries.
    public func countByState(on connection: DatabaseConnection) async throws -> [(workflow: String, state: String, count: Int)] {
        var counts: [(String, String, Int)] = []
        for try await row in try await connection.query(
            "SELECT workflow_name, state, count(*)::bigint FROM returns GROUP BY 1, 2 ORDER BY 1, 3 DESC, 2", logger: logger
        ).decode((String, String, Int).self) {
            counts.append(row)
        }
        return counts.map { (workflow: $0.0, state: $0.1, count: $0.2) }
    }

    // MARK: - History

    public func appendEvent(
        _ id: UUID, seq: Int, event: String, from: String?, to: String, actor: String, dataJSON: String,
        on connection: DatabaseConnection
    ) async throws {
        try await execute(
            TransitionStatements.AppendEvent(
                id: id, seq: seq, event: event, from: from, to: to, actor: actor, dataJSON: dataJSON),
            on: connection)
    }

    public func history(of id: UUID, on connection: DatabaseConnection) async throws -> [HistoryEntry] {
        var entries: [HistoryEntry] = []
        for try await (seq, event, from, to, actor, data, at) in try await connection.query(
            """
            SELECT seq, event, from_state, to_state, actor, data::text, occurred_at
            FROM return_events WHERE return_id = \(id) ORDER BY seq
            """, logger: logger
        ).decode((Int, String, String?, String, String, String, Date).self) {
            entries.append(HistoryEntry(seq: seq, event: event, from: from, to: to, actor: actor, data: data, at: at))
        }
        return entries
    }

    // MARK: - Outbox

    public func enqueueNotification(
        _ id: UUID, seq: Int, template: String, locale: String, payloadJSON: String, on connection: DatabaseConnection
    ) async throws {
        try await execute(
            TransitionStatements.EnqueueNotification(
                messageID: UUID(), id: id, seq: seq, template: template, locale: locale, payloadJSON: payloadJSON),
            on: connection)
        // Wakes listening dispatchers at commit; several in one transaction fold into one.
        try await OutboxRepository(logger: logger).wake(on: connection)
    }

    // MARK: - Timers

    /// Arms `name` to fall due `seconds` after `base` (the database clock when nil), replacing a pending timer of
    /// the same name.
    public func armTimer(
        _ id: UUID, name: String, event: String, state: String, seq: Int, seconds: Int, base: Date?,
        on connection: DatabaseConnection
    ) async throws {
        try await cancelTimer(id, name: name, on: connection)
        try await execute(
            TransitionStatements.InsertTimer(
                id: id, name: name, event: event, state: state, seq: seq, base: base, seconds: Double(seconds)),
            on: connection)
    }

    public func cancelTimer(_ id: UUID, name: String, on connection: DatabaseConnection) async throws {
        try await execute(
            TransitionStatements.CancelTimer(id: id, name: name), on: connection)
    }

    /// Timers due as of `asOf` (the database clock when nil), oldest first. Not locked: the caller locks the
    /// return first and then re-reads the timer, the same order a transition takes, so the two never deadlock.
    public func dueTimers(asOf: Date?, limit: Int, on connection: DatabaseConnection) async throws -> [TimerRecord] {
        var timers: [TimerRecord] = []
        for try await (id, returnID, name, event, state, due) in try await connection.query(
            """
            SELECT id, return_id, name, event, state, due_at FROM timers
            WHERE status = 'pending' AND due_at <= coalesce(\(asOf)::timestamptz, now())
            ORDER BY due_at, id LIMIT \(limit)
            """, logger: logger
        ).decode((Int64, UUID, String, String, String, Date).self) {
            timers.append(TimerRecord(id: id, returnID: returnID, name: name, event: event, state: state, dueAt: due))
        }
        return timers
    }

    /// Marks a pending timer settled as `status`; false when it was no longer pending.
    public func settleTimer(_ id: Int64, status: String, on connection: DatabaseConnection) async throws -> Bool {
        let rows = try await connection.query(
            "UPDATE timers SET status = \(status), settled_at = now() WHERE id = \(id) AND status = 'pending' RETURNING id",
            logger: logger)
        for try await _ in rows { return true }
        return false
    }

    public func pendingTimers(of id: UUID, on connection: DatabaseConnection) async throws -> [TimerRecord] {
        var timers: [TimerRecord] = []
        for try await (timerID, name, event, state, due) in try await connection.query(
            "SELECT id, name, event, state, due_at FROM timers WHERE return_id = \(id) AND status = 'pending' ORDER BY due_at",
            logger: logger
        ).decode((Int64, String, String, String, Date).self) {
            timers.append(TimerRecord(id: timerID, returnID: id, name: name, event: event, state: state, dueAt: due))
        }
        return timers
    }

    // MARK: - Refunds

    /// Inserts a refund with its itemized breakdown; false when one with the same idempotency key exists.
    /// The table's trigger refuses refunds adding up to more than was paid.
    public func insertRefund(
        _ id: UUID, idempotencyKey: String, amountMinor: Int64, currency: String, seq: Int, breakdownJSON: String,
        on connection: DatabaseConnection
    ) async throws -> Bool {
        let rows = try await connection.query(
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
        let rows = try await connection.execute(TransitionStatements.RefundedMinor(id: id), logger: logger)
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

    // MARK: - Idempotency

    public func findIdempotencyKey(scope: String, key: String, on connection: DatabaseConnection) async throws
        -> IdempotencyRecord?
    {
        for try await record in try await connection.execute(
            TransitionStatements.FindIdempotencyKey(scope: scope, key: key), logger: logger)
        {
            return record
        }
        return nil
    }

    public func recordIdempotencyKey(
        scope: String, key: String, requestHash: String, returnID: UUID?, responseJSON: String,
        on connection: DatabaseConnection
    ) async throws {
        try await execute(
            TransitionStatements.RecordIdempotencyKey(
                scope: scope, key: key, requestHash: requestHash, returnID: returnID, responseJSON: responseJSON),
            on: connection)
    }

    /// Holds a transaction-scoped lock on `key`, so two requests with one idempotency key run one after the other.
    public func lockKey(_ key: String, on connection: DatabaseConnection) async throws {
        try await connection.query("SELECT pg_advisory_xact_lock(hashtextextended(\(key), 0))", logger: logger)
    }
}

extension ReturnRecord {
    /// A row whose first columns are `ReturnRepository.returnColumns`, in that order.
    init(row: PostgresRow) throws {
        let (id, token, name, version, state, returnVersion, order, email, locale, currency, paid, created, updated,
            partner) = try row.decode(
                (UUID, String, String, Int, String, Int, String, String, String, String, Int64, Date, Date, Int64?).self)
        self.init(
            id: id, statusToken: token, workflowName: name, workflowVersion: version, state: state,
            version: returnVersion, orderRef: order, customerEmail: email, locale: locale, currency: currency,
            paidMinor: paid, createdAt: created, updatedAt: updated, partnerID: partner)
    }
}
