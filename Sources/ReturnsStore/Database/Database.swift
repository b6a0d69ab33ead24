import Foundation
import Logging
import PostgresNIO
import ReturnsCore
import Synchronization

/// A running connection pool to the returns database.
public struct Database: Sendable {
    /// The pool itself, for tests and tools that inspect the database directly. The service's own code reaches
    /// the database through repositories on a `DatabaseConnection`.
    public let client: PostgresClient
    public let settings: DatabaseSettings
    public let logger: Logger
    let lossGuard = ConnectionLossGuard()
    let leases = LeaseClock()
    /// Whether the primary answers, when `settings.heartbeatTimeout` asks for a heartbeat.
    let heartbeat: Heartbeat?
    /// The streaming replica status lookups read from, when one is configured.
    public let replica: ReadReplica?

    init(client: PostgresClient, settings: DatabaseSettings, logger: Logger, replica: ReadReplica? = nil) {
        self.client = client
        self.settings = settings
        self.logger = logger
        self.replica = replica
        self.heartbeat = settings.heartbeatTimeout.map { Heartbeat(timeout: $0, interval: settings.heartbeatInterval) }
    }

    /// Settings for `databaseURL` when given, else for the embedded `cluster` (started if needed).
    public static func settings(databaseURL: String?, cluster: EmbeddedCluster) async throws -> DatabaseSettings {
        if let databaseURL, !databaseURL.isEmpty {
            return try DatabaseSettings(url: databaseURL)
        }
        let endpoint = try cluster.start()
        let settings = DatabaseSettings(embedded: endpoint, database: "returns")
        try await createDatabaseIfMissing(settings, logger: Logger(label: "returns.store"))
        return settings
    }

    /// Opens a pool, checks the server answers, runs `body`, and closes the pool. With `readReplica`, also a pool to
    /// the replica and the monitor of its lag (the replica may be down at start: lookups then go to the primary).
    @discardableResult
    public static func with<T>(
        _ settings: DatabaseSettings, readReplica: ReadReplicaSettings? = nil,
        logger: Logger = Logger(label: "returns.store"), _ body: (Database) async throws -> T
    ) async throws -> T {
        // A quick direct connection fails fast with the server's reason; the pool would retry quietly instead.
        try await probe(settings, logger: logger)
        // The pool warns when a query waits for run() to begin, which here is only a moment; keep that quiet.
        var poolLogger = logger
        if logger.logLevel > .debug { poolLogger.logLevel = .error }
        let client = PostgresClient(configuration: settings.clientConfiguration, backgroundLogger: poolLogger)
        let replica = readReplica.map { replica in
            var replicaSettings = replica.connection
            replicaSettings.maximumConnections = settings.maximumConnections
            return ReadReplica(
                settings: replica,
                client: PostgresClient(configuration: replicaSettings.clientConfiguration, backgroundLogger: poolLogger))
        }
        let database = Database(client: client, settings: settings, logger: logger, replica: replica)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            if let heartbeat = database.heartbeat {
                group.addTask { await heartbeat.run(settings: settings, lossGuard: database.lossGuard, logger: logger) }
            }
            if let replica {
                group.addTask { await replica.client.run() }
                group.addTask {
                    await replica.monitor(
                        primary: {
                            try await database.withConnection { connection in
                                try await ReadReplica.position(on: connection, sql: ReadReplica.primarySQL, logger: logger)
                            }
                        }, logger: logger)
                }
            }
            defer { group.cancelAll() }
            return try await body(database)
        }
    }

    /// Runs `body` with a pooled connection. When the connection closes under it, the caller hears
    /// `StoreError.connectionLost` at once rather than waiting forever (see `ConnectionLossGuard`).
    @discardableResult
    public func withConnection<T: Sendable>(_ body: @escaping @Sendable (DatabaseConnection) async throws -> T)
        async throws -> T
    {
        try await withConnection(onItsEventLoop: false, body)
    }

    /// `withConnection`; with `onItsEventLoop`, `body` runs on the connection's event loop (see `transaction`).
    func withConnection<T: Sendable>(
        onItsEventLoop: Bool, _ body: @escaping @Sendable (DatabaseConnection) async throws -> T
    ) async throws -> T {
        if let reason = heartbeat?.unavailable {
            throw StoreError.unreachable(target: settings.description, detail: reason)
        }
        let lossGuard = self.lossGuard
        let leases = self.leases
        return try await client.withConnection { connection in
            leases.record()
            return try await lossGuard.run(on: connection, onItsEventLoop: onItsEventLoop) { connection in
                do {
                    return try await body(DatabaseConnection(connection))
                } catch let error as PSQLError where error.serverInfo?[.sqlState] == "25006" {
                    // A server that refuses writes is a replica: a load balancer sent this connection to a primary
                    // being demoted (a switchover). Closed, the pool opens a new one, which reaches the new primary.
                    _ = connection.close() as EventLoopFuture<Void>
                    throw error
                }
            }
        }
    }

    /// Runs `body` in one transaction, rolled back if it throws; the body's own error is what the caller sees, but
    /// for a wait cut short by `limits` (the settings' `transactionLimits` when nil), which is
    /// `StoreError.lockTimeout` or `.statementTimeout`. With `onItsEventLoop`, `body` runs on the event loop of its
    /// connection (`EventLoopTaskExecutor`), for short work that never blocks: that loop serves other connections too.
    public func transaction<T: Sendable>(
        limits: TransactionLimits? = nil, onItsEventLoop: Bool = false,
        _ body: @escaping @Sendable (DatabaseConnection) async throws -> T
    ) async throws -> T {
        let logger = self.logger
        let limits = limits ?? settings.transactionLimits
        return try await withConnection(onItsEventLoop: onItsEventLoop) { lent in
            let connection = lent.holdingWrites()
            // Prepared, as the statements of a transition are: parsed once per connection, not per transaction.
            try await connection.run("BEGIN", logger: logger)
            let value: T
            do {
                // SET takes no bind parameters; set_config does, and `true` keeps both to this transaction.
                let set = try await connection.prepared(
                    """
                    SELECT set_config('lock_timeout', \(limits.lockSetting), true),
                           set_config('statement_timeout', \(limits.statementSetting), true)
                    """, logger: logger)
                for try await _ in set {}
                value = try await body(connection)
                try await connection.sendHeldWrites(logger: logger)
            } catch {
                // On a closed connection there is nothing to roll back, and a statement sent there is never answered
                // (should the connection close between the check and the ROLLBACK, the guard ends the wait).
                connection.deferred?.drop()
                if !connection.isClosed { _ = try? await connection.query("ROLLBACK", logger: logger) }
                throw StoreError.limited(error, by: limits)
            }
            try await connection.run("COMMIT", logger: logger)
            return value
        }
    }

    /// Runs `body` under a savepoint of the transaction open on `connection`: its writes are undone when it throws,
    /// and the transaction goes on (a refused statement would otherwise abort all of it).
    public func savepoint<T: Sendable>(
        on connection: DatabaseConnection, _ body: @escaping @Sendable (DatabaseConnection) async throws -> T
    ) async throws -> T {
        try await connection.run("SAVEPOINT engine_step", logger: logger)
        let value: T
        do {
            value = try await body(connection)
            // Sent inside the step: a held write refused is undone with the step, not with the whole transaction.
            try await connection.sendHeldWrites(logger: logger)
        } catch {
            // What the step held goes with the step (the SAVEPOINT sent what was held before it).
            connection.deferred?.drop()
            if !connection.isClosed {
                try? await connection.run("ROLLBACK TO SAVEPOINT engine_step", logger: logger)
                try? await connection.run("RELEASE SAVEPOINT engine_step", logger: logger)
            }
            throw error
        }
        try await connection.run("RELEASE SAVEPOINT engine_step", logger: logger)
        return value
    }

    /// Waits at most `limit` for a pooled connection and hands it straight back. The pool itself waits a minute
    /// while the server is down; callers that must answer fast (HTTP requests) check here first and fail with
    /// `StoreError.unreachable` instead of hanging. Nothing is read or written, so giving up is always safe.
    /// When some work got a connection in the last 100 ms the pool is working and this returns at once: under load
    /// that spares each request a lease of its own (the whole gate measured 15-25% of a status lookup in release).
    public func awaitConnection(within limit: Duration) async throws {
        if let reason = heartbeat?.unavailable {
            throw StoreError.unreachable(target: settings.description, detail: reason)
        }
        if leases.leased(within: .milliseconds(100)) { return }
        let client = self.client
        let leased = await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                try await client.withConnection { _ in }
                return true
            }
            group.addTask {
                try await Task.sleep(for: limit)
                return false
            }
            defer { group.cancelAll() }
            do {
                return try await group.next() ?? false
            } catch {
                return false
            }
        }
        guard leased else {
            throw StoreError.unreachable(
                target: settings.description, detail: "no pooled connection within \(limit)")
        }
    }

    /// Runs `body` on the read replica when one is configured and current (see `ReadReplica`); nil when there is
    /// none, it is down or lagging, or it gave no answer within `limit`: the caller then reads the primary.
    public func onReplica<T: Sendable>(
        within limit: Duration = .seconds(1), _ body: @escaping @Sendable (DatabaseConnection) async throws -> T
    ) async throws -> T? {
        guard let replica, replica.isUsable else { return nil }
        do {
            return try await Deadline.run(within: limit) { try await replica.withConnection(body) }
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            logger.info("replica read failed; reading the primary", metadata: ["error": "\(String(reflecting: error))"])
            return nil
        }
    }

    /// Whether the primary's heartbeat is being answered (nil without a heartbeat).
    public var heartbeatFailure: String? { heartbeat?.unavailable }

    static func probe(_ settings: DatabaseSettings, logger: Logger) async throws {
        do {
            let connection = try await PostgresConnection.connect(
                configuration: settings.connectionConfiguration, id: 0, logger: logger)
            try await connection.close()
        } catch {
            throw StoreError.unreachable(target: settings.description, detail: StoreError.describe(error))
        }
    }

    /// Creates `settings.database` on its server when it does not exist yet (used for the embedded cluster).
    public static func createDatabaseIfMissing(_ settings: DatabaseSettings, template: String? = nil, logger: Logger)
        async throws
    {
        let admin = settings.with(database: "postgres")
        let connection: PostgresConnection
        do {
            connection = try await PostgresConnection.connect(
                configuration: admin.connectionConfiguration, id: 0, logger: logger)
        } catch {
            throw StoreError.unreachable(target: admin.description, detail: StoreError.describe(error))
        }
        defer { Task { try? await connection.close() } }
        let rows = try await connection.query(
            "SELECT 1 FROM pg_database WHERE datname = \(settings.database)", logger: logger)
        for try await _ in rows { return }
        // Identifiers cannot be bound; the names come from this program, and are quoted.
        var sql = "CREATE DATABASE \(quoteIdentifier(settings.database))"
        if let template { sql += " TEMPLATE \(quoteIdentifier(template))" }
        do {
            try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger)
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "42P04" {
            return  // created meanwhile by another process
        }
    }

    /// Drops `name` on the server of `settings`, disconnecting anyone still on it.
    public static func dropDatabase(_ name: String, on settings: DatabaseSettings, logger: Logger) async throws {
        let connection = try await PostgresConnection.connect(
            configuration: settings.with(database: "postgres").connectionConfiguration, id: 0, logger: logger)
        defer { Task { try? await connection.close() } }
        try await connection.query(
            PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(quoteIdentifier(name)) WITH (FORCE)"), logger: logger)
    }

    static func quoteIdentifier(_ name: String) -> String {
        "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

/// When work last got a pooled connection through `Database.withConnection`.
final class LeaseClock: Sendable {
    private let uptimeNanoseconds = Atomic<UInt64>(0)

    func record() {
        uptimeNanoseconds.store(DispatchTime.now().uptimeNanoseconds, ordering: .relaxed)
    }

    func leased(within span: Duration) -> Bool {
        let last = uptimeNanoseconds.load(ordering: .relaxed)
        let span = UInt64(span.totalSeconds * 1e9)
        return last != 0 && DispatchTime.now().uptimeNanoseconds &- last < span
    }
}
