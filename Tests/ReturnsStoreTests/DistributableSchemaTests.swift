import Foundation
import PostgresNIO
import ReturnsStore
@testable import ReturnsTestSupport
import Testing

/// docs/scaling.md's plan past one primary: Citus, with every per-return table distributed by `return_id` (`id` for
/// `returns`) and co-located, so a transition is a single-shard transaction. Citus refuses a primary key, unique
/// constraint or unique index that does not include the distribution column, and a foreign key between distributed
/// tables that does not join on it; a foreign key to a reference table (copied to every worker) is allowed. These
/// tests read the migrated schema's catalog, so a migration that breaks the plan fails here, not at the move.
@Suite("The schema stays distributable by return_id")
struct DistributableSchemaTests {
    /// How each table that has a `return_id` column (and `returns` itself) is distributed, from docs/scaling.md.
    static let distribution: [String: String] = [
        "returns": "id", "return_items": "return_id", "return_events": "return_id", "outbox": "return_id",
        "timers": "return_id", "inventory_outbox": "return_id", "refunds": "return_id", "ledger_payouts": "return_id",
        // Keyed by the caller's key: a create's key is recorded before the return exists (docs/scaling.md).
        "idempotency_keys": "key",
        "stock_holds": "return_id", "exchange_orders": "return_id", "charges": "return_id", "settlements": "return_id",
        "resolution_reviews": "return_id", "return_feedback": "return_id", "gift_cards": "return_id",
        // Store credit is the customer's, not a return's: its ledger lives with its account.
        "credit_entries": "customer",
    ]
    /// Reference tables: small, copied to every worker; distributed tables may point at them.
    static let referenceTables: Set<String> = ["partners", "workflow_definitions", "catalog_variants"]
    /// What the schema has today that the move must change, each with what the move does. Listed by name, so a new
    /// constraint of the same kind still fails, and a fixed one must leave the list (the test checks both).
    static let knownExceptions: [String: String] = [
        "returns_status_token_key":
            "status tokens become <return_id>.<secret> and the key (id, status_token), so a lookup routes to one shard",
        "returns_order_id_fkey":
            "orders live by order_id, not return_id: the move drops this foreign key; return_items_hold_order_line "
            + "still checks the order line exists when it holds its units",
        "return_items_order_line_fkey": "as returns_order_id_fkey: dropped at the move, the trigger keeps the check",
        // Store credit is distributed by customer with its accounts and lots; the move keys them by customer.
        "credit_entries_pkey": "becomes (customer, id), with credit_lots keyed (customer, entry_id)",
        "credit_entries_idempotency_key_key": "becomes (customer, idempotency_key): every key names its return or account",
        "credit_entries_return_id_fkey": "dropped at the move: a credit names its return, credit_within_paid checks it",
        "credit_entries_customer_currency_fkey": "credit_accounts is distributed by customer with it, so the key joins on customer",
    ]

    struct Key: Sendable, CustomStringConvertible {
        var table: String
        var name: String
        /// p, u, x (exclusion), f, or i (a unique index that backs no constraint).
        var kind: String
        var columns: [String]
        var referenced: String?
        var referencedColumns: [String]
        var description: String {
            "\(table).\(name) (\(kind): \(columns.joined(separator: ", "))\(referenced.map { " -> \($0)(\(referencedColumns.joined(separator: ", ")))" } ?? ""))"
        }
    }

    static func keys(_ database: Database) async throws -> (keys: [Key], tablesWithReturnID: Set<String>) {
        let rows = try await database.client.query(
            """
            SELECT t.relname::text, c.conname::text, c.contype::text,
                   ARRAY(SELECT a.attname::text FROM unnest(c.conkey) k JOIN pg_attribute a
                         ON a.attrelid = c.conrelid AND a.attnum = k),
                   r.relname::text,
                   ARRAY(SELECT a.attname::text FROM unnest(coalesce(c.confkey, '{}')) k JOIN pg_attribute a
                         ON a.attrelid = c.confrelid AND a.attnum = k)
            FROM pg_constraint c
            JOIN pg_class t ON t.oid = c.conrelid
            JOIN pg_namespace n ON n.oid = t.relnamespace
            LEFT JOIN pg_class r ON r.oid = c.confrelid
            WHERE n.nspname = current_schema() AND c.contype IN ('p', 'u', 'x', 'f') AND NOT t.relispartition
            UNION ALL
            SELECT t.relname::text, i.relname::text, 'i',
                   ARRAY(SELECT a.attname::text FROM unnest(x.indkey::int2[]) k JOIN pg_attribute a
                         ON a.attrelid = x.indrelid AND a.attnum = k),
                   NULL, '{}'::text[]
            FROM pg_index x
            JOIN pg_class t ON t.oid = x.indrelid
            JOIN pg_class i ON i.oid = x.indexrelid
            JOIN pg_namespace n ON n.oid = t.relnamespace
            WHERE n.nspname = current_schema() AND x.indisunique AND NOT t.relispartition
              AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.oid)
            """)
        var keys: [Key] = []
        for try await (table, name, kind, columns, referenced, referencedColumns) in rows.decode(
            (String, String, String, [String], String?, [String]).self)
        {
            keys.append(
                Key(
                    table: table, name: name, kind: kind, columns: columns, referenced: referenced,
                    referencedColumns: referencedColumns))
        }
        var tables: Set<String> = []
        let tableRows = try await database.client.query(
            """
            SELECT DISTINCT c.relname::text FROM pg_attribute a
            JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = current_schema() AND a.attname = 'return_id' AND NOT a.attisdropped
              AND c.relkind IN ('r', 'p') AND NOT c.relispartition
            """)
        for try await table in tableRows.decode(String.self) { tables.insert(table) }
        return (keys, tables)
    }

    /// Why `key` keeps its table from being distributed by plan, or nil when it does not.
    static func violation(_ key: Key) -> String? {
        guard let column = distribution[key.table] else { return nil }
        if key.kind == "f" {
            guard let referenced = key.referenced else { return "a foreign key to an unknown table" }
            if referencedTables(key).isReference { return nil }
            guard let target = distribution[referenced] else {
                return "points at \(referenced), which is neither distributed nor a reference table"
            }
            // Co-located: the distribution column on this side must match the other table's, at the same position.
            guard let index = key.columns.firstIndex(of: column), index < key.referencedColumns.count,
                key.referencedColumns[index] == target
            else { return "does not join on \(column) = \(referenced).\(target)" }
            return nil
        }
        return key.columns.contains(column) ? nil : "does not include the distribution column \(column)"
    }

    static func referencedTables(_ key: Key) -> (name: String?, isReference: Bool) {
        (key.referenced, key.referenced.map { referenceTables.contains($0) } ?? false)
    }

    @Test("every primary key, unique constraint or index and foreign key of a per-return table includes return_id")
    func keysIncludeReturnID() async throws {
        try await TestDatabase.withEngine { engine in
            let (keys, tables) = try await Self.keys(engine.database)
            #expect(keys.count > 20, "the catalog query found the schema's keys")
            let unplanned = tables.subtracting(Self.distribution.keys).sorted()
            #expect(
                unplanned.isEmpty,
                "tables with a return_id column that docs/scaling.md does not place (add them to the plan and here): \(unplanned)")
            for key in keys {
                guard let reason = Self.violation(key) else { continue }
                if Self.knownExceptions[key.name] != nil { continue }
                Issue.record("\(key): \(reason); Citus could not distribute \(key.table) by \(Self.distribution[key.table]!)")
            }
            // The known exceptions are still there and still exceptions; one that is fixed leaves the list.
            for name in Self.knownExceptions.keys.sorted() {
                let key = keys.first { $0.name == name }
                #expect(key != nil, "\(name) is no longer in the schema: remove it from knownExceptions")
                if let key { #expect(Self.violation(key) != nil, "\(key) is distributable now: remove it from knownExceptions") }
            }
        }
    }

    @Test("the check itself: keys without return_id, foreign keys that do not join on it, are caught")
    func checkCatchesViolations() {
        func key(_ table: String, _ kind: String, _ columns: [String], _ referenced: String? = nil, _ to: [String] = [])
            -> Key
        {
            Key(table: table, name: "k", kind: kind, columns: columns, referenced: referenced, referencedColumns: to)
        }
        #expect(Self.violation(key("refunds", "u", ["idempotency_key"])) != nil)
        #expect(Self.violation(key("refunds", "u", ["return_id", "idempotency_key"])) == nil)
        #expect(Self.violation(key("timers", "i", ["name"])) != nil)
        #expect(Self.violation(key("returns", "p", ["id"])) == nil)
        #expect(Self.violation(key("ledger_payouts", "f", ["refund_id"], "refunds", ["id"])) != nil)
        #expect(Self.violation(key("ledger_payouts", "f", ["refund_id", "return_id"], "refunds", ["id", "return_id"])) == nil)
        #expect(Self.violation(key("outbox", "f", ["return_id"], "returns", ["id"])) == nil)
        #expect(Self.violation(key("returns", "f", ["partner_id"], "partners", ["id"])) == nil)
        #expect(Self.violation(key("returns", "f", ["order_id"], "orders", ["id"])) != nil)
        #expect(Self.violation(key("partners", "u", ["name"])) == nil)  // not distributed by return_id
    }
}
