import Foundation
import Logging
import ReturnsCore
import ReturnsStore

/// Brings up what every command needs: the database (embedded unless a URL is given), the schema, and the
/// deployed workflows.
public enum Runtime {
    public static func withEngine<T>(
        databaseURL: String?, home: String, poolSize: Int? = nil, logger: Logger = Runtime.logger(),
        _ body: (Engine) async throws -> T
    ) async throws -> T {
        var settings = try await Database.settings(databaseURL: databaseURL, home: home)
        if let poolSize { settings.maximumConnections = poolSize }
        let migrator = try Migrator(directory: try Migrator.locateSchema())
        let catalog = WorkflowCatalog.load(folder: try WorkflowCatalog.locateFolder())
        guard catalog.isValid else { throw RuntimeError.invalidWorkflows(catalog.problems) }
        return try await Database.with(settings, logger: logger) { database in
            try await migrator.migrate(database)
            let engine = Engine(database: database, catalog: catalog)
            try await engine.deployWorkflows()
            do {
                // Usually a no-op; once a month it creates the next month's partitions. A busy lock is not worth
                // failing the command for: the months are made ahead, and the retention worker tries again.
                _ = try await engine.ensurePartitions()
            } catch {
                logger.warning("creating partitions failed", metadata: ["error": "\(String(reflecting: error))"])
            }
            return try await body(engine)
        }
    }

    /// Warnings and errors only, on standard error, unless `LOG_LEVEL` says otherwise.
    public static func logger(label: String = "returns") -> Logger {
        var logger = Logger(label: label)
        logger.logLevel = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .warning
        return logger
    }
}

public enum RuntimeError: Error, CustomStringConvertible {
    case invalidWorkflows([WorkflowProblem])

    public var description: String {
        switch self {
        case .invalidWorkflows(let problems):
            return "the workflow files have problems; fix them first (`returns workflow check` lists them):\n"
                + problems.map(\.description).joined(separator: "\n")
        }
    }
}
