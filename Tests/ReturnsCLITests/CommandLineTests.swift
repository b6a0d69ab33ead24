import Foundation
import PostgresNIO
import ReturnsEngine
import ReturnsStore
@testable import ReturnsTestSupport
import Testing

@Suite("The returns command line, as a user runs it")
struct CommandLineTests {
    @Test("--output writes through a symlink in place instead of replacing it (so /dev/null stays a device)")
    func outputInPlace() async throws {
        let database = try await TestDatabase.makeDatabase()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("out-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let target = folder.appendingPathComponent("target.csv").path
        let link = folder.appendingPathComponent("link.csv").path
        try "old contents that must go\n".write(toFile: target, atomically: false, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        let result = try await CLI.run(["refunds", "export-settlement", "--output", link], database: database)
        #expect(result.code == 0, "\(result.text)")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link) == target)
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "refund_id,processor_reference,amount,currency,status,settled_at\n")
        let refused = try await CLI.run(["refunds", "export-settlement", "--output", folder.path + "/missing/x.csv"], database: database)
        #expect(refused.code == 64)
        #expect(refused.errors.contains("No such file or directory"))
    }

    @Test("create, event, show and list print what was stored; --json gives machine-readable output")
    func roundTrip() async throws {
        let database = try await TestDatabase.makeDatabase()
        let created = try await CLI.run(
            ["return", "create", "--order", "A-1", "--customer", "ana@example.com", "--locale", "fr",
             "--item", "SHOE-42:1:89.90:EUR", "--item", "SOCK:2:9.95:EUR", "--json"], database: database)
        #expect(created.code == 0, "\(created.text)")
        let answer = try CLI.json(created.output)
        let id = try #require(answer["id"] as? String)
        #expect(answer["state"] as? String == "requested")
        #expect((answer["token"] as? String)?.count == 43)

        let labelled = try await CLI.run(["return", "event", id, "issue_label"], database: database)
        #expect(labelled.code == 0)
        #expect(labelled.output.contains("requested --issue_label--> label_issued"))
        let shipped = try await CLI.run(
            ["return", "event", id, "ship", "--data", #"{"tracking_number": "1Z9"}"#, "--idempotency-key", "s1", "--json"],
            database: database)
        #expect(try CLI.json(shipped.output)["to"] as? String == "in_transit")
        let again = try await CLI.run(
            ["return", "event", id, "ship", "--data", #"{"tracking_number": "1Z9"}"#, "--idempotency-key", "s1", "--json"],
            database: database)
        #expect(try CLI.json(again.output)["replayed"] as? Bool == true)

        let shown = try await CLI.run(["return", "show", id, "--json"], database: database)
        let details = try CLI.json(shown.output)
        #expect(details["state"] as? String == "in_transit")
        #expect(details["workflow"] as? String == "standard")
        #expect(details["workflowVersion"] as? Int == 4)
        // Everything `return create --json` gave is in `return show --json`, with the same values.
        for (key, value) in answer where key != "state" {
            #expect(details[key] as? String == value as? String, "show --json \(key)")
        }
        #expect(details["paid"] as? String == "109.80")
        let history = try #require(details["history"] as? [[String: Any]])
        #expect(history.map { $0["seq"] as? Int } == [1, 2, 3])
        #expect(history.map { $0["event"] as? String } == ["created", "issue_label", "ship"])
        #expect(history.last?["from"] as? String == "label_issued")
        #expect(history.last?["to"] as? String == "in_transit")
        #expect(history.last?["actor"] as? String == "cli")
        #expect(history.last?["at"] is String)

        let text = try await CLI.run(["return", "show", id], database: database)
        #expect(text.output.contains("state    in_transit"))
        #expect(text.output.contains("1 x SHOE-42 at 89.90 EUR"))

        let listed = try await CLI.run(["return", "list", "--state", "in_transit"], database: database)
        #expect(listed.code == 0)
        #expect(listed.output.contains(id))

        let fired = try await CLI.run(["timers", "fire", "--as-of", "+22d"], database: database)
        #expect(fired.code == 0)
        #expect(fired.output.hasPrefix("1 fired, 0 discarded"))
        let lost = try await CLI.run(["return", "show", id, "--json"], database: database)
        #expect(try CLI.json(lost.output)["state"] as? String == "lost_in_transit")
    }

    @Test("bad input exits 64, says what was wrong, and writes nothing")
    func badInput() async throws {
        let database = try await TestDatabase.makeDatabase()
        let cases: [([String], String)] = [
            (["--item", "SHOE-42:one:89.90:EUR"], "quantity 'one'"),
            (["--item", "SHOE-42:1:89.999:EUR"], "more than 2 fraction digits"),
            (["--item", "SHOE-42:1:89.90:EURO"], "'EURO' is not an ISO 4217"),
            (["--item", "SHOE-42:1:89.90"], "SKU:QTY:UNIT_PRICE:CURRENCY"),
            (["--item", "SHOE-42:1:89.90:EUR", "--customer", "not-an-email"], "not an email address"),
            (["--item", "SHOE-42:1:89.90:EUR", "--workflow", "express"], "no workflow named 'express'"),
        ]
        for (extra, message) in cases {
            var arguments = ["return", "create", "--order", "A-2", "--customer", "bo@example.com"]
            arguments += extra
            let result = try await CLI.run(arguments, database: database)
            #expect(result.code == 64, "\(extra): \(result.text)")
            #expect(result.errors.contains(message), "\(extra): \(result.text)")
        }
        let bad = try await CLI.run(["return", "event", "not-a-uuid", "ship"], database: database)
        #expect(bad.code == 64)
        #expect(bad.errors.contains("is not a return id"))
        try await Database.with(database, logger: TestDatabase.logger) { db in
            let rows = try await db.client.query("SELECT count(*)::bigint FROM returns")
            for try await count in rows.decode(Int.self) { #expect(count == 0) }
        }
    }

    @Test("an event not allowed exits 1 naming the state and allowed events; an unknown return exits 2")
    func refusedEvent() async throws {
        let database = try await TestDatabase.makeDatabase()
        let created = try await CLI.run(
            ["return", "create", "--workflow", "standard", "--order", "A-3", "--customer", "cy@example.com", "--item", "X:1:1.00:USD", "--json"],
            database: database)
        let id = try #require(try CLI.json(created.output)["id"] as? String)
        let refused = try await CLI.run(["return", "event", id, "refund_succeeded"], database: database)
        #expect(refused.code == 1)
        #expect(
            refused.errors.contains(
                "event 'refund_succeeded' is not allowed in state 'requested'; allowed there: issue_label, cancel, reject"))
        let missing = try await CLI.run(
            ["return", "event", "00000000-0000-0000-0000-00000000abcd", "cancel"], database: database)
        #expect(missing.code == 2)
        #expect(missing.errors.contains("no return with id 00000000-0000-0000-0000-00000000abcd"))
        let shown = try await CLI.run(["return", "show", id, "--json"], database: database)
        #expect((try CLI.json(shown.output)["history"] as? [Any])?.count == 1)
    }

    @Test("workflow check prints file:line for every problem and exits 1; the shipped workflows pass")
    func workflowCheck() async throws {
        let shipped = try await CLI.run(["workflow", "check"], database: nil)
        #expect(shipped.code == 0, "\(shipped.text)")
        #expect(shipped.output.contains("standard@4"))

        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("wf-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let broken = folder.appendingPathComponent("broken.yaml")
        try """
            workflow: broken
            version: 1
            states:
              start: {kind: initial}
              waiting_forever: {kind: waiting}
              done: {kind: terminal}
              island: {kind: normal}
            events:
              go: Go.
            transitions:
              - from: start
                event: go
                to: waiting_forever
              - from: waiting_forever
                event: go
                to: done
              - from: start
                event: go
                to: done
              - from: start
                event: fly
                to: nowhere
            """.write(to: broken, atomically: true, encoding: .utf8)
        let result = try await CLI.run(["workflow", "check", broken.path], database: nil)
        #expect(result.code == 1)
        for expected in [
            "broken.yaml:7: state 'island' is unreachable from 'start'",
            "broken.yaml:7: state 'island' has no way to a terminal state",
            "broken.yaml:11: waiting state 'waiting_forever' has no timeout",
            "broken.yaml:17: duplicate transition from 'start' on 'go' (first at line 11)",
            "broken.yaml:20: transition to undefined state 'nowhere'",
            "broken.yaml:20: transition on undefined event 'fly'",
        ] {
            #expect(result.output.contains(expected), "missing \(expected) in:\n\(result.output)")
        }

        let notYAML = folder.appendingPathComponent("bad.yaml")
        try "workflow: [unclosed\nversion: 1\n".write(to: notYAML, atomically: true, encoding: .utf8)
        let yamlResult = try await CLI.run(["workflow", "check", notYAML.path], database: nil)
        #expect(yamlResult.code == 1)
        #expect(yamlResult.output.contains("bad.yaml:"))
        #expect(yamlResult.output.contains("not valid YAML"))
    }

    @Test("workflow graph prints Mermaid and DOT")
    func graph() async throws {
        let mermaid = try await CLI.run(["workflow", "graph", "keep-it"], database: nil)
        #expect(mermaid.code == 0)
        #expect(mermaid.output.hasPrefix("stateDiagram-v2\n    [*] --> requested"))
        #expect(mermaid.output.contains("refund_pending --> refunded: refund_succeeded"))
        let dot = try await CLI.run(["workflow", "graph", "keep-it", "--format", "dot"], database: nil)
        #expect(dot.output.contains("\"requested\" -> \"refund_pending\" [label=\"approve_refund\"];"))
        let unknown = try await CLI.run(["workflow", "graph", "nope"], database: nil)
        #expect(unknown.code == 2)
    }

    @Test("a command killed while its transaction waits leaves nothing behind, and can be sent again")
    func killedHalfway() async throws {
        let database = try await TestDatabase.makeDatabase()
        let created = try await CLI.run(
            ["return", "create", "--workflow", "standard", "--order", "A-4", "--customer", "di@example.com", "--item", "X:1:5.00:USD", "--json"],
            database: database)
        let id = try #require(try CLI.json(created.output)["id"] as? String)
        let returnID = try #require(UUID(uuidString: id))
        // Hold the return's row lock on a connection of our own, so the command stops inside its transaction.
        let logger = TestDatabase.logger
        let holder = try await PostgresConnection.connect(
            configuration: database.connectionConfiguration, id: 1, logger: logger)
        let observer = try await PostgresConnection.connect(
            configuration: database.connectionConfiguration, id: 2, logger: logger)
        try await holder.query("BEGIN", logger: logger)
        try await holder.query("SELECT id FROM returns WHERE id = \(returnID) FOR UPDATE", logger: logger)
        let running = try CLI.spawn(
            ["return", "event", id, "issue_label", "--idempotency-key", "once"], database: database,
            // No lock timeout: the command must still be waiting when it is killed, however slowly this machine runs.
            environment: ["RETURNS_LOCK_TIMEOUT": "0"])
        var waiting = false
        // Generous: a debug binary starts slowly on a busy machine.
        for _ in 0..<1200 where !waiting {
            try await Task.sleep(for: .milliseconds(50))
            // Activity is read in a transaction of its own: inside the holder's, the first read would be kept.
            let rows = try await observer.query(
                """
                SELECT count(*)::bigint FROM pg_stat_activity
                WHERE wait_event_type = 'Lock' AND datname = current_database() AND pid <> pg_backend_pid()
                """, logger: logger)
            for try await count in rows.decode(Int.self) { waiting = count > 0 }
        }
        #expect(waiting, "the command never reached the lock: \(running.read(running.errorPath))")
        kill(running.pid, SIGKILL)
        #expect(try await running.wait().code == 128 + SIGKILL)
        try await holder.query("COMMIT", logger: logger)
        try await holder.close()
        try await observer.close()
        let shown = try await CLI.run(["return", "show", id, "--json"], database: database)
        let details = try CLI.json(shown.output)
        #expect(details["state"] as? String == "requested")
        #expect((details["history"] as? [Any])?.count == 1)
        let retried = try await CLI.run(["return", "event", id, "issue_label", "--idempotency-key", "once"], database: database)
        #expect(retried.code == 0, "\(retried.text)")
        #expect(retried.output.contains("label_issued"))
        #expect(!retried.output.contains("repeated key"))
    }
}
