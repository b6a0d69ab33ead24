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

    /// True once the server or the network closed the connection.
    public var isClosed: Bool { raw.isClosed }
}
