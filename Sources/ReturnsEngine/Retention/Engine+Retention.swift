import Foundation
import PostgresNIO
import ReturnsStore

extension Engine {
    /// Deletes settled work older than the settings' ages in batches of `batchSize`, each its own transaction,
    /// pausing between batches. Rows locked by anyone else are skipped, so this never waits on the hot path.
    /// Then drops the outbox partitions of past months left empty (waiting at most `partitionLockTimeout`).
    public func prune(_ settings: RetentionSettings) async throws -> PruneCounts {
        let retention = RetentionRepository(logger: logger)
        let limit = settings.batchSize
        let outbox = try await inBatches(settings) { connection in
            try await retention.deleteDeliveredOutbox(
                olderThan: settings.deliveredOutboxAge.totalSeconds, limit: limit, on: connection)
        }
        let timers = try await inBatches(settings) { connection in
            try await retention.deleteSettledTimers(
                olderThan: settings.settledTimerAge.totalSeconds, limit: limit, on: connection)
        }
        let keys = try await inBatches(settings) { connection in
            try await retention.deleteIdempotencyKeys(
                olderThan: settings.idempotencyKeyAge.totalSeconds, limit: limit, on: connection)
        }
        let milliseconds = max(1, Int(settings.partitionLockTimeout.totalSeconds * 1000))
        let partitions = try await transaction { [self] connection in
            try await retention.dropEmptyOutboxPartitions(lockTimeoutMilliseconds: milliseconds, on: connection)
        }
        return PruneCounts(outbox: outbox, timers: timers, idempotencyKeys: keys, outboxPartitions: partitions)
    }

    /// What `prune` would delete now, deleting nothing.
    public func prunable(_ settings: RetentionSettings) async throws -> PruneCounts {
        try await database.withConnection { [self] connection in
            try await RetentionRepository(logger: logger).prunable(
                outboxAge: settings.deliveredOutboxAge.totalSeconds, timerAge: settings.settledTimerAge.totalSeconds,
                idempotencyKeyAge: settings.idempotencyKeyAge.totalSeconds, on: connection)
        }
    }

    /// Creates the monthly partitions missing from this month through `partitionMonthsAhead` ahead; returns how many.
    public func ensurePartitions(_ settings: RetentionSettings = RetentionSettings()) async throws -> Int {
        let milliseconds = Int(settings.partitionLockTimeout.totalSeconds * 1000)
        return try await transaction { [self] connection in
            try await RetentionRepository(logger: logger).ensurePartitions(
                monthsAhead: settings.partitionMonthsAhead, lockTimeoutMilliseconds: max(1, milliseconds),
                on: connection)
        }
    }

    /// Table sizes and tuples, the oldest pending work, and partition coverage.
    public func databaseStats() async throws -> DatabaseStats {
        try await database.withConnection { [self] connection in
            try await RetentionRepository(logger: logger).stats(on: connection)
        }
    }

    private func inBatches(
        _ settings: RetentionSettings, _ batch: @escaping @Sendable (PostgresConnection) async throws -> Int
    ) async throws -> Int {
        var total = 0
        while true {
            try Task.checkCancellation()
            // One statement outside an explicit transaction: it commits on its own, holding its locks briefly.
            let deleted = try await database.withConnection { [self] connection in try await batch(connection) }
            total += deleted
            if deleted < settings.batchSize { return total }
            try await Task.sleep(for: settings.pauseBetweenBatches)
        }
    }
}
