import Logging
import PostgresNIO

/// A partner found by name for a command that names one, or, when no partner has the name, the names there are.
public enum PartnerLookup: Sendable, Hashable {
    case found(id: Int64)
    /// No partner is called `name`; `known` holds the first 20 partners' names, in order.
    case unknown(name: String, known: [String])

    /// Looks `name` up on a pooled connection of its own.
    public static func find(named name: String, in database: Database) async throws -> PartnerLookup {
        let logger = database.logger
        return try await database.withConnection { connection in
            try await find(named: name, on: connection, logger: logger)
        }
    }

    static func find(named name: String, on connection: DatabaseConnection, logger: Logger) async throws
        -> PartnerLookup
    {
        if let id = try await PartnerRepository(logger: logger).findPartner(named: name, on: connection) {
            return .found(id: id)
        }
        var names: [String] = []
        for try await known in try await connection.query(
            "SELECT name FROM partners ORDER BY name LIMIT 20", logger: logger
        )
        .decode(String.self) {
            names.append(known)
        }
        return .unknown(name: name, known: names)
    }
}
