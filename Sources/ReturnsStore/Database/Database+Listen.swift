import Foundation
import PostgresNIO

extension Database {
    /// What a LISTEN connection reports.
    public enum ListenEvent: Sendable {
        /// The connection is open and subscribed: what was sent before now was missed, so look once.
        case subscribed
        /// A `NOTIFY` arrived on the channel.
        case notified
    }

    /// Opens a connection of its own (a LISTEN holds it for as long as it runs, so it is not taken from the pool),
    /// LISTENs on `channel` and reports to `event` until the connection drops, which throws, or the task is
    /// cancelled. The connection is closed either way.
    public func listen(
        on channel: String, isolation: isolated (any Actor)? = #isolation, _ event: (ListenEvent) throws -> Void
    ) async throws {
        let connection = try await PostgresConnection.connect(
            configuration: settings.connectionConfiguration, id: 0, logger: logger)
        do {
            try await connection.listen(on: channel) { notifications in
                try event(.subscribed)
                for try await _ in notifications { try event(.notified) }
            }
        } catch {
            try? await connection.close()
            throw error
        }
        try? await connection.close()
    }
}
