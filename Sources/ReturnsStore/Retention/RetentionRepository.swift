import Foundation
import Logging
import PostgresNIO

/// The SQL of retention: deleting settled work in small batches, creating monthly partitions ahead, and the
/// figures of `returns db stats`. History (`return_events`) is never deleted.
public struct RetentionRepository: Sendable {
    public let logger: Logger

    public init(logger: Logger) {
        self.logger = logger
    }

    /// Deletes up to `limit` outbox messages delivered more than `ageSeconds` ago; returns how many. Rows locked by
    /// anyone else are skipped, so this never waits for a dispatcher or a transition. Dead messages stay.
    public func deleteDeliveredOutbox(olderThan ageSeconds: Double, limit: Int, on connection: DatabaseConnection)
        async throws -> Int
    {
        // ctid is not unique across partitions: the key names the row.
        try await count(
            """
            WITH doomed AS (
                SELECT id, return_id, created_at FROM outbox
                WHERE status = 'delivered' AND delivered_at < now() - make_interval(secs => \(ageSeconds))
                ORDER BY delivered_at LIMIT \(limit)
                FOR UPDATE SKIP LOCKED)
            DELETE FROM outbox o USING doomed d
            WHERE o.id = d.id AND o.return_id = d.return_id AND o.created_at = d.created_at
            RETURNING 1
            """, on: connection)
    }

    /// Deletes up to `limit` timers fired, cancelled or discarded more than `ageSeconds` ago; pending timers stay.
    public func deleteSettledTimers(olderThan ageSeconds: Double, limit: Int, on connection: DatabaseConnection)
        async throws -> Int
    {
        try await count(
            """
            DELETE FROM timers WHERE id = ANY(ARRAY(
                SELECT id FROM timers
                WHERE status <> 'pending' AND settled_at < now() - make_interval(secs => \(ageSeconds))
                ORDER BY settled_at LIMIT \(limit)
                FOR UPDATE SKIP LOCKED))
            RETURNING 1
            """, on: connection)
    }

    /// Deletes up to `limit` idempotency keys recorded more than `ageSeconds` ago. A command repeated with such a
    /// key afterwards runs as a new one.
    public func deleteIdempotencyKeys(olderThan ageSeconds: Double, limit: Int, on connection: DatabaseConnection)
        async throws -> Int
    {
        try await count(
            """
            DELETE FROM idempotency_keys WHERE ctid = ANY(ARRAY(
                SELECT ctid FROM idempotency_keys
                WHERE created_at < now() - make_interval(secs => \(ageSeconds))
                ORDER BY created_at LIMIT \(limit)
                FOR UPDATE SKIP LOCKED))
            RETURNING 1
            """, on: connection)
    }

    /// Deletes counts of failed order lookups from windows that ended more than a day ago (nothing limits by them
    /// any more; a day of them stays for looking into a guessing attack).
    public func deleteOldLookupFailures(on connection: DatabaseConnection) async throws -> Int {
        try await count(
            "DELETE FROM lookup_failures WHERE window_start < now() - interval '1 day' RETURNING 1", on: connection)
    }

    /// What the three deletes would remove now, without removing anything.
    public func prunable(
        outboxAge: Double, timerAge: Double, idempotencyKeyAge: Double, on connection: DatabaseConnection
    ) async throws -> PruneCounts {
        let rows = try await connection.query(
            """
            SELECT (SELECT count(*) FROM outbox
                    WHERE status = 'delivered' AND delivered_at < now() - make_interval(secs => \(outboxAge)))::bigint,
                   (SELECT count(*) FROM timers
                    WHERE status <> 'pending' AND settled_at < now() - make_interval(secs => \(timerAge)))::bigint,
                   (SELECT count(*) FROM idempotency_keys
                    WHERE created_at < now() - make_interval(secs => \(idempotencyKeyAge)))::bigint
            """, logger: logger)
        for try await (outbox, timers, keys) in rows.decode((Int, Int, Int).self) {
            return PruneCounts(outbox: outbox, timers: timers, idempotencyKeys: keys)
        }
        return PruneCounts(outbox: 0, timers: 0, idempotencyKeys: 0)
    }

    /// Creates the monthly partitions of `return_events` and `outbox` from this month through `monthsAhead` months
    /// ahead that are missing; returns how many it created. Attaching a partition briefly needs a lock that waits
    /// for open transactions writing `returns` (the foreign key), so it gives up after `lockTimeoutMilliseconds`
    /// instead of queueing transitions behind it; the next pass tries again.
    public func ensurePartitions(monthsAhead: Int, lockTimeoutMilliseconds: Int, on connection: DatabaseConnection)
        async throws -> Int
    {
        // SET takes no bind parameters; set_config does, and `true` keeps it to this transaction.
        try await connection.query(
            "SELECT set_config('lock_timeout', \("\(lockTimeoutMilliseconds)ms"), true)", logger: logger)
        let rows = try await connection.query(
            "SELECT returns_ensure_partitions(now(), now() + make_interval(months => \(monthsAhead)::integer))",
            logger: logger)
        for try await created in rows.decode(Int.self) { return created }
        return 0
    }

    /// Drops the outbox partitions of past months that hold no rows; returns how many. Dropping needs an exclusive
    /// lock on the parent, so it waits at most `lockTimeoutMilliseconds` and leaves the rest for the next pass.
    public func dropEmptyOutboxPartitions(lockTimeoutMilliseconds: Int, on connection: DatabaseConnection)
        async throws -> Int
    {
        try await connection.query(
            "SELECT set_config('lock_timeout', \("\(lockTimeoutMilliseconds)ms"), true)", logger: logger)
        let rows = try await connection.query("SELECT returns_drop_empty_outbox_partitions()", logger: logger)
        for try await dropped in rows.decode(Int.self) { return dropped }
        return 0
    }

    /// Creates partitions for the months from `since` through `through` (for data written with explicit times, such
    /// as imports and tests).
    public func ensurePartitions(since: Date, through: Date, on connection: DatabaseConnection) async throws -> Int {
        let rows = try await connection.query(
            "SELECT returns_ensure_partitions(\(since), \(through))", logger: logger)
        for try await created in rows.decode(Int.self) { return created }
        return 0
    }

    /// Sizes, live and dead tuples per table (partitions summed into their parent), the oldest pending work, and
    /// how far ahead the partitions reach.
    public func stats(on connection: DatabaseConnection) async throws -> DatabaseStats {
        var tables: [TableStats] = []
        for try await (name, partitions, bytes, live, dead, vacuumed) in try await connection.query(
            """
            SELECT coalesce(p.relname, c.relname)::text,
                   count(p.oid)::bigint,
                   sum(pg_total_relation_size(c.oid))::bigint,
                   coalesce(sum(s.n_live_tup), 0)::bigint,
                   coalesce(sum(s.n_dead_tup), 0)::bigint,
                   max(greatest(s.last_vacuum, s.last_autovacuum))
            FROM pg_class c
            JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = current_schema()
            LEFT JOIN pg_inherits i ON i.inhrelid = c.oid
            LEFT JOIN pg_class p ON p.oid = i.inhparent
            LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid
            WHERE c.relkind = 'r'
            GROUP BY 1
            ORDER BY 3 DESC, 1
            """, logger: logger
        ).decode((String, Int, Int64, Int64, Int64, Date?).self) {
            tables.append(
                TableStats(
                    name: name, partitions: partitions, totalBytes: bytes, liveTuples: live, deadTuples: dead,
                    lastVacuum: vacuumed))
        }
        var work: [QueueBacklog] = []
        for try await (kind, count, oldest) in try await connection.query(
            """
            SELECT 'outbox', count(*)::bigint, extract(epoch FROM now() - min(created_at))::float8
                FROM outbox WHERE status = 'pending'
            UNION ALL
            SELECT 'outbox_dead', count(*)::bigint, extract(epoch FROM now() - min(created_at))::float8
                FROM outbox WHERE status = 'dead'
            UNION ALL
            SELECT 'timers_due', count(*)::bigint, extract(epoch FROM now() - min(due_at))::float8
                FROM timers WHERE status = 'pending' AND due_at <= now()
            UNION ALL
            SELECT 'refunds', count(*)::bigint, extract(epoch FROM now() - min(created_at))::float8
                FROM refunds WHERE status IN ('pending', 'sent')
            UNION ALL
            SELECT 'inventory_outbox', count(*)::bigint, extract(epoch FROM now() - min(created_at))::float8
                FROM inventory_outbox WHERE status = 'pending'
            """, logger: logger
        ).decode((String, Int, Double?).self) {
            work.append(QueueBacklog(kind: kind, count: count, oldestAgeSeconds: oldest.map { max(0, $0) }))
        }
        var partitions: [PartitionCoverage] = []
        for try await (parent, count, first, last) in try await connection.query(
            """
            SELECT p.relname::text, count(*)::bigint,
                   min(to_date(right(c.relname, 7), 'YYYY_MM')::timestamp AT TIME ZONE 'UTC'),
                   max(to_date(right(c.relname, 7), 'YYYY_MM')::timestamp AT TIME ZONE 'UTC')
            FROM pg_inherits i
            JOIN pg_class p ON p.oid = i.inhparent
            JOIN pg_class c ON c.oid = i.inhrelid
            WHERE p.relkind = 'p' AND p.relname IN ('return_events', 'outbox') AND c.relname ~ '_[0-9]{4}_[0-9]{2}$'
            GROUP BY 1 ORDER BY 1
            """, logger: logger
        ).decode((String, Int, Date, Date).self) {
            partitions.append(PartitionCoverage(table: parent, partitions: count, firstMonth: first, lastMonth: last))
        }
        return DatabaseStats(tables: tables, pendingWork: work, partitions: partitions)
    }

    private func count(_ query: PostgresQuery, on connection: DatabaseConnection) async throws -> Int {
        var deleted = 0
        for try await _ in try await connection.query(query, logger: logger) { deleted += 1 }
        return deleted
    }
}
