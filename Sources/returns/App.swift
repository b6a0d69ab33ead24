import Foundation
import Logging
import ReturnsEngine
import ReturnsHTTP
import ReturnsStore
import ServiceLifecycle

/// The composition root: from the resolved configuration it builds the database, migrates it, loads and deploys
/// the workflows, and hands the engine to the command; for `serve` it also builds the service group. Nothing below
/// it reads the environment.
enum App {
    /// Runs `body` with an engine on the database `databaseURL` names (the embedded cluster when nil).
    /// `readReplica` and `heartbeatTimeout` are for `serve`: a replica for status lookups, and the heartbeat that
    /// tells a silent database from a slow one.
    static func withEngine<T>(
        databaseURL: String?, poolSize: Int? = nil, readReplica: ReadReplicaSettings? = nil,
        heartbeatTimeout: Duration? = nil, logger: Logger? = nil,
        configuration: Configuration = .current, _ body: (Engine) async throws -> T
    ) async throws -> T {
        let logger = logger ?? configuration.logger()
        var settings = try await Database.settings(databaseURL: databaseURL, cluster: configuration.cluster)
        if let poolSize { settings.maximumConnections = poolSize }
        settings.transactionLimits = try configuration.transactionLimits()
        settings.heartbeatTimeout = heartbeatTimeout
        let migrator = try Migrator(directory: try configuration.schemaFolder())
        let catalog = WorkflowCatalog.load(folder: try configuration.workflowsFolder())
        try catalog.requireValid()
        return try await Database.with(settings, readReplica: readReplica, logger: logger) { database in
            try await migrator.migrate(database)
            let shop = try configuration.shopLookup()
            let engine = Engine(
                database: database, catalog: catalog,
                orderSource: shop.map { HTTPOrderSource(lookup: $0) } ?? LocalOrderSource(),
                catalogSource: shop.map { HTTPCatalogSource(lookup: $0) } ?? LocalCatalogSource(),
                webhooks: try configuration.providerWebhooks())
            try await engine.deployWorkflows()
            do {
                // Usually a no-op; once a month it creates the next month's partitions. A busy lock is not worth
                // failing the command for: the months are made ahead, and the retention worker tries again.
                _ = try await engine.maintenance.ensurePartitions()
            } catch {
                logger.warning("creating partitions failed", metadata: ["error": "\(String(reflecting: error))"])
            }
            return try await body(engine)
        }
    }

    /// What `returns serve` runs, resolved from its flags and the environment.
    struct ServeSettings {
        var server: ServerConfiguration
        var poolSize: Int
        /// Nil runs no workers in this process.
        var workers: Workers?

        struct Workers {
            var channel: any NotificationChannel
            var notifications: NotificationSettings
            var refundProvider: RefundProviderKind
            var refundWebhookURL: URL?
            var retention: RetentionSettings
        }
    }

    /// The HTTP service and, unless turned off, the timer, notification, refund and retention workers, in one
    /// service group on `engine`.
    static func serviceGroup(
        engine: Engine, settings: ServeSettings, configuration: Configuration = .current, logger: Logger,
        onServerRunning: @escaping @Sendable (Int) async -> Void
    ) throws -> ServiceGroup {
        var services: [any Service] = []
        if let workers = settings.workers {
            let provider: any RefundProvider =
                switch workers.refundProvider {
                case .webhook: WebhookRefundProvider(url: workers.refundWebhookURL!)
                case .ledger: LedgerProvider(database: engine.database)
                }
            services = [
                TimerWorker(engine: engine),
                engine.outbox.makeDispatcher(channel: workers.channel, settings: workers.notifications),
                RefundWorker(engine: engine, provider: provider),
                RetentionWorker(engine: engine, settings: workers.retention),
            ]
            for queue in ProviderQueue.allCases {
                if let url = engine.webhooks.url(for: queue) {
                    services.append(ProviderWorker(engine: engine, queue: queue, url: url))
                }
            }
        }
        return Server.makeGroup(
            engine: engine, configuration: settings.server, workers: services,
            migrator: try Migrator(directory: try configuration.schemaFolder()), logger: logger,
            onServerRunning: onServerRunning)
    }
}
