import Foundation
import PostgresNIO
import ReturnsCore
import ReturnsEngine
import ReturnsStore

/// Data for reconciliation tests, written straight to the test's own database.
enum ReconcileFixtures {
    /// A refund in the ledger: its return is created with it (same currency, paid enough).
    struct Refund {
        var id = UUID()
        var minor: Int64
        var currency = "EUR"
        var status = "succeeded"
    }

    /// Inserts returns and their refunds by SQL; the engine's paths are tested elsewhere, this is the ledger's state.
    static func insert(_ refunds: [Refund], into database: Database) async throws {
        for refund in refunds {
            let returnID = UUID()
            try await database.client.query(
                """
                INSERT INTO returns (id, status_token, workflow_name, workflow_version, state, version, order_ref,
                                     customer_email, currency, paid_minor)
                SELECT \(returnID), \(returnID.uuidString), name, max(version), 'refunded', 1, 'O-1', 'a@example.com',
                       \(refund.currency), \(refund.minor)
                FROM workflow_definitions WHERE name = 'standard' GROUP BY name
                """)
            try await database.client.query(
                """
                INSERT INTO refunds (id, return_id, idempotency_key, amount_minor, currency, status, decided_seq)
                VALUES (\(refund.id), \(returnID), \("k-" + refund.id.uuidString), \(refund.minor), \(refund.currency),
                        \(refund.status), 5)
                """)
        }
    }

    static func partner(_ name: String, in database: Database) async throws -> Int64 {
        for try await id in try await database.client.query(
            "INSERT INTO partners (name, region) VALUES (\(name), 'EU') RETURNING id"
        ).decode(Int64.self) {
            return id
        }
        return -1
    }

    static func assign(_ id: UUID, to partner: Int64, in database: Database) async throws {
        try await database.client.query("UPDATE returns SET partner_id = \(partner) WHERE id = \(id)")
    }

    /// Row counts of every engine table, to show a command wrote nothing.
    static func tableCounts(_ database: Database) async throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for table in [
            "returns", "return_items", "return_events", "refunds", "outbox", "timers", "idempotency_keys",
            "partners", "ledger_payouts", "inventory_outbox",
        ] {
            for try await count in try await database.client.query(
                PostgresQuery(unsafeSQL: "SELECT count(*)::bigint FROM \(table)")
            ).decode(Int.self) {
                counts[table] = count
            }
        }
        return counts
    }

    static func file(_ text: String, name: String = "file.csv") throws -> String {
        let folder = NSTemporaryDirectory() + "reconcile-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = folder + "/" + name
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    static func home() throws -> String {
        let folder = NSTemporaryDirectory() + "reconcile-home-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return folder
    }
}
