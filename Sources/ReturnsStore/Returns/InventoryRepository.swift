import Foundation
import Logging
import PostgresNIO

/// A stock movement waiting for the retailer's inventory system.
public struct InventoryEvent: Sendable, Hashable, Codable {
    public var id: Int64
    public var returnID: UUID
    public var line: Int
    public var sku: String
    public var quantity: Int
    public var grade: String
    public var disposition: String
    public var createdAt: Date
}

extension ItemRepository {
    /// Locks up to `limit` pending inventory events, oldest first, skipping those another exporter holds.
    public func claimInventory(limit: Int, on connection: DatabaseConnection) async throws -> [InventoryEvent] {
        var events: [InventoryEvent] = []
        for try await (id, returnID, line, sku, quantity, grade, disposition, created) in try await connection.query(
            """
            SELECT id, return_id, line, sku, quantity, grade, disposition, created_at FROM inventory_outbox
            WHERE status = 'pending' ORDER BY id LIMIT \(limit) FOR UPDATE SKIP LOCKED
            """, logger: logger
        ).decode((Int64, UUID, Int, String, Int, String, String, Date).self) {
            events.append(
                InventoryEvent(
                    id: id, returnID: returnID, line: line, sku: sku, quantity: quantity, grade: grade,
                    disposition: disposition, createdAt: created))
        }
        return events
    }

    public func markInventoryDelivered(_ ids: [Int64], on connection: DatabaseConnection) async throws {
        try await connection.query(
            "UPDATE inventory_outbox SET status = 'delivered', delivered_at = now() WHERE id = ANY(\(ids))",
            logger: logger)
    }
}
