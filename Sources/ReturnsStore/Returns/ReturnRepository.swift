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

    /// `returnColumns`, each named as a column of `alias`, for a statement that joins other tables.
    static func returnColumns(of alias: String) -> String {
        returnColumns.split(separator: ",").map { "\(alias).\($0.trimmingCharacters(in: .whitespacesAndNewlines))" }
            .joined(separator: ", ")
    }

    func decodeReturns(_ rows: PostgresRowSequence) async throws -> [ReturnRecord] {
        var records: [ReturnRecord] = []
        for try await row in rows { records.append(try ReturnRecord(row: row)) }
        return records
    }

    // MARK: - Returns

    /// Locks the return's row for this transaction and reads the idempotency key `scope`/`key` as committed when
    /// the lock was granted: in the lock's round trip, and again after it only when the return moved while the lock
    /// was waited for (see `TransitionStatements.LockReturnWithKey`). Nil when there is no such return.
    public func lockReturn(_ id: UUID, readingKey scope: String, _ key: String, on connection: DatabaseConnection)
        async throws -> (ReturnRecord, IdempotencyRecord?)?
    {
        let rows = try await connection.execute(
            TransitionStatements.LockReturnWithKey(id: id, scope: scope, key: key), logger: logger)
        for try await (record, recorded, stale) in rows {
            guard stale else { return (record, recorded) }
            let again = try await connection.execute(
                TransitionStatements.FindIdempotencyKey(scope: scope, key: key), logger: logger)
            for try await recorded in again { return (record, recorded) }
            return (record, nil)
        }
        return nil
    }

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

    /// Inserts the return and its lines. With `orderID`, each line holds units of its order line: asking for more
    /// than remain is refused by the database (`OrderRefusal.lineExhausted`), whoever else asks at the same time.
    public func insertReturn(
        _ record: ReturnRecord, items: [ItemRecord], orderID: Int64? = nil, on connection: DatabaseConnection
    ) async throws {
        try await connection.query(
            """
            INSERT INTO returns (id, status_token, workflow_name, workflow_version, state, version, order_ref,
                                 customer_email, locale, currency, paid_minor, partner_id, order_id)
            VALUES (\(record.id), \(record.statusToken), \(record.workflowName), \(record.workflowVersion),
                    \(record.state), \(record.version), \(record.orderRef), \(record.customerEmail), \(record.locale),
                    \(record.currency), \(record.paidMinor), \(record.partnerID), \(orderID))
            """, logger: logger)
        do {
            for item in items {
                let order = item.orderLine == nil ? nil : orderID
                try await connection.query(
                    """
                    INSERT INTO return_items (return_id, line, sku, quantity, unit_price_minor, currency, category, reason,
                                              order_id, order_line, resolution, exchange_sku)
                    VALUES (\(record.id), \(item.line), \(item.sku), \(item.quantity), \(item.unitPriceMinor),
                            \(item.currency), \(item.category), \(item.reason), \(order), \(item.orderLine),
                            \(item.resolution), \(item.exchangeSKU))
                    """, logger: logger)
            }
        } catch {
            if let refusal = OrderRefusal.from(error, orderRef: "") { throw refusal }
            throw error
        }
    }

    /// At a return's end, its lines keep holding only the units received or refunded; the rest go back to their
    /// order lines (a cancelled return gives back everything).
    public func releaseOrderUnits(of id: UUID, on connection: DatabaseConnection) async throws {
        try await connection.run(
            "UPDATE return_items SET quantity_held = 0 WHERE return_id = \(id) AND order_id IS NOT NULL", logger: logger)
    }

    public func updateState(_ id: UUID, state: String, version: Int, on connection: DatabaseConnection) async throws {
        try await connection.write(
            DeferredWrite("state").with("return", id).with("state", state).with("version", version), logger: logger)
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
        try await connection.write(
            DeferredWrite("event").with("return", id).with("seq", seq).with("event", event).with("from", from)
                .with("to", to).with("actor", actor).with("data", json: dataJSON), logger: logger)
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

extension ReturnRepository {
    /// When the order was placed (for the return window) and where the customer ships from (for partner choice).
    public func setOrigin(_ id: UUID, orderedAt: Date, region: String?, on connection: DatabaseConnection) async throws {
        try await connection.query(
            "UPDATE returns SET ordered_at = \(orderedAt), region = \(region) WHERE id = \(id)", logger: logger)
    }

    /// Returns this customer created in the last 90 days.
    /// Returns of the last 90 days by `customer` (email), and with `customerID` by every order of that customer
    /// of the shop's, whatever email it was placed with.
    public func recentReturns(customer: String, customerID: String? = nil, on connection: DatabaseConnection)
        async throws -> Int
    {
        let rows: PostgresRowSequence
        if let customerID {
            rows = try await connection.query(
                """
                SELECT count(*)::bigint FROM returns r
                WHERE r.created_at > now() - interval '90 days'
                  AND (r.customer_email = \(customer)
                       OR r.order_id IN (SELECT id FROM orders WHERE customer_id = \(customerID)))
                """, logger: logger)
        } else {
            rows = try await connection.query(
                """
                SELECT count(*)::bigint FROM returns
                WHERE customer_email = \(customer) AND created_at > now() - interval '90 days'
                """, logger: logger)
        }
        for try await count in rows.decode(Int.self) { return count }
        return 0
    }
}
