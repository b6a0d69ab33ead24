import Foundation
import ReturnsStore

/// Keeping the database lean: pruning settled work, monthly partitions, and table figures.
public struct Maintenance: Sendable {
    let engine: Engine

    var retention: RetentionRepository { RetentionRepository(logger: engine.logger) }

    /// Deletes settled work older than the settings' ages in batches of `batchSize`, each its own transaction,
    /// pausing between batches. Rows locked by anyone else are skipped, so this never waits on the hot path.
    /// Then drops the outbox partitions of past months left empty (waiting at most `partitionLockTimeout`).
    public func prune(_ settings: RetentionSettings) async throws -> PruneCounts {
        let retention = self.retention
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
        let partitions = try await engine.transaction { connection in
            try await retention.dropEmptyOutboxPartitions(lockTimeoutMilliseconds: milliseconds, on: connection)
        }
        _ = try await engine.transaction { connection in try await retention.deleteOldLookupFailures(on: connection) }
        return PruneCounts(outbox: outbox, timers: timers, idempotencyKeys: keys, outboxPartitions: partitions)
    }

    /// Lets stock holds and store credit past their dates go, in batches of `batchSize`: held units go back on
    /// sale, what was left of a credit is written off in its ledger. The numbers let go.
    public func expireLapsed(batchSize: Int = 500) async throws -> (holds: Int, credits: Int) {
        var holds = 0
        while true {
            let expired = try await engine.transaction { [engine] connection in
                try await engine.store.catalog.expireHolds(limit: batchSize, on: connection)
            }
            holds += expired
            if expired < batchSize { break }
        }
        var credits = 0
        while true {
            let expired = try await engine.credits.expireDue(limit: batchSize)
            credits += expired
            if expired < batchSize { break }
        }
        return (holds, credits)
    }

    /// What `prune` would delete now, deleting nothing.
    public func prunable(_ settings: RetentionSettings) async throws -> PruneCounts {
        try await engine.read { [retention] connection in
            try await retention.prunable(
                outboxAge: settings.deliveredOutboxAge.totalSeconds, timerAge: settings.settledTimerAge.totalSeconds,
                idempotencyKeyAge: settings.idempotencyKeyAge.totalSeconds, on: connection)
        }
    }

    /// Creates the monthly partitions missing from this month through `partitionMonthsAhead` ahead; returns how many.
    public func ensurePartitions(_ settings: RetentionSettings = RetentionSettings()) async throws -> Int {
        let milliseconds = Int(settings.partitionLockTimeout.totalSeconds * 1000)
        return try await engine.transaction { [retention] connection in
            try await retention.ensurePartitions(
                monthsAhead: settings.partitionMonthsAhead, lockTimeoutMilliseconds: max(1, milliseconds),
                on: connection)
        }
    }

    /// Table sizes and tuples, the oldest pending work, and partition coverage.
    public func databaseStats() async throws -> DatabaseStats {
        try await engine.read { [retention] connection in try await retention.stats(on: connection) }
    }

    private func inBatches(
        _ settings: RetentionSettings, _ batch: @escaping @Sendable (DatabaseConnection) async throws -> Int
    ) async throws -> Int {
        var total = 0
        while true {
            try Task.checkCancellation()
            // One statement outside an explicit transaction: it commits on its own, holding its locks briefly.
            let deleted = try await engine.read(batch)
            total += deleted
            if deleted < settings.batchSize { return total }
            try await Task.sleep(for: settings.pauseBetweenBatches)
        }
    }
}
