import Foundation
import Logging
import PostgresNIO
import Synchronization

/// Where read-only lookups may go, and how stale they may be.
public struct ReadReplicaSettings: Sendable {
    /// The replica (or a load balancer in front of the replicas).
    public var connection: DatabaseSettings
    /// A replica further behind the primary than this is bypassed.
    public var maximumLag: Duration
    /// How often the lag is measured.
    public var interval: Duration

    public init(connection: DatabaseSettings, maximumLag: Duration = .seconds(5), interval: Duration = .milliseconds(500)) {
        self.connection = connection
        self.maximumLag = maximumLag
        self.interval = interval
    }
}

/// A streaming replica that status lookups read from while it keeps up with the primary.
///
/// The lag is measured, not taken from the replica's own clock: every `interval` the monitor reads the primary's
/// WAL position (`pg_current_wal_lsn()`) and the replica's replayed one (`pg_last_wal_replay_lsn()`). A transaction
/// the primary committed before the moment it was seen at position L is on the replica once the replica has
/// replayed L; so the replica holds everything committed before the latest moment whose position it has replayed,
/// and its staleness is the time since then. That stays true when the primary is idle (the usual
/// `now() - pg_last_xact_replay_timestamp()` then grows without bound) and when the replica stops receiving
/// (`receive = replay` would call it current). It is an upper bound, to within one interval.
public final class ReadReplica: Sendable {
    public let settings: ReadReplicaSettings
    let client: PostgresClient
    let lossGuard = ConnectionLossGuard()
    private let state = Mutex(State())

    struct State {
        /// The primary's position at moments this process saw it, oldest first (a minute of them at most).
        var samples: [(at: ContinuousClock.Instant, lsn: Int64)] = []
        /// The latest moment the replica was known to hold everything committed before.
        var caughtUpTo: ContinuousClock.Instant?
        var lastError: String?
    }

    /// What `/health/ready` and `/metrics` report.
    public struct Status: Sendable, Equatable {
        public enum Verdict: String, Sendable { case current, lagging, down }
        public var verdict: Verdict
        /// How far behind the primary the replica is at most; nil when it was never seen caught up.
        public var lag: Duration?
        public var detail: String?
    }

    init(settings: ReadReplicaSettings, client: PostgresClient) {
        self.settings = settings
        self.client = client
    }

    /// The replica's state now.
    public var status: Status {
        let now = ContinuousClock.now
        return state.withLock { state in
            let lag = state.caughtUpTo.map { now - $0 }
            if let error = state.lastError { return Status(verdict: .down, lag: lag, detail: error) }
            guard let lag, lag <= settings.maximumLag else {
                return Status(
                    verdict: .lagging, lag: lag,
                    detail: "more than \(settings.maximumLag) behind the primary; lookups go to the primary")
            }
            return Status(verdict: .current, lag: lag, detail: nil)
        }
    }

    /// Whether a lookup may go to the replica now.
    public var isUsable: Bool { status.verdict == .current }

    /// Measures the lag every `interval` until cancelled.
    func monitor(primary: @escaping @Sendable () async throws -> Int64, logger: Logger) async {
        let limit = max(settings.interval * 2, .seconds(1))
        while !Task.isCancelled {
            let seen = ContinuousClock.now
            do {
                let primaryLSN = try await Deadline.run(within: limit) { try await primary() }
                record(sample: (seen, primaryLSN))
            } catch is CancellationError {
                return
            } catch {
                // The primary is away (a failover): no new moment to measure against, so the lag grows.
            }
            do {
                let replayed = try await Deadline.run(within: limit) { [self] in
                    try await withConnection { connection in
                        try await Self.position(on: connection, sql: Self.replayedSQL, logger: logger)
                    }
                }
                record(replayed: replayed)
            } catch is CancellationError {
                return
            } catch {
                let reason = error is Deadline.Exceeded ? "no answer within \(limit)" : StoreError.describe(error)
                let first = state.withLock { state in
                    defer { state.lastError = reason }
                    return state.lastError == nil
                }
                if first {
                    logger.warning("read replica unavailable; lookups go to the primary", metadata: ["reason": "\(reason)"])
                    lossGuard.closeAll()
                }
            }
            do { try await Task.sleep(for: settings.interval) } catch { return }
        }
    }

    func record(sample: (at: ContinuousClock.Instant, lsn: Int64)) {
        state.withLock { state in
            state.samples.append(sample)
            let horizon = sample.at - .seconds(60)
            if let keep = state.samples.firstIndex(where: { $0.at >= horizon }), keep > 0 {
                state.samples.removeFirst(keep)
            }
        }
    }

    /// Moves `caughtUpTo` to the latest sampled moment whose primary position the replica has replayed.
    func record(replayed: Int64) {
        state.withLock { state in
            state.lastError = nil
            if let moment = Self.caughtUp(samples: state.samples, replayed: replayed),
                state.caughtUpTo.map({ moment > $0 }) ?? true
            {
                state.caughtUpTo = moment
            }
        }
    }

    /// The latest moment in `samples` at which the primary's position was at most `replayed`.
    static func caughtUp(samples: [(at: ContinuousClock.Instant, lsn: Int64)], replayed: Int64)
        -> ContinuousClock.Instant?
    {
        samples.last { $0.lsn <= replayed }?.at
    }

    /// Runs `body` on a pooled connection to the replica, under its own connection-loss guard.
    func withConnection<T: Sendable>(_ body: @escaping @Sendable (DatabaseConnection) async throws -> T) async throws
        -> T
    {
        let lossGuard = self.lossGuard
        return try await client.withConnection { connection in
            try await lossGuard.run(on: connection) { try await body(DatabaseConnection($0)) }
        }
    }

    static let primarySQL = "SELECT (pg_current_wal_lsn() - '0/0')::int8"
    /// A server not in recovery (a replica promoted meanwhile, or a primary named as the replica) answers its own
    /// position, which is then as far as anything it holds.
    static let replayedSQL = """
        SELECT (CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END
                - '0/0')::int8
        """

    static func position(on connection: DatabaseConnection, sql: String, logger: Logger) async throws -> Int64 {
        let rows = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger)
        for try await value in rows.decode(Int64?.self) {
            guard let value else { throw StoreError.unreachable(target: "replica", detail: "no WAL position") }
            return value
        }
        throw StoreError.unreachable(target: "replica", detail: "no WAL position")
    }
}
