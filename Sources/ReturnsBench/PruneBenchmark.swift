import Foundation
import Logging
import PostgresNIO
import ReturnsCore
import ReturnsEngine
import ReturnsStore

/// `db prune` on a database of a given size: how fast the same number of old rows goes, whatever lies beside them.
///
/// Creates a scratch database, writes `preload` finished returns with their history (`HistoryPreload`), and sets
/// the retention ages so that about the `rows` oldest delivered notifications and the `rows` oldest settled timers
/// are past them (rows written in the same minute share a timestamp, so a few more may qualify). Then runs
/// `Maintenance.prune` as `db prune` does, in batches of `batchSize` with no pause between them (the pause is the
/// worker's courtesy to the hot path, not work), and reads what is left to prune afterwards. The preload writes no
/// idempotency keys, so that part of the pass finds none. Drops the database afterwards.
public enum PruneBenchmark {
    public struct Result: Sendable, Codable {
        public var preloaded: HistoryPreload.Outcome
        /// Rows in the outbox and in the timers table before the pass.
        public var outboxRows: Int
        public var timerRows: Int
        public var batchSize: Int
        /// What `prunable` counted before the pass, and what the pass deleted.
        public var qualified: PruneCounts
        public var deleted: PruneCounts
        /// What `prunable` counts after the pass, with the same ages: zero when the pass finished its work.
        public var left: PruneCounts
        public var seconds: Double
        /// Notifications and timers deleted per second.
        public var rowsPerSecond: Double
    }

    public static func run(
        server: DatabaseSettings, preload: Int, rows: Int, batchSize: Int = 500, folders: BenchmarkFolders,
        logger: Logger
    ) async throws -> Result {
        let name = "returns_bench_prune"
        let settings = server.with(database: name)
        try await Database.dropDatabase(name, on: server, logger: logger)
        try await Database.createDatabaseIfMissing(settings, logger: logger)
        do {
            let catalog = WorkflowCatalog.load(folder: folders.workflows)
            try catalog.requireValid()
            let result = try await Database.with(settings, logger: logger) { database in
                try await Migrator(directory: folders.schema).migrate(database)
                let engine = Engine(database: database, catalog: catalog)
                try await engine.deployWorkflows()
                let preloaded = try await HistoryPreload.preload(
                    preload, workflowVersion: catalog.workflow(named: "standard")?.definition.version ?? 1,
                    on: database)
                let outboxRows = try await scalar("SELECT count(*)::bigint FROM outbox", on: database)
                let timerRows = try await scalar("SELECT count(*)::bigint FROM timers", on: database)
                let retention = RetentionSettings(
                    deliveredOutboxAge: try await age(
                        ofRow: rows, "SELECT delivered_at FROM outbox WHERE status = 'delivered' ORDER BY delivered_at",
                        on: database),
                    settledTimerAge: try await age(
                        ofRow: rows, "SELECT settled_at FROM timers WHERE status <> 'pending' ORDER BY settled_at",
                        on: database),
                    batchSize: batchSize, pauseBetweenBatches: .zero)
                let qualified = try await engine.maintenance.prunable(retention)
                let started = ContinuousClock.now
                let deleted = try await engine.maintenance.prune(retention)
                let seconds = (ContinuousClock.now - started).totalSeconds
                let left = try await engine.maintenance.prunable(retention)
                return Result(
                    preloaded: preloaded, outboxRows: outboxRows, timerRows: timerRows, batchSize: batchSize,
                    qualified: qualified, deleted: deleted, left: left, seconds: seconds,
                    rowsPerSecond: Double(deleted.outbox + deleted.timers) / seconds)
            }
            try await Database.dropDatabase(name, on: server, logger: logger)
            return result
        } catch {
            try? await Database.dropDatabase(name, on: server, logger: logger)
            throw error
        }
    }

    /// The age, in whole seconds, that the `row`-th timestamp of `ordered` (oldest first) has passed.
    static func age(ofRow row: Int, _ ordered: String, on database: Database) async throws -> Duration {
        let query: PostgresQuery =
            "SELECT floor(extract(epoch FROM now() - t))::bigint FROM (\(unescaped: ordered) OFFSET \(row - 1) LIMIT 1) s(t)"
        var seconds: Int64?
        for try await value in try await database.client.query(query, logger: database.logger).decode(Int64.self) {
            seconds = value
        }
        guard let seconds else {
            throw EngineError.invalidInput(
                field: "--rows", reason: "the preloaded database holds fewer than \(row) such rows; preload more returns")
        }
        return .seconds(seconds)
    }

    static func scalar(_ query: PostgresQuery, on database: Database) async throws -> Int {
        var result: Int64 = 0
        for try await value in try await database.client.query(query, logger: database.logger)
            .decode(Int64.self)
        {
            result = value
        }
        return Int(result)
    }
}
