import Foundation
import ReturnsStore

/// The notification outbox as operators see it: figures, listing, reviving dead messages, and the dispatcher that
/// delivers them.
public struct OutboxAdministration: Sendable {
    let engine: Engine

    var repository: OutboxRepository { OutboxRepository(logger: engine.logger) }

    /// Table-wide figures: pending, age of the oldest pending, delivered, failed attempts, dead.
    public func stats() async throws -> OutboxStats {
        try await engine.read { [repository] connection in try await repository.stats(on: connection) }
    }

    public func entries(status: String?, limit: Int) async throws -> [OutboxEntry] {
        try await engine.read { [repository] connection in
            try await repository.list(status: status, limit: limit, on: connection)
        }
    }

    /// Makes a dead (or waiting) message due now with a fresh count of attempts.
    public func retry(_ messageID: UUID) async throws {
        try await engine.transaction { [repository] connection in
            guard try await repository.retry(messageID, on: connection) == 0 else { return }
            if try await repository.status(of: messageID, on: connection) == "delivered" {
                throw EngineError.invalidInput(field: "id", reason: "notification \(messageID) was already delivered")
            }
            throw EngineError.notificationNotFound(messageID)
        }
    }

    /// Makes every dead message due now; returns how many.
    public func retryAllDead() async throws -> Int {
        try await engine.transaction { [repository] connection in try await repository.retryAllDead(on: connection) }
    }

    /// A dispatcher on this engine's database, rendering the catalog's templates (or those in `templatesFolder`).
    public func makeDispatcher(
        channel: any NotificationChannel, settings: NotificationSettings, templatesFolder: URL? = nil
    ) -> OutboxDispatcher {
        OutboxDispatcher(
            database: engine.database,
            templates: templatesFolder.map { NotificationTemplates.load(folder: $0) } ?? engine.catalog.notifications,
            channel: channel, settings: settings)
    }
}
