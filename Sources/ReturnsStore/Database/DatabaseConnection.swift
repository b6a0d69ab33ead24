import Logging
import PostgresNIO
import Synchronization

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

    /// `query`, sent as a named prepared statement: the server parses and plans `query`'s text once per
    /// connection instead of on every call (parsing and planning the transitions' statements sent unnamed was a
    /// fifth of PostgreSQL's time in `bench transitions`). For statements of fixed text, whose values are all
    /// bound (`\(value)`), never for text built from values (`unescaped:`): each distinct text stays prepared on
    /// every pooled connection. `besideHeldWrites` is for a statement that reads and writes no row a held write
    /// (`DeferredWrites`) touches, so it may go out before them.
    func prepared(_ query: PostgresQuery, besideHeldWrites: Bool = false, logger: Logger) async throws -> PreparedRows {
        if !besideHeldWrites { try await sendHeldWrites(logger: logger) }
        return try await PreparedQuery.$text.withValue(query.sql) {
            try await raw.execute(PreparedQuery(bindings: query.binds), logger: logger)
        }
    }

    /// `prepared`, for a statement that answers no rows: run to its end, so its error (a constraint, say) surfaces
    /// here.
    func run(_ query: PostgresQuery, besideHeldWrites: Bool = false, logger: Logger) async throws {
        for try await _ in try await prepared(query, besideHeldWrites: besideHeldWrites, logger: logger) {}
    }

    /// `execute`, for a statement that may go out before the held writes (see `prepared`).
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

/// The rows of a `prepared` statement (postgres-nio's `decode` reads them as it reads `PostgresRowSequence`).
typealias PreparedRows = AsyncThrowingMapSequence<PostgresRowSequence, PostgresRow>

/// Any statement text as a postgres-nio prepared statement. postgres-nio names and prepares a statement by its type's
/// static `name` and `sql`, which it reads once, when `execute` is called; here they are the text bound to `text`
/// for that call (`DatabaseConnection.prepared`) and the name given to that text when it was first sent, so each
/// text is prepared once per connection under a name no other text has.
struct PreparedQuery: PostgresPreparedStatement {
    @TaskLocal static var text = ""
    private static let names = Mutex<[String: String]>([:])
    static var sql: String { text }
    static var name: String {
        let text = self.text
        return names.withLock { names in
            if let name = names[text] { return name }
            let name = "returns.q\(names.count + 1)"
            names[text] = name
            return name
        }
    }
    typealias Row = PostgresRow
    var bindings: PostgresBindings

    func makeBindings() throws -> PostgresBindings { bindings }
    func decodeRow(_ row: PostgresRow) throws -> PostgresRow { row }
}
