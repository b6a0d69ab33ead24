import Logging
import PostgresNIO

/// A connection lent by `Database` for one piece of work (a transaction, or a few reads). Only ReturnsStore can run
/// SQL on it: the layers above hand it from one repository call to the next, so several calls share a transaction,
/// without ever seeing PostgresNIO.
public struct DatabaseConnection: Sendable {
    let raw: PostgresConnection
    /// The writes held for the next statement, on a connection lent to a transaction (`DeferredWrites`).
    let deferred: DeferredWrites?

    init(_ raw: PostgresConnection, deferred: DeferredWrites? = nil) {
        self.raw = raw
        self.deferred = deferred
    }

    /// This connection, holding deferred writes until its next statement: for the body of a transaction.
    func holdingWrites() -> DatabaseConnection {
        DatabaseConnection(raw, deferred: DeferredWrites())
    }

    @discardableResult
    func query(_ query: PostgresQuery, logger: Logger, file: String = #fileID, line: Int = #line) async throws
        -> PostgresRowSequence
    {
        try await sendHeldWrites(logger: logger)
        return try await raw.query(query, logger: logger, file: file, line: line)
    }

    func execute<Statement: PostgresPreparedStatement, Row>(_ statement: Statement, logger: Logger) async throws
        -> AsyncThrowingMapSequence<PostgresRowSequence, Row> where Row == Statement.Row
    {
        try await sendHeldWrites(logger: logger)
        return try await raw.execute(statement, logger: logger)
    }

    /// `query`, for a statement that reads and writes no row a held write (`DeferredWrites`) touches, so it may go
    /// out before them: the round trip of sending them is not spent on it.
    @discardableResult
    func queryBesideHeldWrites(_ query: PostgresQuery, logger: Logger, file: String = #fileID, line: Int = #line)
        async throws -> PostgresRowSequence
    {
        try await raw.query(query, logger: logger, file: file, line: line)
    }

    /// `execute`, for a statement that may go out before the held writes (see `queryBesideHeldWrites`).
    func executeBesideHeldWrites<Statement: PostgresPreparedStatement, Row>(_ statement: Statement, logger: Logger)
        async throws -> AsyncThrowingMapSequence<PostgresRowSequence, Row> where Row == Statement.Row
    {
        try await raw.execute(statement, logger: logger)
    }

    /// Streams the rows `writeData` writes into `table` with COPY FROM STDIN, in PostgreSQL's text format.
    func copyFrom(table: String, logger: Logger, _ writeData: (PostgresCopyFromWriter) async throws -> Void)
        async throws
    {
        try await sendHeldWrites(logger: logger)
        try await raw.copyFrom(table: table, logger: logger, writeData: writeData)
    }

    /// True once the server or the network closed the connection.
    public var isClosed: Bool { raw.isClosed }
}

extension DatabaseConnection {
    /// Runs a prepared statement that answers no rows, to its end, so its error (a constraint, say) surfaces here.
    /// (postgres-nio's command-tag overload of `execute` traps when the statement was prepared in the same call.)
    func run<Statement: PostgresPreparedStatement>(_ statement: Statement, logger: Logger) async throws
    where Statement.Row == () {
        for try await _ in try await execute(statement, logger: logger) {}
    }
}
