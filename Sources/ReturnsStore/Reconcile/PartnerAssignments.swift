import Foundation
import PostgresNIO

/// Which returns are assigned to a partner, for checking a manifest before it is imported.
public enum PartnerAssignments {
    /// For each of `ids` that exists: whether it is assigned to partner `partnerID`.
    public static func of(_ ids: [UUID], partnerID: Int64, in database: Database) async throws -> [UUID: Bool] {
        let logger = database.logger
        return try await database.withConnection { connection in
            var found: [UUID: Bool] = [:]
            let rows = try await connection.query(
                "SELECT id, partner_id IS NOT DISTINCT FROM \(partnerID) FROM returns WHERE id = ANY(\(ids))",
                logger: logger)
            for try await (id, assigned) in rows.decode((UUID, Bool).self) { found[id] = assigned }
            return found
        }
    }
}
