import Logging
import ServiceLifecycle

/// Runs a dispatcher as the only service of a group, until SIGINT or SIGTERM asks it to finish.
public enum NotificationService {
    public static func runUntilSignalled(_ dispatcher: OutboxDispatcher, logger: Logger) async throws {
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: dispatcher)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}
