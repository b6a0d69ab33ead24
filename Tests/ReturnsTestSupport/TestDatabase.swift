import Foundation
import Logging
import PostgresNIO
import ReturnsEngine
import ReturnsStore

/// The test cluster: started once per test process through the project's own launcher, with a template
/// database (schema migrated, workflows deployed) that every test clones into a database of its own.
enum TestDatabase {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let home = packageRoot.appendingPathComponent(".build/returns-test-home").path
    static let prefix = "t\(getpid())_"
    static let logger: Logger = {
        var logger = Logger(label: "returns.tests")
        logger.logLevel = .error
        return logger
    }()

    struct Server: Sendable {
        var settings: DatabaseSettings
        var template: String
    }

    private static let server = Task<Server, any Error> {
        let endpoint = try EmbeddedCluster(home: home, isThrowaway: true).start()
        let settings = DatabaseSettings(embedded: endpoint, database: "postgres")
        try await dropLeftovers(settings)
        let template = prefix + "template"
        try await Database.createDatabaseIfMissing(settings.with(database: template), logger: logger)
        try await Database.with(settings.with(database: template), logger: logger) { database in
            try await Migrator(directory: packageRoot.appendingPathComponent("Schema")).migrate(database)
            try await Engine(database: database, catalog: catalog).deployWorkflows()
        }
        // The pool closes its connections lazily; a template must have none for cloning.
        try await Database.with(settings, logger: logger) { database in
            try await database.client.query(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = \(template) AND pid <> pg_backend_pid()",
                logger: logger)
        }
        return Server(settings: settings, template: template)
    }

    static var catalog: WorkflowCatalog {
        WorkflowCatalog.load(folder: packageRoot.appendingPathComponent("Workflows"))
    }

    private static let counter = Counter()

    /// A fresh database cloned from the template.
    static func makeDatabase() async throws -> DatabaseSettings {
        let server = try await server.value
        let name = prefix + String(await counter.next())
        let settings = server.settings.with(database: name)
        // The template may still show a closing connection for a moment; cloning waits for it.
        var attempt = 0
        while true {
            do {
                try await Database.createDatabaseIfMissing(settings, template: server.template, logger: logger)
                return settings
            } catch let error as PSQLError where error.serverInfo?[.sqlState] == "55006" && attempt < 50 {
                attempt += 1
                try await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    /// Runs `body` with an engine on a database of its own, using the shipped workflows unless given others.
    static func withEngine<T>(
        catalog: WorkflowCatalog? = nil, orderSource: any OrderSource = LocalOrderSource(),
        catalogSource: any CatalogSource = LocalCatalogSource(), webhooks: ProviderWebhooks = ProviderWebhooks(),
        _ body: (Engine) async throws -> T
    ) async throws -> T {
        let settings = try await makeDatabase()
        return try await Database.with(settings, logger: logger) { database in
            let engine = Engine(
                database: database, catalog: catalog ?? self.catalog, orderSource: orderSource,
                catalogSource: catalogSource, webhooks: webhooks)
            try await engine.deployWorkflows()
            return try await body(engine)
        }
    }

    /// Runs `body` with an engine on `settings` (a database `makeDatabase` made).
    static func withEngine<T>(
        on settings: DatabaseSettings, webhooks: ProviderWebhooks = ProviderWebhooks(), _ body: (Engine) async throws -> T
    ) async throws -> T {
        try await Database.with(settings, logger: logger) { database in
            let engine = Engine(database: database, catalog: catalog, webhooks: webhooks)
            try await engine.deployWorkflows()
            return try await body(engine)
        }
    }

    /// Drops the databases earlier test runs left behind.
    private static func dropLeftovers(_ settings: DatabaseSettings) async throws {
        var names: [String] = []
        try await Database.with(settings, logger: logger) { database in
            let rows = try await database.client.query(
                "SELECT datname FROM pg_database WHERE datname ~ '^t[0-9]+_'", logger: logger)
            for try await name in rows.decode(String.self) { names.append(name) }
        }
        for name in names {
            try await Database.dropDatabase(name, on: settings, logger: logger)
        }
    }

    private actor Counter {
        var value = 0
        func next() -> Int {
            value += 1
            return value
        }
    }
}
