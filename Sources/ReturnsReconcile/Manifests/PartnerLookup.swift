import Logging
import PostgresNIO

/// Finds a partner by name, refusing an unknown one with the names that exist.
enum PartnerLookup {
    static func id(of name: String, on connection: PostgresConnection, logger: Logger) async throws -> Int64 {
        for try await id in try await connection.query("SELECT id FROM partners WHERE name = \(name)", logger: logger)
            .decode(Int64.self)
        {
            return id
        }
        var names: [String] = []
        for try await known in try await connection.query(
            "SELECT name FROM partners ORDER BY name LIMIT 20", logger: logger
        )
        .decode(String.self) {
            names.append(known)
        }
        throw ReconcileError.usage(
            "no partner named '\(name)'; "
                + (names.isEmpty ? "there are no partners yet" : "partners: \(names.joined(separator: ", "))"))
    }
}
