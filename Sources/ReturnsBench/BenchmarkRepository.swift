import Foundation
import Logging
import PostgresNIO
import ReturnsStore

/// The SQL that prepares a scratch benchmark database for pgbench. Never used on a real database: the benchmark
/// creates its own and drops it after the run.
public struct BenchmarkRepository: Sendable {
    public let logger: Logger

    public init(logger: Logger) {
        self.logger = logger
    }

    /// Values pgbench's scripts bind in place of what the engine computes, taken from rows the engine wrote, so
    /// both send text of the same size.
    public struct Samples: Sendable {
        public var outboxPayload: String
        public var eventData: String
        public var idempotencyResponse: String
        public var refundBreakdown: String
    }

    /// Numbers the returns whose order reference starts with `prefix` 1...n in `bench_returns (n, id)`, so a
    /// pgbench script can pick one at random with a primary-key lookup. Returns n.
    public func numberReturns(prefix: String, on connection: PostgresConnection) async throws -> Int {
        try await connection.query("DROP TABLE IF EXISTS bench_returns", logger: logger)
        try await connection.query(
            """
            CREATE TABLE bench_returns AS
            SELECT (row_number() OVER (ORDER BY id))::integer AS n, id FROM returns WHERE order_ref LIKE \(prefix + "%")
            """, logger: logger)
        try await connection.query("ALTER TABLE bench_returns ADD PRIMARY KEY (n)", logger: logger)
        try await connection.query("ANALYZE", logger: logger)
        for try await count in try await connection.query("SELECT count(*)::bigint FROM bench_returns", logger: logger)
            .decode(Int.self)
        {
            return count
        }
        return 0
    }

    /// How many of the returns `ids` are in `state`.
    public func count(_ ids: [UUID], in state: String, on connection: PostgresConnection) async throws -> Int {
        for try await count in try await connection.query(
            "SELECT count(*)::bigint FROM returns WHERE id = ANY(\(ids)) AND state = \(state)", logger: logger
        ).decode(Int.self) {
            return count
        }
        return 0
    }

    /// A server setting as the server reports it (`fsync`, `synchronous_commit`).
    public func setting(_ name: String, on connection: PostgresConnection) async throws -> String {
        for try await value in try await connection.query("SELECT current_setting(\(name))", logger: logger)
            .decode(String.self)
        {
            return value
        }
        return ""
    }

    /// One of each value the engine wrote for a transition, the longest of its kind.
    public func samples(on connection: PostgresConnection) async throws -> Samples {
        func longest(_ query: PostgresQuery) async throws -> String {
            for try await text in try await connection.query(query, logger: logger).decode(String.self) {
                return text
            }
            return "{}"
        }
        return Samples(
            outboxPayload: try await longest(
                "SELECT payload::text FROM outbox ORDER BY length(payload::text) DESC LIMIT 1"),
            eventData: try await longest(
                "SELECT data::text FROM return_events ORDER BY length(data::text) DESC LIMIT 1"),
            idempotencyResponse: try await longest(
                """
                SELECT response::text FROM idempotency_keys WHERE scope <> 'create'
                ORDER BY length(response::text) DESC LIMIT 1
                """),
            refundBreakdown: try await longest(
                "SELECT breakdown::text FROM refunds ORDER BY length(breakdown::text) DESC LIMIT 1"))
    }
}
