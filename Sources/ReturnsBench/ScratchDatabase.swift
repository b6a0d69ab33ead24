import Logging
import ReturnsCore
import ReturnsEngine
import ReturnsStore

extension Database {
    /// A benchmark's scratch database, `settings.database` on `server`: made afresh (dropped first, in case a killed
    /// run left it), migrated, with the workflows validated and deployed; dropped afterwards, whether `body` returned
    /// or threw.
    static func withScratch<T>(
        _ settings: DatabaseSettings, on server: DatabaseSettings, folders: BenchmarkFolders, logger: Logger,
        _ body: (Engine, WorkflowCatalog) async throws -> T
    ) async throws -> T {
        try await dropDatabase(settings.database, on: server, logger: logger)
        try await createDatabaseIfMissing(settings, logger: logger)
        do {
            let catalog = WorkflowCatalog.load(folder: folders.workflows)
            try catalog.requireValid()
            let result = try await Database.with(settings, logger: logger) { database in
                try await Migrator(directory: folders.schema).migrate(database)
                let engine = Engine(database: database, catalog: catalog)
                try await engine.deployWorkflows()
                return try await body(engine, catalog)
            }
            try await dropDatabase(settings.database, on: server, logger: logger)
            return result
        } catch {
            try? await dropDatabase(settings.database, on: server, logger: logger)
            throw error
        }
    }
}
