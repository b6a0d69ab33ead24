import Logging
import PostgresNIO

/// A connection lent by `Database` for one piece of work (a transaction, or a few reads). Only ReturnsStore can run
/// SQL on it: the layers above hand it from one repository call to the next, so several calls share a transaction,
/// without ever seeing PostgresNIO.
public struct DatabaseConnection: Sendable {
    let raw: PostgresConnection

    init(_ raw: PostgresConnection) {
        self.raw = raw
    }

    @discardableResult
    func query(_ query: PostgresQuery, logger: Logger, file: String = #fileID, line: Int = #line) async throws
        -> PostgresRowSequence
    {
        try await raw.query(query, logger: logger, file: file, line: line)
    }

    func execute<Statement: PostgresPreparedStatement, Row>(_ statement: Statement, logger: Logger) async throws
        -> AsyncThrowingMapSequence<PostgresRowSequence, Row> where Row == Statement.Row
    {
        try await raw.execute(statement, logger: logger)
    }

    /// Streams the rows `writeData` writes into `table` with COPY FROM STDIN, in PostgreSQL's text format.
    func copyFrom(table: String, logger: Logger, _ writeData: (PostgresCopyFromWriter) async throws -> Void)
        async throws
    {
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
        for try await _ in try await raw.execute(statement, logger: logger) {}
    }
}
