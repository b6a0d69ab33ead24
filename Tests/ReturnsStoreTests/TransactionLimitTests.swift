import Foundation
import PostgresNIO
@testable import ReturnsStore
@testable import ReturnsTestSupport
import Testing

/// Issue 15, item 8: every transaction's lock and statement waits are bounded, except where waiting is the point.
@Suite("Transaction limits")
struct TransactionLimitTests {
    @Test("a statement past the statement limit is cancelled and reported as statementTimeout")
    func statementLimit() async throws {
        var settings = try await TestDatabase.makeDatabase()
        settings.transactionLimits = TransactionLimits(lockTimeout: .milliseconds(200), statementTimeout: .milliseconds(200))
        try await Database.with(settings, logger: TestDatabase.logger) { database in
            // A connection first, so the time below is the statement's, not the pool's.
            _ = try await database.transaction { _ in }
            let started = ContinuousClock.now
            let error = await #expect(throws: StoreError.self) {
                try await database.transaction { connection in
                    // Read to its end: the server's error arrives with the rows.
                    for try await _ in try await connection.query("SELECT pg_sleep(30)", logger: TestDatabase.logger) {}
                }
            }
            guard case .statementTimeout(let limit)? = error else {
                Issue.record("not a statement timeout: \(String(describing: error))")
                return
            }
            #expect(limit == "200ms")
            // pg_sleep(30) was cut: without the limit it returns normally after 30 s (timing on a loaded machine is
            // only a loose check, with room for a busy suite; the error above is the proof).
            #expect(ContinuousClock.now - started < .seconds(15))
            // Unbounded on request, the same statement runs to its end.
            _ = try await database.transaction(limits: .unbounded) { connection in
                try await connection.query("SELECT pg_sleep(0.4)", logger: TestDatabase.logger)
            }
        }
    }

    @Test("the migrator waits for another process's migration lock longer than the lock limit, and then migrates")
    func migratorWaits() async throws {
        var settings = try await TestDatabase.makeDatabase()
        settings.transactionLimits = TransactionLimits(lockTimeout: .milliseconds(100), statementTimeout: .milliseconds(300))
        let schema = TestDatabase.packageRoot.appendingPathComponent("Schema")
        try await Database.with(settings, logger: TestDatabase.logger) { other in
            let (locked, locking) = AsyncStream<Void>.makeStream()
            // Another process is migrating: it holds the migration lock for a second.
            let holder = Task {
                _ = try await other.transaction(limits: .unbounded) { connection in
                    try await connection.query("SELECT pg_advisory_xact_lock(\(Migrator.lockKey))", logger: TestDatabase.logger)
                    locking.yield()
                    try await connection.query("SELECT pg_sleep(1)", logger: TestDatabase.logger)
                }
            }
            for await _ in locked { break }
            try await Database.with(settings, logger: TestDatabase.logger) { database in
                let started = ContinuousClock.now
                let applied = try await Migrator(directory: schema).migrate(database)
                #expect(applied.isEmpty)
                #expect(ContinuousClock.now - started >= .milliseconds(500))
            }
            try await holder.value
        }
    }
}
