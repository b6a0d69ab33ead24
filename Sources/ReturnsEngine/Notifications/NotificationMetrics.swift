import Synchronization

/// Counters of one process's dispatchers, for printing and for a future `/metrics` endpoint. The table-wide figures
/// (pending, oldest pending age) come from `Engine.outbox.stats()`, which every process sees alike.
public final class NotificationMetrics: Sendable {
    public struct Snapshot: Sendable, Hashable, Codable {
        public var delivered = 0
        /// Failed attempts, including the ones that made a message dead.
        public var failed = 0
        public var dead = 0
        public var batches = 0
        /// Whether the LISTEN connection is up (false: the dispatcher is polling only).
        public var listening = false
    }

    private let counters = Mutex(Snapshot())

    public init() {}

    public func snapshot() -> Snapshot { counters.withLock { $0 } }

    func record(_ report: DrainReport) {
        counters.withLock {
            $0.delivered += report.delivered
            $0.failed += report.failed + report.dead
            $0.dead += report.dead
            if report.claimed > 0 { $0.batches += 1 }
        }
    }

    func setListening(_ listening: Bool) {
        counters.withLock { $0.listening = listening }
    }
}

/// What one drain pass did.
public struct DrainReport: Sendable, Hashable, Codable {
    public var claimed = 0
    public var delivered = 0
    /// Failed attempts that will be retried.
    public var failed = 0
    /// Messages parked as dead in this pass.
    public var dead = 0

    public init() {}

    mutating func add(_ other: DrainReport) {
        claimed += other.claimed
        delivered += other.delivered
        failed += other.failed
        dead += other.dead
    }
}
