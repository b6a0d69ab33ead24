import Foundation
import Hummingbird
import Logging
import ReturnsEngine
import ReturnsStore
import ServiceLifecycle

/// The HTTP application of `returns serve`: every route, with problem+json errors and request metrics.
public func buildApplication(
    engine: Engine, configuration: ServerConfiguration, migrator: Migrator? = nil, services: [any Service] = [],
    logger: Logger, onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) -> some ApplicationProtocol {
    Application(
        router: buildRouter(engine: engine, configuration: configuration, migrator: migrator),
        configuration: ApplicationConfiguration(
            address: .hostname(configuration.host, port: configuration.port), serverName: "returns"),
        services: services,
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? configuration.port) },
        logger: logger)
}

/// The routes, for the application and for tests that drive the router directly.
public func buildRouter(engine: Engine, configuration: ServerConfiguration, migrator: Migrator? = nil)
    -> Router<ReturnsRequestContext>
{
    let router = Router(context: ReturnsRequestContext.self)
    let metrics = HTTPMetrics()
    router.middlewares.add(MetricsMiddleware(metrics: metrics))
    router.middlewares.add(ProblemMiddleware())
    router.middlewares.add(DatabaseGateMiddleware(database: engine.database, wait: configuration.databaseWait))
    CustomerController(engine: engine, configuration: configuration).addRoutes(to: router)
    PortalController(engine: engine, configuration: configuration).addRoutes(to: router)
    ConsoleController(engine: engine, configuration: configuration).addRoutes(to: router)
    PartnerController(engine: engine, configuration: configuration).addRoutes(to: router)
    FinanceController(engine: engine, configuration: configuration).addRoutes(to: router)
    OrdersController(engine: engine, configuration: configuration).addRoutes(to: router)
    CatalogController(engine: engine, configuration: configuration).addRoutes(to: router)
    OperationsController(engine: engine, metrics: metrics, migrator: migrator, configuration: configuration)
        .addRoutes(to: router)
    return router
}
