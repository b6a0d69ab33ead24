import Foundation
import ReturnsStore

extension Engine {
    /// Table-wide figures: pending, age of the oldest pending, delivered, failed attempts, dead.
    public func outboxStats() async throws -> OutboxStats {
        try await database.withConnection { [self] connection in
            try await OutboxRepository(logger: logger).stats(on: connection)
        }
    }

    public func outboxEntries(status: String?, limit: Int) async throws -> [OutboxEntry] {
        try await database.withConnection { [self] connection in
            try await OutboxRepository(logger: logger).list(status: status, limit: limit, on: connection)
        }
    }

    /// Makes a dead (or waiting) message due now with a fresh count of attempts.
    public func retryNotification(_ messageID: UUID) async throws {
        try await transaction { [self] connection in
            let outbox = OutboxRepository(logger: logger)
            guard try await outbox.retry(messageID, on: connection) == 0 else { return }
            if try await outbox.status(of: messageID, on: connection) == "delivered" {
                throw EngineError.invalidInput(field: "id", reason: "notification \(messageID) was already delivered")
            }
            throw EngineError.notificationNotFound(messageID)
        }
    }

    /// Makes every dead message due now; returns how many.
    public func retryDeadNotifications() async throws -> Int {
        try await transaction { [self] connection in
            try await OutboxRepository(logger: logger).retryAllDead(on: connection)
        }
    }

    /// A dispatcher on this engine's database with the templates beside the workflows.
    public func makeDispatcher(
        channel: any NotificationChannel, settings: NotificationSettings = NotificationSettings(),
        templatesFolder: URL? = nil
    ) throws -> OutboxDispatcher {
        let folder = try templatesFolder ?? WorkflowCatalog.locateFolder().appendingPathComponent("notifications")
        return OutboxDispatcher(
            database: database, templates: NotificationTemplates.load(folder: folder), channel: channel,
            settings: settings)
    }
}
