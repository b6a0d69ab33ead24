import Foundation
import Logging
import PostgresNIO

/// The SQL of delivering the outbox: claim, settle, list, retry and count.
public struct OutboxRepository: Sendable {
    /// The channel `NOTIFY` uses when a transition queues a notification.
    public static let wakeChannel = "returns_outbox"

    public let logger: Logger

    public init(logger: Logger) {
        self.logger = logger
    }

    /// Locks up to `limit` due messages for this transaction, at most one per return: a message is taken only when
    /// no earlier message of its return is still pending (locked by another dispatcher, or waiting for a retry), so
    /// one return's messages go out in the order they were written. Locked rows of other dispatchers are skipped.
    /// Must run inside a transaction that stays open while the messages are delivered.
    public func claim(limit: Int, on connection: DatabaseConnection) async throws -> [OutboxMessage] {
        var messages: [OutboxMessage] = []
        let rows = try await connection.query(
            """
            SELECT o.id, o.message_id, o.return_id, o.seq, o.template, o.locale, o.payload::text, o.attempts,
                   r.customer_email, o.created_at
            FROM outbox o JOIN returns r ON r.id = o.return_id
            WHERE o.status = 'pending' AND o.next_attempt_at <= now()
              AND NOT EXISTS (
                  SELECT 1 FROM outbox e
                  WHERE e.status = 'pending' AND e.return_id = o.return_id AND (e.seq, e.id) < (o.seq, o.id))
            ORDER BY o.next_attempt_at, o.id
            LIMIT \(limit)
            FOR UPDATE OF o SKIP LOCKED
            """, logger: logger)
        for try await (id, messageID, returnID, seq, template, locale, payload, attempts, email, created)
            in rows.decode(
                (Int64, UUID, UUID, Int, String, String, String, Int, String, Date).self)
        {
            messages.append(
                OutboxMessage(
                    id: id, messageID: messageID, returnID: returnID, seq: seq, template: template, locale: locale,
                    payload: payload, attempts: attempts, customerEmail: email, createdAt: created))
        }
        return messages
    }

    public func markDelivered(_ id: Int64, channel: String, on connection: DatabaseConnection) async throws {
        try await connection.query(
            """
            UPDATE outbox SET status = 'delivered', attempts = attempts + 1, delivered_at = now(),
                              last_attempt_at = now(), channel = \(channel)
            WHERE id = \(id)
            """, logger: logger)
    }

    /// Records a failed attempt: back to pending, due after `retryAfterSeconds`, or dead when that is nil.
    public func markFailed(_ id: Int64, error: String, retryAfterSeconds: Double?, on connection: DatabaseConnection)
        async throws
    {
        let status = retryAfterSeconds == nil ? "dead" : "pending"
        try await connection.query(
            """
            UPDATE outbox SET status = \(status), attempts = attempts + 1, last_error = \(error),
                              last_attempt_at = now(),
                              next_attempt_at = now() + make_interval(secs => \(retryAfterSeconds ?? 0))
            WHERE id = \(id)
            """, logger: logger)
    }

    /// Messages of every return (with `status`, if given), or of one return (`returnID`), oldest first.
    public func list(status: String?, returnID: UUID? = nil, limit: Int, on connection: DatabaseConnection) async throws
        -> [OutboxEntry]
    {
        let columns = """
            message_id, return_id, seq, template, locale, status, attempts, next_attempt_at, last_error, created_at, \
            delivered_at
            """
        let query: PostgresQuery =
            if let returnID {
                "SELECT \(unescaped: columns) FROM outbox WHERE return_id = \(returnID) ORDER BY id LIMIT \(limit)"
            } else if let status {
                "SELECT \(unescaped: columns) FROM outbox WHERE status = \(status) ORDER BY id LIMIT \(limit)"
            } else {
                "SELECT \(unescaped: columns) FROM outbox ORDER BY id LIMIT \(limit)"
            }
        var entries: [OutboxEntry] = []
        for try await (messageID, returnID, seq, template, locale, status, attempts, next, error, created, delivered)
            in try await connection.query(query, logger: logger).decode(
                (UUID, UUID, Int, String, String, String, Int, Date, String?, Date, Date?).self)
        {
            entries.append(
                OutboxEntry(
                    messageID: messageID, returnID: returnID, seq: seq, template: template, locale: locale,
                    status: status, attempts: attempts, nextAttemptAt: next, lastError: error, createdAt: created,
                    deliveredAt: delivered))
        }
        return entries
    }

    /// The status of one message, nil when there is none with that id.
    public func status(of messageID: UUID, on connection: DatabaseConnection) async throws -> String? {
        let rows = try await connection.query(
            "SELECT status FROM outbox WHERE message_id = \(messageID)", logger: logger)
        for try await status in rows.decode(String.self) { return status }
        return nil
    }

    /// Puts a dead message back to pending with a fresh count of attempts, due now; a pending one becomes due now.
    /// Returns how many rows changed. Wakes the dispatchers in the same transaction.
    public func retry(_ messageID: UUID, on connection: DatabaseConnection) async throws -> Int {
        try await retry(
            """
            UPDATE outbox SET status = 'pending', next_attempt_at = now(),
                              attempts = CASE WHEN status = 'dead' THEN 0 ELSE attempts END
            WHERE message_id = \(messageID) AND status IN ('pending', 'dead') RETURNING id
            """, on: connection)
    }

    public func retryAllDead(on connection: DatabaseConnection) async throws -> Int {
        try await retry(
            "UPDATE outbox SET status = 'pending', next_attempt_at = now(), attempts = 0 WHERE status = 'dead' RETURNING id",
            on: connection)
    }

    private func retry(_ query: PostgresQuery, on connection: DatabaseConnection) async throws -> Int {
        var changed = 0
        for try await _ in try await connection.query(query, logger: logger) { changed += 1 }
        if changed > 0 { try await wake(on: connection) }
        return changed
    }

    /// Tells listening dispatchers there is work; PostgreSQL sends it when the transaction commits.
    public func wake(on connection: DatabaseConnection) async throws {
        try await connection.write(DeferredWrite("wake").with("channel", Self.wakeChannel), logger: logger)
    }

    /// Counts over the whole table: meant for `returns notify stats` and scraping, not for a hot loop.
    public func stats(on connection: DatabaseConnection) async throws -> OutboxStats {
        let rows = try await connection.query(
            """
            SELECT count(*) FILTER (WHERE status = 'pending')::bigint,
                   coalesce(extract(epoch FROM now() - min(created_at) FILTER (WHERE status = 'pending')), 0)::float8,
                   count(*) FILTER (WHERE status = 'delivered')::bigint,
                   coalesce(sum(CASE WHEN status = 'delivered' THEN attempts - 1 ELSE attempts END), 0)::bigint,
                   count(*) FILTER (WHERE status = 'dead')::bigint
            FROM outbox
            """, logger: logger)
        for try await (pending, age, delivered, failed, dead) in rows.decode((Int, Double, Int, Int, Int).self) {
            return OutboxStats(
                pending: pending, oldestPendingAgeSeconds: max(0, age), delivered: delivered, failedAttempts: failed,
                dead: dead)
        }
        return OutboxStats(pending: 0, oldestPendingAgeSeconds: 0, delivered: 0, failedAttempts: 0, dead: 0)
    }
}

extension OutboxRepository {

    public func enqueueNotification(
        _ id: UUID, seq: Int, template: String, locale: String, payloadJSON: String, on connection: DatabaseConnection
    ) async throws {
        try await connection.write(
            DeferredWrite("notification").with("message", UUID()).with("return", id).with("seq", seq)
                .with("template", template).with("locale", locale).with("payload", json: payloadJSON), logger: logger)
        // Wakes listening dispatchers at commit; several in one transaction fold into one.
        try await wake(on: connection)
    }
}
