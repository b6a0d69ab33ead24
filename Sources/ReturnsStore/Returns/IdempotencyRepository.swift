import Foundation
import Logging
import PostgresNIO

/// The SQL of idempotency keys: each command's key, the hash of its request, and the answer it was given.
public struct IdempotencyRepository: Sendable {
    public let logger: Logger

    public init(logger: Logger) {
        self.logger = logger
    }

    public func findIdempotencyKey(scope: String, key: String, on connection: DatabaseConnection) async throws
        -> IdempotencyRecord?
    {
        for try await record in try await connection.execute(
            TransitionStatements.FindIdempotencyKey(scope: scope, key: key), logger: logger)
        {
            return record
        }
        return nil
    }

    public func recordIdempotencyKey(
        scope: String, key: String, requestHash: String, returnID: UUID?, responseJSON: String,
        on connection: DatabaseConnection
    ) async throws {
        try await connection.write(
            DeferredWrite("key").with("scope", scope).with("key", key).with("hash", requestHash).with("return", returnID)
                .with("response", json: responseJSON), logger: logger)
    }

    /// Holds a transaction-scoped lock on `key`, so two requests with one idempotency key run one after the other.
    public func lockKey(_ key: String, on connection: DatabaseConnection) async throws {
        // Read to its end: a wait cut by lock_timeout is reported with the row, not by the call.
        let rows = try await connection.query("SELECT pg_advisory_xact_lock(hashtextextended(\(key), 0))", logger: logger)
        for try await _ in rows {}
    }
}
