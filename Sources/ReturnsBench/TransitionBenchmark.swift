import Foundation
import Logging
import ReturnsCore
import ReturnsEngine
import ReturnsStore

/// Transition throughput of the engine next to pgbench running the same SQL on the same database, and next to
/// pgbench running the least a transition needs.
///
/// Creates a scratch database, drives returns through the whole `standard` lifecycle with `concurrency` workers
/// (each return's events in order, as its partner would send them), then runs pgbench with the committed scripts
/// of `Benchmarks/transitions/`, one per lifecycle step, with as many clients and as many transactions, on a second
/// set of returns in the same database; then `Benchmarks/pgbench/transition.sql` (lock, compare-and-set, event,
/// outbox, timer, notify) the same way on returns `Benchmarks/pgbench/seed.sql` adds. The database is dropped
/// afterwards unless asked to keep it.
public enum TransitionBenchmark {
    /// The `standard` workflow from request to close, with the data each step needs.
    public static let lifecycle: [(event: String, data: [String: JSONValue])] = [
        ("issue_label", [:]),
        ("ship", ["tracking_number": .string("1Z999AA10123456784")]),
        ("scan", [:]),
        ("receive", [:]),
        ("inspect", [:]),
        ("grade", ["grade": .string("A")]),
        ("approve_refund", [:]),
        ("refund_succeeded", [:]),
        ("close", [:]),
    ]

    public struct Result: Sendable, Codable {
        public var returns: Int
        public var concurrency: Int
        public var transitions: Int
        public var seconds: Double
        public var transitionsPerSecond: Double
        public var p50Milliseconds: Double
        public var p99Milliseconds: Double
        public var pgbench: PgBench.Result
        /// Engine transitions per second over pgbench transactions per second.
        public var ratio: Double
        /// pgbench of the minimal transition (`Benchmarks/pgbench/transition.sql`).
        public var minimal: PgBench.Result
        /// Engine transitions per second over the minimal transition's transactions per second.
        public var ratioToMinimal: Double
        public var database: String
        public var fsync: String
        public var synchronousCommit: String
        /// The finished returns written before measuring (`--preload`), if any.
        public var preloaded: HistoryPreload.Outcome?
    }

    /// `benchmarks` is the project's `Benchmarks` folder.
    public static func run(
        server: DatabaseSettings, returns: Int, concurrency: Int, benchmarks: URL, keepDatabase: Bool = false,
        preload: Int = 0, folders: BenchmarkFolders, logger: Logger
    ) async throws -> Result {
        let scripts = try self.scripts(in: benchmarks.appendingPathComponent("transitions"))
        let minimal = (
            seed: benchmarks.appendingPathComponent("pgbench/seed.sql"),
            script: benchmarks.appendingPathComponent("pgbench/transition.sql"))
        for file in [minimal.seed, minimal.script] where !FileManager.default.fileExists(atPath: file.path) {
            throw EngineError.invalidInput(
                field: "benchmark scripts", reason: "\(file.path) is missing: the minimal transition needs it")
        }
        let pgbench = try PgBench.locate(binDirectory: folders.postgresBinDirectory)
        let name = "returns_bench_transitions"
        var settings = server.with(database: name)
        settings.maximumConnections = concurrency
        try await Database.dropDatabase(name, on: server, logger: logger)
        try await Database.createDatabaseIfMissing(settings, logger: logger)
        do {
            let result = try await measure(
                settings: settings, returns: returns, concurrency: concurrency, scripts: scripts, minimal: minimal,
                pgbench: pgbench, preload: preload, folders: folders, logger: logger)
            if !keepDatabase { try await Database.dropDatabase(name, on: server, logger: logger) }
            return result
        } catch {
            if !keepDatabase { try? await Database.dropDatabase(name, on: server, logger: logger) }
            throw error
        }
    }

    /// The scripts, `NN-event.sql`, one for each lifecycle step, in lifecycle order.
    static func scripts(in folder: URL) throws -> [URL] {
        try lifecycle.enumerated().map { index, step in
            let file = folder.appendingPathComponent(String(format: "%02d-%@.sql", index + 1, step.event))
            guard FileManager.default.fileExists(atPath: file.path) else {
                throw EngineError.invalidInput(
                    field: "benchmark scripts",
                    reason: "\(file.path) is missing: every lifecycle step needs its pgbench script")
            }
            return file
        }
    }

    static func measure(
        settings: DatabaseSettings, returns: Int, concurrency: Int, scripts: [URL], minimal: (seed: URL, script: URL),
        pgbench: PgBench, preload: Int, folders: BenchmarkFolders, logger: Logger
    ) async throws -> Result {
        let catalog = WorkflowCatalog.load(folder: folders.workflows)
        try catalog.requireValid()
        let repository = BenchmarkRepository(logger: logger)
        let (engineRun, prepared, preloaded) = try await Database.with(settings, logger: logger) { database in
            try await Migrator(directory: folders.schema).migrate(database)
            let engine = Engine(database: database, catalog: catalog)
            try await engine.deployWorkflows()
            let preloaded = try await HistoryPreload.preloadIfAsked(preload, catalog: catalog, on: database)
            // Returns for the engine and as many for pgbench, whose scripts pick returns at random and so may refund
            // one several times: its returns have 50 pieces, so neither the refund trigger nor the refunded-quantity
            // check stops a run.
            let engineReturns = try await create(
                returns, prefix: "BENCH-", item: "SHOE-42:1:89.90:EUR", concurrency: concurrency, on: engine)
            _ = try await create(
                returns, prefix: "PGBENCH-", item: "SHOE-42:50:89.90:EUR", concurrency: concurrency, on: engine)
            let engineRun = try await drive(engineReturns, concurrency: concurrency, on: engine)
            let prepared = try await database.client.withConnection { connection in
                let count = try await repository.numberReturns(prefix: "PGBENCH-", on: connection)
                let samples = try await repository.samples(on: connection)
                let fsync = try await repository.setting("fsync", on: connection)
                let synchronousCommit = try await repository.setting("synchronous_commit", on: connection)
                return (count: count, samples: samples, fsync: fsync, synchronousCommit: synchronousCommit)
            }
            return (engineRun, prepared, preloaded)
        }
        let transitions = engineRun.latencies.count
        let baseline = try pgbench.run(
            scripts: scripts, clients: concurrency,
            transactionsPerClient: (transitions + concurrency - 1) / concurrency,
            variables: [
                "returns": "\(prepared.count)", "payload": prepared.samples.outboxPayload,
                "event_data": prepared.samples.eventData, "response": prepared.samples.idempotencyResponse,
                "breakdown": prepared.samples.refundBreakdown,
            ],
            settings: settings)
        try pgbench.psql(file: minimal.seed, variables: ["returns": "\(returns)"], settings: settings)
        let least = try pgbench.run(
            scripts: [minimal.script], clients: concurrency,
            transactionsPerClient: (transitions + concurrency - 1) / concurrency, variables: ["returns": "\(returns)"],
            settings: settings)
        let rate = Double(transitions) / engineRun.seconds
        return Result(
            returns: returns, concurrency: concurrency, transitions: transitions, seconds: engineRun.seconds,
            transitionsPerSecond: rate, p50Milliseconds: PgBench.percentile(engineRun.latencies, 0.50),
            p99Milliseconds: PgBench.percentile(engineRun.latencies, 0.99), pgbench: baseline,
            ratio: rate / baseline.transactionsPerSecond, minimal: least, ratioToMinimal: rate / least.transactionsPerSecond,
            database: settings.description, fsync: prepared.fsync, synchronousCommit: prepared.synchronousCommit,
            preloaded: preloaded)
    }

    /// Creates `count` returns of one `item` line on the `standard` workflow, `concurrency` at a time.
    static func create(_ count: Int, prefix: String, item: String, concurrency: Int, on engine: Engine) async throws
        -> [UUID]
    {
        let item = try ReturnItem.parse(item)
        return try await withThrowingTaskGroup(of: [UUID].self) { group in
            for worker in 0..<concurrency {
                group.addTask {
                    var ids: [UUID] = []
                    for number in stride(from: worker, to: count, by: concurrency) {
                        let request = NewReturn(
                            workflow: "standard", orderRef: "\(prefix)\(number + 1)",
                            customerEmail: "bench\(number % 1000)@example.com", items: [item])
                        ids.append(try await engine.transitions.create(request).id)
                    }
                    return ids
                }
            }
            var ids: [UUID] = []
            for try await part in group { ids += part }
            return ids
        }
    }

    /// Applies the lifecycle to every return, one return per worker at a time, each event with an idempotency key
    /// as a partner's request carries one. Returns the wall time and each transition's latency in milliseconds.
    static func drive(_ ids: [UUID], concurrency: Int, on engine: Engine) async throws
        -> (seconds: Double, latencies: [Double])
    {
        let clock = ContinuousClock()
        let started = clock.now
        let latencies = try await withThrowingTaskGroup(of: [Double].self) { group in
            for worker in 0..<concurrency {
                group.addTask {
                    var latencies: [Double] = []
                    for index in stride(from: worker, to: ids.count, by: concurrency) {
                        for step in lifecycle {
                            let begun = clock.now
                            _ = try await engine.transitions.apply(
                                step.event, to: ids[index], idempotencyKey: "bench-\(step.event)", actor: "bench",
                                data: step.data)
                            latencies.append((clock.now - begun).milliseconds)
                        }
                    }
                    return latencies
                }
            }
            var all: [Double] = []
            for try await part in group { all += part }
            return all
        }
        let seconds = (clock.now - started).totalSeconds
        return (seconds, latencies.sorted())
    }
}
