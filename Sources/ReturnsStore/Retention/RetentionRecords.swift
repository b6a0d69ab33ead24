import Foundation

/// How many rows retention removes (or, in a dry run, would remove) per table.
public struct PruneCounts: Sendable, Codable, Equatable {
    public var outbox: Int
    public var timers: Int
    public var idempotencyKeys: Int
    /// Outbox partitions of past months dropped because retention had emptied them; nil in a dry run.
    public var outboxPartitions: Int?

    public init(outbox: Int, timers: Int, idempotencyKeys: Int, outboxPartitions: Int? = nil) {
        self.outbox = outbox
        self.timers = timers
        self.idempotencyKeys = idempotencyKeys
        self.outboxPartitions = outboxPartitions
    }
}

/// One table's size and tuples; a partitioned table shows its partitions summed.
public struct TableStats: Sendable, Codable {
    public var name: String
    /// 0 for a plain table.
    public var partitions: Int
    /// Heap, indexes and TOAST.
    public var totalBytes: Int64
    public var liveTuples: Int64
    public var deadTuples: Int64
    public var lastVacuum: Date?
}

/// Work waiting in one queue: how much, and how long the oldest has waited (nil when none waits).
public struct QueueBacklog: Sendable, Codable {
    /// `outbox`, `outbox_dead`, `timers_due` (due, not fired yet), `refunds` (pending or sent), `inventory_outbox`.
    public var kind: String
    public var count: Int
    public var oldestAgeSeconds: Double?
}

/// The months a partitioned table has partitions for; writes after the end of `lastMonth` would fail.
public struct PartitionCoverage: Sendable, Codable {
    public var table: String
    public var partitions: Int
    public var firstMonth: Date
    public var lastMonth: Date
}

/// What `returns db stats` shows.
public struct DatabaseStats: Sendable, Codable {
    public var tables: [TableStats]
    public var pendingWork: [QueueBacklog]
    public var partitions: [PartitionCoverage]
}
