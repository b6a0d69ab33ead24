import Logging
import PostgresNIO

/// Deployed workflow definitions: `(name, version, sha256, source)`, never changed once stored.
public struct WorkflowRepository: Sendable {
    public let logger: Logger

    public init(logger: Logger) {
        self.logger = logger
    }

    /// Stores the definition unless that version exists; returns the SHA-256 stored for that version.
    public func deploy(
        name: String, version: Int, sha256: String, source: String, on connection: DatabaseConnection
    ) async throws -> String
    {
        try await connection.query(
            """
            INSERT INTO workflow_definitions (name, version, sha256, source)
            VALUES (\(name), \(version), \(sha256), \(source))
            ON CONFLICT (name, version) DO NOTHING
            """, logger: logger)
        for try await stored in try await connection.query(
            "SELECT sha256 FROM workflow_definitions WHERE name = \(name) AND version = \(version)", logger: logger
        ).decode(String.self) {
            return stored
        }
        return sha256
    }

    /// The YAML text of a deployed version.
    public func source(name: String, version: Int, on connection: DatabaseConnection) async throws -> String? {
        for try await source in try await connection.query(
            "SELECT source FROM workflow_definitions WHERE name = \(name) AND version = \(version)", logger: logger
        ).decode(String.self) {
            return source
        }
        return nil
    }
}
