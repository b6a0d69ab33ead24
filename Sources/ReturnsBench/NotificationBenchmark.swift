import Foundation
import Logging
import ReturnsCore
import ReturnsEngine
import ReturnsStore

/// Delivery throughput: seeds synthetic notifications into a database of its own, runs K dispatchers at once until
/// every one is delivered, and times it. The database is created for the run and dropped after it, so no real
/// customer message ever reaches the benchmark's receiver.
public enum NotificationBenchmark {
    public struct Result: Sendable, Codable {
        public var dispatchers: Int
        public var messages: Int
        public var seconds: Double
        public var messagesPerSecond: Double
    }

    public static func run(
        server: DatabaseSettings, dispatchers: Int, returns: Int, perReturn: Int, batchSize: Int,
        channel: any NotificationChannel, folders: BenchmarkFolders, logger: Logger
    ) async throws -> Result {
        let name = "returns_bench_notify_\(getpid())"
        let settings = server.with(database: name)
        try await Database.dropDatabase(name, on: server, logger: logger)
        try await Database.createDatabaseIfMissing(settings, logger: logger)
        defer {
            Task { try? await Database.dropDatabase(name, on: server, logger: logger) }
        }
        return try await Database.with(settings, logger: logger) { database in
            try await Migrator(directory: folders.schema).migrate(database)
            let catalog = WorkflowCatalog.load(folder: folders.workflows)
            try await Engine(database: database, catalog: catalog).deployWorkflows()
            try await SyntheticOutbox(logger: logger).seed(
                returns: returns, perReturn: perReturn, prefix: "BENCH", in: database)
            let templates = NotificationTemplates.load(folder: folders.workflows.appendingPathComponent("notifications"))
            let settings = NotificationSettings(batchSize: batchSize)
            let started = ContinuousClock.now
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<dispatchers {
                    let dispatcher = OutboxDispatcher(
                        database: database, templates: templates, channel: channel, settings: settings)
                    // Until the outbox is empty, not just until this dispatcher finds nothing: the other may hold
                    // the earlier messages of the returns that are left.
                    group.addTask {
                        while true {
                            if try await dispatcher.deliverBatch().claimed > 0 { continue }
                            let pending = try await database.withConnection { connection in
                                try await OutboxRepository(logger: logger).stats(on: connection).pending
                            }
                            if pending == 0 { return }
                            try await Task.sleep(for: .milliseconds(2))
                        }
                    }
                }
                try await group.waitForAll()
            }
            let elapsed = ContinuousClock.now - started
            let stats = try await database.withConnection { connection in
                try await OutboxRepository(logger: logger).stats(on: connection)
            }
            let seconds = elapsed.totalSeconds
            return Result(
                dispatchers: dispatchers, messages: stats.delivered, seconds: seconds,
                messagesPerSecond: Double(stats.delivered) / seconds)
        }
    }
}
