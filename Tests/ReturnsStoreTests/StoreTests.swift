import Foundation
import Logging
import PostgresNIO
import ReturnsCore
import ReturnsEngine
import ReturnsStore
import ServiceLifecycle
@testable import ReturnsTestSupport
import Testing

@Suite("Schema, invariants and pinning in PostgreSQL")
struct StoreTests {
    let logger = TestDatabase.logger

    @Test("history is append-only: UPDATE and DELETE of return_events are refused")
    func appendOnly() async throws {
        try await TestDatabase.withEngine { engine in
            let id = try await engine.makeReturn()
            for sql: PostgresQuery in [
                "UPDATE return_events SET event = 'forged' WHERE return_id = \(id)",
                "DELETE FROM return_events WHERE return_id = \(id)",
                "TRUNCATE return_events CASCADE",
            ] {
                await #expect(throws: PSQLError.self) { try await engine.database.client.query(sql) }
            }
            #expect(try await engine.lookup.details(of: id).history.map(\.event) == ["created"])
        }
    }

    @Test("refunds of a return can never add up to more than was paid, even when inserted concurrently")
    func noOverRefund() async throws {
        try await TestDatabase.withEngine { engine in
            let id = try await engine.makeReturn()  // paid 109.80 EUR
            let attempts = try await withThrowingTaskGroup(of: Bool.self) { group in
                for index in 0..<20 {
                    group.addTask {
                        do {
                            try await engine.database.client.query(
                                """
                                INSERT INTO refunds (id, return_id, idempotency_key, amount_minor, currency, decided_seq)
                                VALUES (\(UUID()), \(id), \("manual-\(index)"), 6000, 'EUR', 1)
                                """)
                            return true
                        } catch {
                            return false
                        }
                    }
                }
                var accepted = 0
                for try await ok in group where ok { accepted += 1 }
                return accepted
            }
            #expect(attempts == 1)
            #expect(try await engine.count("SELECT sum(amount_minor)::bigint FROM refunds WHERE return_id = \(id)") == 6000)
            await #expect(throws: PSQLError.self) {
                try await engine.database.client.query(
                    """
                    INSERT INTO refunds (id, return_id, idempotency_key, amount_minor, currency, decided_seq)
                    VALUES (\(UUID()), \(id), 'other-currency', 100, 'USD', 1)
                    """)
            }
        }
    }

    @Test("approving a refund twice with one key, and concurrently, creates one refund")
    func oneRefundPerDecision() async throws {
        try await TestDatabase.withEngine { engine in
            let id = try await engine.makeReturn(workflow: "keep-it")
            let results = try await withThrowingTaskGroup(of: Bool.self) { group in
                for _ in 0..<10 {
                    group.addTask {
                        (try? await engine.transitions.apply("approve_refund", to: id, idempotencyKey: "cb-1", actor: "policy")) != nil
                    }
                }
                var ok = 0
                for try await success in group where success { ok += 1 }
                return ok
            }
            #expect(results == 10)
            let refunds = try await engine.lookup.details(of: id).refunds
            #expect(refunds.count == 1)
            #expect(refunds.first?.amountMinor == 10_980)
        }
    }

    @Test("migrations apply once: a second run applies nothing, two at once both succeed")
    func migrationsOnce() async throws {
        let settings = try await TestDatabase.makeDatabase()
        let schema = TestDatabase.packageRoot.appendingPathComponent("Schema")
        try await Database.with(settings, logger: logger) { database in
            let migrator = try Migrator(directory: schema)
            #expect(try await migrator.migrate(database).isEmpty)
            #expect(try await migrator.isCurrent(database))
        }
        // A fresh, empty database migrated by two processes' worth of runners at once.
        let empty = settings.with(database: settings.database + "_empty")
        try await Database.createDatabaseIfMissing(empty, logger: logger)
        let applied = try await withThrowingTaskGroup(of: [String].self) { group in
            for _ in 0..<2 {
                group.addTask {
                    try await Database.with(empty, logger: TestDatabase.logger) { database in
                        try await Migrator(directory: schema).migrate(database)
                    }
                }
            }
            var all: [[String]] = []
            for try await files in group { all.append(files) }
            return all
        }
        let appliedFiles: [String] = applied.flatMap { $0 }
        #expect(appliedFiles.filter { $0 == "001_core.sql" }.count == 1)
        try await Database.dropDatabase(empty.database, on: empty, logger: logger)
    }

    @Test("a migration changed after it was applied is refused with a clear error")
    func changedMigration() async throws {
        let settings = try await TestDatabase.makeDatabase()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("schema-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let original = try String(
            contentsOf: TestDatabase.packageRoot.appendingPathComponent("Schema/001_core.sql"), encoding: .utf8)
        try (original + "\n-- edited\n").write(
            to: folder.appendingPathComponent("001_core.sql"), atomically: true, encoding: .utf8)
        try await Database.with(settings, logger: logger) { database in
            do {
                try await Migrator(directory: folder).migrate(database)
                Issue.record("a changed migration was accepted")
            } catch let error as StoreError {
                #expect(error.description.contains("migration 001_core.sql was changed after it was applied"))
                #expect(error.description.contains("put the change in a new migration"))
            }
        }
    }

    @Test("returns keep the workflow version they started with; a changed file must raise its version")
    func pinning() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("wf-\(UUID().uuidString)")
        try FileManager.default.createDirectory(
            at: folder.appendingPathComponent("notifications/en"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let shipped = TestDatabase.packageRoot.appendingPathComponent("Workflows")
        for name in try FileManager.default.contentsOfDirectory(atPath: shipped.appendingPathComponent("notifications/en").path) {
            try FileManager.default.copyItem(
                at: shipped.appendingPathComponent("notifications/en/\(name)"),
                to: folder.appendingPathComponent("notifications/en/\(name)"))
        }
        let original = try String(contentsOf: shipped.appendingPathComponent("keep-it.yaml"), encoding: .utf8)
        // The next version drops the reject path: returns on the shipped version must still be able to take it.
        let shippedVersion = try #require(WorkflowLoader.load(yaml: original, file: "keep-it.yaml").0?.version)
        let v2 = original.replacingOccurrences(of: "version: \(shippedVersion)", with: "version: \(shippedVersion + 1)")
            .replacingOccurrences(
                of: "  rejected:\n    kind: terminal\n    description: This return could not be accepted.\n", with: "")
            .replacingOccurrences(
                of: "  - from: requested\n    event: reject\n    to: rejected\n    guard: has_reason\n    actions:\n      - notify: return_rejected\n",
                with: "")
        #expect(v2 != original)
        let file = folder.appendingPathComponent("keep-it.yaml")

        try await TestDatabase.withEngine { engine in
            let onV1 = try await engine.makeReturn(workflow: "keep-it")
            try v2.write(to: file, atomically: true, encoding: .utf8)
            let catalogV2 = WorkflowCatalog.load(folder: folder)
            #expect(catalogV2.isValid, "\(catalogV2.problems)")
            let engineV2 = Engine(database: engine.database, catalog: catalogV2)
            try await engineV2.deployWorkflows()
            let onV2 = try await engineV2.makeReturn(workflow: "keep-it")
            #expect(try await engineV2.lookup.details(of: onV1).record.workflowVersion == shippedVersion)
            #expect(try await engineV2.lookup.details(of: onV2).record.workflowVersion == shippedVersion + 1)
            _ = try await engineV2.transitions.apply("reject", to: onV1, actor: "test", data: ["reason": .string("fraud")])
            #expect(try await engineV2.lookup.details(of: onV1).record.state == "rejected")
            await #expect(throws: EngineError.self) {
                try await engineV2.transitions.apply("reject", to: onV2, actor: "test", data: ["reason": .string("fraud")])
            }

            // Editing the new version without raising it is refused at deploy.
            try (v2 + "\n# an edit\n").write(to: file, atomically: true, encoding: .utf8)
            let edited = Engine(database: engine.database, catalog: WorkflowCatalog.load(folder: folder))
            await #expect(throws: StoreError.self) { try await edited.deployWorkflows() }
        }
    }

    @Test("the timer worker runs as a service: it fires due timers and stops on graceful shutdown")
    func timerWorkerService() async throws {
        try await TestDatabase.withEngine { engine in
            let id = try await engine.makeReturn()
            try await engine.drive(id, [("issue_label", [:])])
            try await engine.database.client.query(
                "UPDATE timers SET due_at = now() - interval '1 minute' WHERE return_id = \(id) AND status = 'pending'")
            let worker = TimerWorker(engine: engine, interval: .milliseconds(50))
            let group = ServiceGroup(
                configuration: .init(services: [.init(service: worker)], logger: TestDatabase.logger))
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                var state = ""
                for _ in 0..<200 where state != "label_expired" {
                    try await Task.sleep(for: .milliseconds(25))
                    state = try await engine.lookup.details(of: id).record.state
                }
                #expect(state == "label_expired")
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
            #expect(try await engine.lookup.details(of: id).history.last?.actor == "timer:label_expiry")
        }
    }
}
