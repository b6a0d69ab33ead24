import Foundation
import PostgresNIO
import ReturnsCore
import ReturnsEngine
import ReturnsStore
import ServiceLifecycle
@testable import ReturnsTestSupport
import Testing

@Suite("Retention and monthly partitions")
struct RetentionTests {
    static func utc(_ text: String) -> Date { ISO8601DateFormatter().date(from: text)! }

    @Test("events and messages written either side of a month boundary land in two partitions; reads see both")
    func monthBoundary() async throws {
        try await TestDatabase.withEngine { engine in
            let id = try await engine.makeReturn()
            let created = try await engine.database.transaction { connection in
                try await RetentionRepository(logger: engine.database.logger).ensurePartitions(
                    since: Self.utc("2020-01-15T00:00:00Z"), through: Self.utc("2020-02-15T00:00:00Z"),
                    on: connection)
            }
            #expect(created == 4)  // January and February, for each of the two tables
            let january = Self.utc("2020-01-31T23:59:59Z").addingTimeInterval(0.999_999)
            let february = Self.utc("2020-02-01T00:00:00Z")
            for (seq, at) in [(100, january), (101, february)] {
                try await engine.database.client.query(
                    """
                    INSERT INTO return_events (return_id, seq, event, from_state, to_state, actor, occurred_at)
                    VALUES (\(id), \(seq), 'imported', 'requested', 'requested', 'import', \(at))
                    """)
                try await engine.database.client.query(
                    """
                    INSERT INTO outbox (message_id, return_id, seq, template, locale, status, created_at, delivered_at)
                    VALUES (\(UUID()), \(id), \(seq), 'received', 'de', 'delivered', \(at), \(at))
                    """)
            }
            try await engine.database.client.query(
                """
                INSERT INTO outbox (message_id, return_id, seq, template, locale, created_at)
                VALUES (\(UUID()), \(id), 102, 'refunded', 'de', \(february))
                """)
            let eventPartitions = try await engine.rows(
                "SELECT seq, tableoid::regclass::text FROM return_events WHERE return_id = \(id) ORDER BY seq",
                as: (Int, String).self)
            #expect(
                eventPartitions.map(\.1)
                    == [Self.currentPartition("return_events"), "return_events_2020_01", "return_events_2020_02"])
            let outboxPartitions = try await engine.rows(
                "SELECT seq, tableoid::regclass::text FROM outbox WHERE seq >= 100 ORDER BY seq", as: (Int, String).self
            )
            #expect(outboxPartitions.map(\.1) == ["outbox_2020_01", "outbox_2020_02", "outbox_2020_02"])

            // Reads through the engine see the current month and both older ones.
            #expect(try await engine.lookup.details(of: id).history.map(\.seq) == [1, 100, 101])
            let listed = try await engine.outbox.entries(status: "delivered", limit: 100).map(\.seq)
            #expect(listed.sorted() == [100, 101])

            // (return_id, seq) is unique within a month.
            await #expect(throws: PSQLError.self) {
                try await engine.database.client.query(
                    """
                    INSERT INTO return_events (return_id, seq, event, to_state, actor, occurred_at)
                    VALUES (\(id), 100, 'forged', 'requested', 'import', \(january))
                    """)
            }

            // Pruning reaches into both months, keeps the pending message and all history.
            let pruned = try await engine.maintenance.prune(RetentionSettings(deliveredOutboxAge: .seconds(86_400)))
            #expect(pruned.outbox == 2)
            #expect(try await engine.count("SELECT count(*)::bigint FROM outbox WHERE seq >= 100") == 1)
            #expect(
                try await engine.rows("SELECT status FROM outbox WHERE seq = 102", as: (String.self)) == ["pending"])
            #expect(try await engine.lookup.details(of: id).history.map(\.seq) == [1, 100, 101])
            // January's outbox month is empty now and dropped; February keeps its pending message; history months
            // are never dropped.
            #expect(pruned.outboxPartitions == 1)
            let left = try await engine.rows(
                "SELECT relname::text FROM pg_class WHERE relname ~ '^(outbox|return_events)_2020_0[12]$' ORDER BY 1",
                as: (String.self))
            #expect(left == ["outbox_2020_02", "return_events_2020_01", "return_events_2020_02"])
        }
    }

    @Test("migration 007 moves existing history and messages into monthly partitions; outbox ids continue")
    func migratesExistingRows() async throws {
        let clone = try await TestDatabase.makeDatabase()
        let settings = clone.with(database: TestDatabase.prefix + "before007")
        try await Database.createDatabaseIfMissing(settings, logger: TestDatabase.logger)
        let schema = try Migrator(directory: TestDatabase.packageRoot.appendingPathComponent("Schema"))
        try await Database.with(settings, logger: TestDatabase.logger) { database in
            try await Migrator(migrations: schema.migrations.filter { $0.version < 7 }).migrate(database)
            let engine = Engine(database: database, catalog: TestDatabase.catalog)
            try await engine.deployWorkflows()
            // A return with its label issued, written as the engine of that schema wrote it (today's engine writes
            // columns later migrations add).
            let id = UUID()
            let standard = try #require(TestDatabase.catalog.workflow(named: "standard")).definition
            try await database.client.query(
                """
                INSERT INTO returns (id, status_token, workflow_name, workflow_version, state, version, order_ref,
                                     customer_email, currency, paid_minor)
                VALUES (\(id), \(UUID().uuidString), 'standard', \(standard.version), 'label_issued', 2, 'ORD-007',
                        'ana@example.com', 'EUR', 10980)
                """)
            try await database.client.query(
                """
                INSERT INTO return_events (return_id, seq, event, from_state, to_state, actor)
                VALUES (\(id), 1, 'created', NULL, 'requested', 'customer'),
                       (\(id), 2, 'issue_label', 'requested', 'label_issued', 'policy')
                """)
            try await database.client.query(
                """
                INSERT INTO outbox (message_id, return_id, seq, template, locale)
                VALUES (\(UUID()), \(id), 2, 'label_issued', 'de')
                """)
            // A row from two months back, as a database in use for a while has, written like the engine writes.
            let earlier = Date().addingTimeInterval(-62 * 86_400)
            try await database.client.query(
                """
                INSERT INTO return_events (return_id, seq, event, from_state, to_state, actor, occurred_at)
                VALUES (\(id), 3, 'imported', 'label_issued', 'label_issued', 'import', \(earlier))
                """)
            try await database.client.query("UPDATE returns SET version = 3 WHERE id = \(id)")
            try await database.client.query(
                """
                INSERT INTO outbox (message_id, return_id, seq, template, locale, status, created_at, delivered_at)
                VALUES (\(UUID()), \(id), 3, 'received', 'de', 'delivered', \(earlier), \(earlier))
                """)
            let idsBefore = try await engine.rows("SELECT id FROM outbox ORDER BY id", as: (Int64.self))

            #expect(
                try await Migrator(migrations: schema.migrations.filter { $0.version <= 7 }).migrate(database)
                    == ["007_monthly_partitions.sql"])
            let events = try await engine.rows(
                "SELECT seq, tableoid::regclass::text FROM return_events ORDER BY seq", as: (Int, String).self)
            let now = Self.currentPartition("return_events")
            let then = "return_events_" + Self.month(earlier)
            #expect(events.map(\.0) == [1, 2, 3])
            #expect(events.map(\.1) == [now, now, then])
            #expect(try await engine.rows("SELECT id FROM outbox ORDER BY id", as: (Int64.self)) == idsBefore)
            #expect(
                try await engine.rows("SELECT tableoid::regclass::text FROM outbox WHERE seq = 3", as: (String.self))
                    == ["outbox_" + Self.month(earlier)])

            // Migrated on to the current schema (the engine writes and reads columns of later migrations), the
            // engine goes on writing: the next message takes the next id, the history stays gapless.
            try await schema.migrate(database)
            try await engine.drive(id, [("cancel", [:])])
            let ids = try await engine.rows("SELECT id FROM outbox ORDER BY id", as: (Int64.self))
            #expect(ids.count == idsBefore.count + 1)
            #expect(ids.last ?? 0 > idsBefore.max() ?? 0)
            #expect(try await engine.lookup.details(of: id).history.map(\.seq) == [1, 2, 3, 4])
        }
    }

    static func month(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy_MM"
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: date)
    }

    static func currentPartition(_ table: String) -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy_MM"
        formatter.timeZone = TimeZone(identifier: "UTC")
        return "\(table)_\(formatter.string(from: Date()))"
    }

    @Test("a row in a month without a partition is refused with PostgreSQL's reason")
    func missingMonth() async throws {
        try await TestDatabase.withEngine { engine in
            let id = try await engine.makeReturn()
            let error = await #expect(throws: PSQLError.self) {
                try await engine.database.client.query(
                    """
                    INSERT INTO return_events (return_id, seq, event, to_state, actor, occurred_at)
                    VALUES (\(id), 2, 'imported', 'requested', 'import', '1999-05-01T00:00:00Z')
                    """)
            }
            #expect(error?.serverInfo?[.message]?.contains("no partition of relation") == true)
        }
    }

    @Test("partitions reach the configured months ahead; asking again creates none")
    func partitionsAhead() async throws {
        try await TestDatabase.withEngine { engine in
            let settings = RetentionSettings(partitionMonthsAhead: 5)
            #expect(try await engine.maintenance.ensurePartitions(settings) == 4)  // months 4 and 5 ahead, two tables
            #expect(try await engine.maintenance.ensurePartitions(settings) == 0)
            let stats = try await engine.maintenance.databaseStats()
            let coverage = try #require(stats.partitions.first { $0.table == "return_events" })
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = TimeZone(identifier: "UTC")!
            let monthsAhead = calendar.dateComponents(
                [.month],
                from: calendar.date(from: calendar.dateComponents([.year, .month], from: Date()))!,
                to: coverage.lastMonth
            ).month
            #expect(monthsAhead == 5)
            // History stays append-only in a partition created later, TRUNCATE included.
            let newest =
                "return_events_"
                + {
                    let formatter = DateFormatter()
                    formatter.dateFormat = "yyyy_MM"
                    formatter.timeZone = TimeZone(identifier: "UTC")
                    return formatter.string(from: coverage.lastMonth)
                }()
            await #expect(throws: PSQLError.self) {
                try await engine.database.client.query(PostgresQuery(unsafeSQL: "TRUNCATE \(newest)"))
            }
        }
    }

    @Test("prune deletes only settled work past its age, and never history")
    func pruneAges() async throws {
        try await TestDatabase.withEngine { engine in
            // Two returns with history, notifications, timers and idempotency keys.
            let old = try await engine.makeReturn(key: "old-create")
            let recent = try await engine.makeReturn(key: "recent-create")
            for id in [old, recent] {
                try await engine.drive(id, [("issue_label", [:]), ("ship", tracking)])
            }
            let events = try await engine.count("SELECT count(*)::bigint FROM return_events")
            // Everything of `old` is settled long ago; `recent` settled just now. One old message is dead.
            try await engine.database.client.query(
                """
                UPDATE outbox SET status = 'delivered', delivered_at = now() - interval '1 hour'
                """)
            try await engine.database.client.query(
                """
                UPDATE outbox SET delivered_at = now() - interval '20 days' WHERE return_id = \(old)
                """)
            try await engine.database.client.query(
                """
                UPDATE outbox SET status = 'dead', delivered_at = NULL
                WHERE return_id = \(old) AND seq = (SELECT min(seq) FROM outbox WHERE return_id = \(old))
                """)
            try await engine.database.client.query(
                "UPDATE timers SET settled_at = now() - interval '40 days' WHERE return_id = \(old) AND status <> 'pending'"
            )
            try await engine.database.client.query(
                "UPDATE idempotency_keys SET created_at = now() - interval '100 days' WHERE key = 'old-create'")
            let oldDelivered = try await engine.count(
                "SELECT count(*)::bigint FROM outbox WHERE return_id = \(old) AND status = 'delivered'")
            let oldSettled = try await engine.count(
                "SELECT count(*)::bigint FROM timers WHERE return_id = \(old) AND status <> 'pending'")
            #expect(oldDelivered >= 1)
            #expect(oldSettled >= 1)
            let before = try await engine.count("SELECT count(*)::bigint FROM outbox")
            let timersBefore = try await engine.count("SELECT count(*)::bigint FROM timers")

            let settings = RetentionSettings(batchSize: 1, pauseBetweenBatches: .zero)
            #expect(
                try await engine.maintenance.prunable(settings)
                    == PruneCounts(outbox: oldDelivered, timers: oldSettled, idempotencyKeys: 1))
            let pruned = try await engine.maintenance.prune(settings)
            #expect(
                pruned == PruneCounts(outbox: oldDelivered, timers: oldSettled, idempotencyKeys: 1, outboxPartitions: 0)
            )

            #expect(try await engine.count("SELECT count(*)::bigint FROM outbox") == before - oldDelivered)
            // Of the old return's messages, only the dead one is left.
            #expect(try await engine.count("SELECT count(*)::bigint FROM outbox WHERE return_id = \(old)") == 1)
            #expect(try await engine.count("SELECT count(*)::bigint FROM timers") == timersBefore - oldSettled)
            #expect(
                try await engine.count(
                    "SELECT count(*)::bigint FROM timers WHERE return_id = \(old) AND status = 'pending'")
                    == 1)
            #expect(
                try await engine.rows("SELECT key FROM idempotency_keys ORDER BY key", as: (String.self)) == [
                    "recent-create"
                ])
            #expect(try await engine.count("SELECT count(*)::bigint FROM return_events") == events)
            #expect(try await engine.maintenance.prunable(settings) == PruneCounts(outbox: 0, timers: 0, idempotencyKeys: 0))
        }
    }

    @Test("the retention worker prunes on its first pass and stops on shutdown")
    func worker() async throws {
        try await TestDatabase.withEngine { engine in
            let id = try await engine.makeReturn()
            try await engine.drive(id, [("issue_label", [:])])
            try await engine.database.client.query(
                "UPDATE outbox SET status = 'delivered', delivered_at = now() - interval '30 days' WHERE return_id = \(id)"
            )
            #expect(try await engine.count("SELECT count(*)::bigint FROM outbox") > 0)
            let worker = RetentionWorker(engine: engine, settings: RetentionSettings(interval: .seconds(3_600)))
            let group = ServiceGroup(services: [worker], logger: TestDatabase.logger)
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                // Waits for the outcome, not for a time: the loop ends as soon as the pass has pruned.
                for _ in 0..<600 where try await engine.count("SELECT count(*)::bigint FROM outbox") > 0 {
                    try await Task.sleep(for: .milliseconds(50))
                }
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
            #expect(try await engine.count("SELECT count(*)::bigint FROM outbox") == 0)
        }
    }

    @Test("db prune --dry-run counts and deletes nothing; db prune deletes; a bad age exits 64")
    func pruneCommand() async throws {
        let database = try await TestDatabase.makeDatabase()
        let created = try await CLI.run(
            [
                "return", "create", "--order", "A-9", "--customer", "ana@example.com", "--item", "SHOE-42:1:89.90:EUR",
                "--idempotency-key", "k1",
            ], database: database)
        #expect(created.code == 0, "\(created.text)")
        let age = try await CLI.run(["db", "prune", "--key-age", "0s", "--dry-run", "--json"], database: database)
        #expect(age.code == 0, "\(age.text)")
        let dry = try CLI.json(age.output)
        #expect(dry["dryRun"] as? Bool == true)
        #expect((dry["deleted"] as? [String: Any])?["idempotencyKeys"] as? Int == 1)
        #expect((dry["deleted"] as? [String: Any])?["outboxPartitions"] == nil)  // a dry run drops nothing

        let bad = try await CLI.run(["db", "prune", "--key-age", "2w"], database: database)
        #expect(bad.code == 64)
        #expect(bad.errors.contains("--key-age '2w' is not an age; write 14d, 12h, 30m or 90s"))
        let badVariable = try await CLI.run(
            ["db", "prune"], database: database, environment: ["RETURNS_RETENTION_OUTBOX": "soon"])
        #expect(badVariable.code == 64)
        #expect(badVariable.errors.contains("RETURNS_RETENTION_OUTBOX='soon' is not an age"))

        let still = try await CLI.run(["db", "prune", "--dry-run", "--key-age", "0s"], database: database)
        #expect(still.output.contains("would delete 0 delivered notifications, 0 settled timers, 1 idempotency keys"))
        let pruned = try await CLI.run(["db", "prune", "--key-age", "0s"], database: database)
        #expect(pruned.code == 0)
        #expect(
            pruned.output.contains(
                "deleted 0 delivered notifications, 0 settled timers, 1 idempotency keys; dropped 0 empty outbox"))
        let after = try await CLI.run(["db", "prune", "--dry-run", "--key-age", "0s", "--json"], database: database)
        #expect((try CLI.json(after.output)["deleted"] as? [String: Any])?["idempotencyKeys"] as? Int == 0)
    }

    @Test("db stats shows tables with their partitions, the oldest pending work and partition coverage")
    func statsCommand() async throws {
        let database = try await TestDatabase.makeDatabase()
        let created = try await CLI.run(
            [
                "return", "create", "--order", "A-9", "--customer", "ana@example.com", "--item", "SHOE-42:1:89.90:EUR",
                "--json",
            ], database: database)
        let id = try #require(try CLI.json(created.output)["id"] as? String)
        _ = try await CLI.run(["return", "event", id, "issue_label"], database: database)

        let stats = try await CLI.run(["db", "stats", "--json"], database: database)
        #expect(stats.code == 0, "\(stats.text)")
        let answer = try CLI.json(stats.output)
        let tables = try #require(answer["tables"] as? [[String: Any]])
        let events = try #require(tables.first { $0["name"] as? String == "return_events" })
        #expect((events["partitions"] as? Int ?? 0) >= 4)
        #expect(tables.contains { $0["name"] as? String == "returns" && $0["partitions"] as? Int == 0 })
        #expect(!tables.contains { ($0["name"] as? String)?.hasPrefix("outbox_2") == true })
        let work = try #require(answer["pendingWork"] as? [[String: Any]])
        let outbox = try #require(work.first { $0["kind"] as? String == "outbox" })
        #expect(outbox["count"] as? Int == 1)
        #expect(outbox["oldestAgeSeconds"] is Double)
        #expect(work.first { $0["kind"] as? String == "refunds" }?["count"] as? Int == 0)
        let partitions = try #require(answer["partitions"] as? [[String: Any]])
        #expect(Set(partitions.compactMap { $0["table"] as? String }) == ["outbox", "return_events"])

        let text = try await CLI.run(["db", "stats"], database: database)
        #expect(text.code == 0)
        #expect(text.output.contains("return_events"))
        #expect(text.output.contains("pending work"))
        #expect(text.output.contains("last month"))
    }
}
