import Foundation
import Logging
import PostgresNIO
@testable import ReturnsStore
@testable import ReturnsTestSupport
import Testing

@Suite("A database that stops answering, and a replica's lag")
struct AvailabilityTests {
    let logger = TestDatabase.logger

    /// A stopped backend is what a partition looks like from here: the kernel keeps the connection open, nothing
    /// answers. SIGSTOP of the heartbeat's own backend (the test runs as root, the server as postgres) silences only
    /// that session of the shared test cluster, and the test's database refuses new sessions meanwhile, so the
    /// heartbeat's reconnect fails as it would across a partition and the outage lasts until the test ends it.
    @Test("when the heartbeat goes unanswered, work in flight ends and new work is refused at once; it resumes after")
    func silentDatabase() async throws {
        var settings = try await TestDatabase.makeDatabase()
        let admin = settings.with(database: "postgres")
        // A timeout a loaded machine meets: while the whole suite starts at once, the heartbeat's session and its
        // answer missed 600 ms on every try for 20 s, and once missed 3 s for as long.
        settings.heartbeatTimeout = .seconds(5)
        settings.heartbeatInterval = .milliseconds(500)
        try await Database.with(settings, logger: logger) { database in
            let heartbeat = try #require(database.heartbeat)
            try await waitUntil(.seconds(90)) { heartbeat.answeredBeats > 0 }
            let pid = try await database.withConnection { connection in
                var pid: Int32?
                for try await value in try await connection.query(
                    "SELECT pid FROM pg_stat_activity WHERE application_name = \(Heartbeat.applicationName) AND datname = current_database()",
                    logger: logger
                ).decode(Int32.self) {
                    pid = value
                }
                return pid
            }
            let backend = try #require(pid, "the heartbeat's session is in pg_stat_activity")
            // Work in flight that would otherwise run for 60 s.
            let inFlight = Task {
                try await database.withConnection { connection in
                    for try await _ in try await connection.query("SELECT pg_sleep(60)", logger: logger) {}
                }
            }
            try await Task.sleep(for: .milliseconds(300))
            try await Self.allowConnections(false, to: settings.database, on: admin)
            let stopped = ContinuousClock.now
            kill(pid_t(backend), SIGSTOP)
            defer { kill(pid_t(backend), SIGCONT) }
            try await waitUntil(.seconds(30)) { heartbeat.unavailable != nil }
            let detected = ContinuousClock.now - stopped
            let refused = ContinuousClock.now
            await #expect(throws: StoreError.self) { try await database.withConnection { _ in } }
            // The pool, asked instead, tries the refusing database until its circuit breaker trips (61 s seen).
            #expect(ContinuousClock.now - refused < .seconds(2), "refused at once, not after a wait")
            // Nominally within the 0.5 s interval plus the 5 s timeout; the bound leaves room for a loaded machine
            // and still says seconds, where TCP alone would take a quarter of an hour.
            #expect(detected < .seconds(20), "the silence was noticed after \(detected)")
            let outcome = await inFlight.result
            let ended = ContinuousClock.now - stopped
            guard case .failure(let error) = outcome else {
                Issue.record("the work in flight ran to its end instead of being cut short")
                return
            }
            #expect(ended < .seconds(30), "work in flight ended \(ended) after the database went silent (it would run 60 s)")
            // The statement fails with the closed connection (clientClosedConnection), or the guard ends the wait
            // (connectionLost); either is a connection failure, answered 503 at the edge.
            let isConnectionFailure: Bool
            if case .connectionLost? = error as? StoreError { isConnectionFailure = true } else {
                isConnectionFailure = StoreError.isConnectionFailure(error)
            }
            #expect(isConnectionFailure, "expected a connection failure, got \(String(reflecting: error))")
            #expect(heartbeat.unavailable != nil, "unavailable for as long as no session can be had")
            try await Self.allowConnections(true, to: settings.database, on: admin)
            kill(pid_t(backend), SIGCONT)
            try await waitUntil(.seconds(60)) { heartbeat.unavailable == nil }
            let one = try await database.withConnection { connection in
                var value = 0
                for try await row in try await connection.query("SELECT 1", logger: logger).decode(Int.self) { value = row }
                return value
            }
            #expect(one == 1)
        }
    }

    @Test("the replica's lag is the time since the latest primary position it has replayed")
    func lagFromPositions() throws {
        let now = ContinuousClock.now
        let samples: [(at: ContinuousClock.Instant, lsn: Int64)] = [
            (now - .seconds(12), 100), (now - .seconds(8), 200), (now - .milliseconds(100), 300),
        ]
        #expect(ReadReplica.caughtUp(samples: samples, replayed: 50) == nil)
        #expect(ReadReplica.caughtUp(samples: samples, replayed: 250) == now - .seconds(8))
        #expect(ReadReplica.caughtUp(samples: samples, replayed: 300) == now - .milliseconds(100))

        let client = PostgresClient(configuration: try TestDatabaseSettings.unused.clientConfiguration)
        let replica = ReadReplica(
            settings: ReadReplicaSettings(connection: try TestDatabaseSettings.unused, maximumLag: .seconds(5)),
            client: client)
        #expect(replica.status.verdict == .lagging, "never seen caught up: not used")
        for sample in samples { replica.record(sample: sample) }
        replica.record(replayed: 250)  // 8 s behind
        #expect(replica.status.verdict == .lagging)
        #expect(!replica.isUsable)
        #expect((replica.status.lag ?? .zero) >= .seconds(8))
        replica.record(replayed: 300)  // caught up to 0.1 s ago
        #expect(replica.status.verdict == .current)
        #expect(replica.isUsable)
        #expect((replica.status.lag ?? .seconds(99)) < .seconds(5))
    }

    /// Lets sessions into `database`, or refuses every new one (superusers too); sessions already open stay.
    static func allowConnections(_ allowed: Bool, to database: String, on admin: DatabaseSettings) async throws {
        try await Database.with(admin, logger: TestDatabase.logger) { admin in
            let sql = "ALTER DATABASE \(Database.quoteIdentifier(database)) ALLOW_CONNECTIONS \(allowed)"
            try await admin.client.query(PostgresQuery(unsafeSQL: sql), logger: TestDatabase.logger)
        }
    }

    func waitUntil(_ limit: Duration, every step: Duration = .milliseconds(50), _ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + limit
        while !condition() {
            guard ContinuousClock.now < deadline else {
                Issue.record("not within \(limit)")
                return
            }
            try await Task.sleep(for: step)
        }
    }
}

enum TestDatabaseSettings {
    /// Settings for a server nobody listens on (port 1 on loopback refuses at once).
    static var unused: DatabaseSettings {
        get throws { try DatabaseSettings(url: "postgres://returns@127.0.0.1:1/returns?sslmode=disable") }
    }
}
