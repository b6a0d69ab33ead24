import Foundation
import ReturnsCore
import ReturnsStore

/// Stock movements of returned items graded back to stock, queued by inspections, exported for the shop's stock
/// system.
public struct Inventory: Sendable {
    let engine: Engine

    /// Writes every pending stock movement as CSV (`return_id,line,sku,quantity,grade,disposition,created_at`) and
    /// marks it delivered once written. At least once: if marking fails, the rows are exported again next time.
    public func export(to handle: FileHandle, batchSize: Int = 1_000) async throws -> Int {
        handle.write(Data("return_id,line,sku,quantity,grade,disposition,created_at\n".utf8))
        var total = 0
        while true {
            let exported = try await engine.transaction { [engine] connection in
                let events = try await engine.store.items.claimInventory(limit: batchSize, on: connection)
                let formatter = ISO8601DateFormatter()
                var text = ""
                for event in events {
                    text += "\(event.returnID.uuidString.lowercased()),\(event.line),\(CSVField.text(event.sku)),"
                        + "\(event.quantity),\(event.grade),\(event.disposition),\(formatter.string(from: event.createdAt))\n"
                }
                handle.write(Data(text.utf8))
                try await engine.store.items.markInventoryDelivered(events.map(\.id), on: connection)
                return events.count
            }
            total += exported
            if exported < batchSize { return total }
        }
    }
}
