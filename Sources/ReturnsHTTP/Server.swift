import Hummingbird
import Logging
import ReturnsEngine
import ReturnsStore
import ServiceLifecycle

/// `returns serve`: the HTTP application and the engine's workers in one service group. SIGTERM or SIGINT stops
/// the server from taking new connections, lets in-flight requests finish, then stops the workers.
public enum Server {
    public static func makeGroup(
        engine: Engine, configuration: ServerConfiguration, workers: [any Service], migrator: Migrator?,
        logger: Logger, onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> ServiceGroup {
        let app = buildApplication(
            engine: engine, configuration: configuration, migrator: migrator, logger: logger,
            onServerRunning: onServerRunning)
        // The group stops services in reverse order: the server first, so no request meets a stopped worker.
        return ServiceGroup(
            configuration: .init(
                services: workers.map { .init(service: $0) } + [.init(service: app)],
                gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
    }
}
