import Foundation
import Logging
import PostgresNIO

/// A return line with what happened to it: received, graded, refunded.
public struct ItemState: Sendable, Hashable, Codable {
    public var line: Int
    public var sku: String
    public var quantity: Int
    public var unitPriceMinor: Int64
    public var category: String
    public var reason: String
    public var received: Int
    public var refunded: Int
    public var grade: String?
    public var disposition: String?
    /// Units inspections have graded (at most `received`); a graded unit is not graded again.
    public var graded: Int = 0
    /// Graded units judged to no refund (wrong_item, empty_box).
    public var writtenOff: Int = 0
    /// How the line is settled; for an exchange, the variant asked for, and what it fell back to when the
    /// replacement could not ship.
    public var resolution: String = "refund"
    public var exchangeSKU: String?
    public var fallback: String?

    /// The resolution in force: an exchange that fell back is settled as its fallback.
    public var settledAs: String { fallback ?? resolution }
}

/// The SQL of return lines: what arrived, how it was graded, what was refunded, what goes back to stock.
public struct ItemRepository: Sendable {
    public let logger: Logger

    public init(logger: Logger) {
        self.logger = logger
    }

    public func itemStates(of id: UUID, on connection: DatabaseConnection) async throws -> [ItemState] {
        var items: [ItemState] = []
        // No held write touches return_items.
        let rows = try await connection.executeBesideHeldWrites(TransitionStatements.ItemStates(id: id), logger: logger)
        for try await item in rows {
            items.append(item)
        }
        return items
    }

    public func setReceived(_ id: UUID, line: Int, quantity: Int, on connection: DatabaseConnection) async throws {
        try await connection.run(
            "UPDATE return_items SET quantity_received = \(quantity) WHERE return_id = \(id) AND line = \(line)",
            logger: logger)
    }

    /// Grades the units of `line` received and not graded yet; `writtenOff` says the grade refunds nothing, so
    /// those units count as written off. The check on `quantity_graded` keeps a unit from being graded twice.
    public func setInspection(
        _ id: UUID, line: Int, grade: String, disposition: String, writtenOff: Bool, on connection: DatabaseConnection
    ) async throws {
        try await connection.run(
            """
            UPDATE return_items
            SET grade = \(grade), disposition = \(disposition),
                quantity_written_off = quantity_written_off
                    + CASE WHEN \(writtenOff) THEN quantity_received - quantity_graded ELSE 0 END,
                quantity_graded = quantity_received
            WHERE return_id = \(id) AND line = \(line)
            """, logger: logger)
    }

    /// Queues a stock movement for what of `line` was received and not yet sent back to stock.
    public func enqueueRestock(
        _ id: UUID, seq: Int, line: Int, grade: String, disposition: String, on connection: DatabaseConnection
    ) async throws {
        try await connection.run(
            """
            INSERT INTO inventory_outbox (return_id, seq, line, sku, quantity, grade, disposition)
            SELECT i.return_id, \(seq), i.line, i.sku,
                   i.quantity_received - coalesce(
                       (SELECT sum(o.quantity) FROM inventory_outbox o WHERE o.return_id = i.return_id AND o.line = i.line),
                       0),
                   \(grade), \(disposition)
            FROM return_items i
            WHERE i.return_id = \(id) AND i.line = \(line)
              AND i.quantity_received > coalesce(
                  (SELECT sum(o.quantity) FROM inventory_outbox o WHERE o.return_id = i.return_id AND o.line = i.line), 0)
            """, logger: logger)
    }

    public func addRefunded(_ id: UUID, line: Int, quantity: Int, on connection: DatabaseConnection) async throws {
        try await connection.run(
            """
            UPDATE return_items SET quantity_refunded = quantity_refunded + \(quantity)
            WHERE return_id = \(id) AND line = \(line)
            """, logger: logger)
    }

    /// Whether an earlier refund of this return already deducted the label cost.
    public func labelCharged(_ id: UUID, on connection: DatabaseConnection) async throws -> Bool {
        let rows = try await connection.prepared(
            """
            SELECT (SELECT count(*) FROM refunds
                    WHERE return_id = \(id) AND status <> 'failed' AND breakdown->'deductions' @> '[{"kind": "label_cost"}]')
                 + (SELECT count(*) FROM settlements WHERE return_id = \(id) AND label_minor > 0)
            """, logger: logger)
        for try await count in rows.decode(Int.self) { return count > 0 }
        return false
    }
}
