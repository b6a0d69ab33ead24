import Foundation
import PostgresNIO
import ReturnsEngine
@testable import ReturnsStore
import Synchronization
@testable import ReturnsTestSupport
import Testing

@Suite("Work on a connection that dies under it")
struct ConnectionLossTests {
    /// postgres-nio 1.33 never answers a statement sent on a connection whose channel has closed and torn down its
    /// pipeline; without the guard this transaction waits forever (measured: the test then fails after 10 s).
    @Test("a statement sent after the connection closed ends in connectionLost, and the pool serves on")
    func statementAfterClose() async throws {
        try await TestDatabase.withEngine { engine in
            let database = engine.database
            // In a task of its own, so that a regression (a hang) fails this test instead of stalling the suite.
            let attempt = Task {
                try await database.transaction { connection in
                    var backend: Int32 = 0
                    for try await pid in try await connection.query("SELECT pg_backend_pid()", logger: database.logger)
                        .decode(Int32.self)
                    {
                        backend = pid
                    }
                    // Ended from another pooled connection, as an operator's pg_terminate_backend does.
                    try await database.withConnection { [backend] other in
                        try await other.query("SELECT pg_terminate_backend(\(backend))", logger: database.logger)
                    }
                    while !connection.isClosed { try await Task.sleep(for: .milliseconds(5)) }
                    try await Task.sleep(for: .milliseconds(100))  // the channel has torn down its pipeline by now
                    try await connection.query("SELECT 1", logger: database.logger)
                }
            }
            let outcome = try await firstOf(attempt, orAfter: .seconds(30))
            guard let outcome else {
                Issue.record("the transaction still waits for its statement 30 s after the connection closed")
                return
            }
            let error = #expect(throws: StoreError.self) { try outcome.get() }
            guard case .connectionLost = error else {
                Issue.record("expected connectionLost, got \(String(describing: error))")
                return
            }
            let one = try await database.withConnection { connection in
                var value = 0
                for try await row in try await connection.query("SELECT 1", logger: database.logger).decode(Int.self) {
                    value = row
                }
                return value
            }
            #expect(one == 1)
        }
    }

    /// The server's error, or connectionLost when the machine is too busy for the body to end within the guard's
    /// grace; either way well before the 30 s statement would have ended.
    @Test("work whose connection closes while it waits on the server ends with an error, at once")
    func statementInFlightWhenClosed() async throws {
        try await TestDatabase.withEngine { engine in
            let database = engine.database
            let started = ContinuousClock.now
            await #expect(throws: (any Error).self) {
                try await database.transaction { connection in
                    async let sleeping: Void = {
                        try await connection.query("SELECT pg_sleep(30)", logger: database.logger)
                    }()
                    try await Task.sleep(for: .milliseconds(200))
                    try await database.withConnection { other in
                        try await other.query(
                            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(30)'",
                            logger: database.logger)
                    }
                    try await sleeping
                }
            }
            #expect(ContinuousClock.now - started < .seconds(20))
        }
    }

    /// The task's result, or nil when it has not finished within `limit` (the task is left running).
    func firstOf<T: Sendable>(_ task: Task<T, any Error>, orAfter limit: Duration) async throws -> Result<T, any Error>? {
        let deadline = ContinuousClock.now + limit
        let box = Mutex<Result<T, any Error>?>(nil)
        let waiter = Task { let result = await task.result; box.withLock { $0 = result } }
        defer { waiter.cancel() }
        while ContinuousClock.now < deadline {
            if let result = box.withLock({ $0 }) { return result }
            try await Task.sleep(for: .milliseconds(20))
        }
        return nil
    }
}
