import Foundation

/// How long settled work is kept and how the retention worker paces itself. History (`return_events`) is kept for
/// good; only work that is finished goes.
public struct RetentionSettings: Sendable, Equatable {
    /// Delivered outbox messages older than this are deleted (dead ones stay until retried or handled).
    /// Default 14 days: long enough for support to see what a customer was sent.
    public var deliveredOutboxAge: Duration
    /// Fired, cancelled and discarded timers settled longer ago than this are deleted. Default 30 days.
    public var settledTimerAge: Duration
    /// Idempotency keys older than this are deleted; a command repeated with such a key afterwards runs anew.
    /// Default 90 days: longer than any client or manifest retry window.
    public var idempotencyKeyAge: Duration
    /// Rows per DELETE; each batch is its own short transaction. Default 500.
    public var batchSize: Int
    /// Pause between batches, so pruning a backlog leaves the database to the hot path. Default 50 ms.
    public var pauseBetweenBatches: Duration
    /// Time between the worker's passes. Default 10 minutes.
    public var interval: Duration
    /// Monthly partitions kept ready beyond the current month. Default 3.
    public var partitionMonthsAhead: Int
    /// How long creating a partition may wait for its lock before giving up until the next pass. Default 100 ms.
    public var partitionLockTimeout: Duration

    public init(
        deliveredOutboxAge: Duration = .seconds(14 * 86_400), settledTimerAge: Duration = .seconds(30 * 86_400),
        idempotencyKeyAge: Duration = .seconds(90 * 86_400), batchSize: Int = 500,
        pauseBetweenBatches: Duration = .milliseconds(50), interval: Duration = .seconds(600),
        partitionMonthsAhead: Int = 3, partitionLockTimeout: Duration = .milliseconds(100)
    ) {
        self.deliveredOutboxAge = deliveredOutboxAge
        self.settledTimerAge = settledTimerAge
        self.idempotencyKeyAge = idempotencyKeyAge
        self.batchSize = max(1, batchSize)
        self.pauseBetweenBatches = pauseBetweenBatches
        self.interval = interval
        self.partitionMonthsAhead = max(1, partitionMonthsAhead)
        self.partitionLockTimeout = partitionLockTimeout
    }

    /// `14d`, `12h`, `30m` or `90s` (a whole number and a unit); nil for anything else.
    public static func parseAge(_ text: String) -> Duration? {
        let units: [Character: Int64] = ["d": 86_400, "h": 3_600, "m": 60, "s": 1]
        guard let unit = text.last, let scale = units[unit], let count = Int64(text.dropLast()), count >= 0,
            count <= Int64.max / scale
        else { return nil }
        return .seconds(count * scale)
    }
}
