import Foundation
import Logging
import PostgresNIO
import ReturnsCore

/// A logistics partner (3PL).
public struct PartnerRecord: Sendable, Hashable, Codable {
    public var id: Int64
    public var name: String
    public var region: String?
    /// Keys that still work.
    public var activeKeys: Int
    /// Returns ever assigned to the partner.
    public var assignedReturns: Int
    public var createdAt: Date
}

/// Who an API key belongs to.
public struct KeyHolder: Sendable, Hashable {
    public enum Role: String, Sendable, Hashable, Codable {
        case partner, finance, merchant
    }

    public var role: Role
    /// Set for partner keys.
    public var partnerID: Int64?
    /// The partner's name, or the finance or merchant key's name.
    public var name: String
}

/// The SQL of partners and API keys.
public struct PartnerRepository: Sendable {
    public let logger: Logger

    public init(logger: Logger) {
        self.logger = logger
    }

    /// Adds a partner; nil when the name is taken.
    public func insertPartner(name: String, region: String?, on connection: DatabaseConnection) async throws -> Int64? {
        let rows = try await connection.query(
            """
            INSERT INTO partners (name, region) VALUES (\(name), \(region))
            ON CONFLICT (name) DO NOTHING RETURNING id
            """, logger: logger)
        for try await id in rows.decode(Int64.self) { return id }
        return nil
    }

    public func findPartner(named name: String, on connection: DatabaseConnection) async throws -> Int64? {
        let rows = try await connection.query("SELECT id FROM partners WHERE name = \(name)", logger: logger)
        for try await id in rows.decode(Int64.self) { return id }
        return nil
    }

    public func listPartners(on connection: DatabaseConnection) async throws -> [PartnerRecord] {
        let rows = try await connection.query(
            """
            SELECT p.id, p.name, p.region,
                   (SELECT count(*) FROM api_keys k WHERE k.partner_id = p.id AND k.revoked_at IS NULL)::int,
                   (SELECT count(*) FROM returns r WHERE r.partner_id = p.id)::int,
                   p.created_at
            FROM partners p ORDER BY p.name
            """, logger: logger)
        var partners: [PartnerRecord] = []
        for try await (id, name, region, keys, assigned, created) in rows.decode(
            (Int64, String, String?, Int, Int, Date).self)
        {
            partners.append(
                PartnerRecord(
                    id: id, name: name, region: region, activeKeys: keys, assignedReturns: assigned, createdAt: created))
        }
        return partners
    }

    /// Stores a key's hash. Partner keys name their partner; finance keys have none.
    public func insertKey(
        hash: String, role: KeyHolder.Role, partnerID: Int64?, name: String, on connection: DatabaseConnection
    ) async throws {
        try await connection.query(
            """
            INSERT INTO api_keys (key_hash, role, partner_id, name)
            VALUES (\(hash), \(role.rawValue), \(partnerID), \(name))
            """, logger: logger)
    }

    /// Revokes every working key of a partner (or, with `partnerID` nil, every finance key named `name`).
    /// Returns how many were revoked.
    @discardableResult
    /// Revokes the partner's keys, or (without `partnerID`) the keys of `role` named `name`.
    public func revokeKeys(
        partnerID: Int64?, name: String, role: KeyHolder.Role = .finance, on connection: DatabaseConnection
    ) async throws -> Int {
        let rows: PostgresRowSequence
        if let partnerID {
            rows = try await connection.query(
                """
                UPDATE api_keys SET revoked_at = now() WHERE partner_id = \(partnerID) AND revoked_at IS NULL
                RETURNING 1
                """, logger: logger)
        } else {
            rows = try await connection.query(
                """
                UPDATE api_keys SET revoked_at = now()
                WHERE role = \(role.rawValue) AND name = \(name) AND revoked_at IS NULL RETURNING 1
                """, logger: logger)
        }
        var count = 0
        for try await _ in rows { count += 1 }
        return count
    }

    /// The holder of a working key, by the key's hash.
    public func keyHolder(hash: String, on connection: DatabaseConnection) async throws -> KeyHolder? {
        let rows = try await connection.query(
            """
            SELECT k.role, k.partner_id, coalesce(p.name, k.name)
            FROM api_keys k LEFT JOIN partners p ON p.id = k.partner_id
            WHERE k.key_hash = \(hash) AND k.revoked_at IS NULL
            """, logger: logger)
        for try await (role, partnerID, name) in rows.decode((String, Int64?, String).self) {
            guard let role = KeyHolder.Role(rawValue: role) else { return nil }
            return KeyHolder(role: role, partnerID: partnerID, name: name)
        }
        return nil
    }

    /// Every partner with its inspection record over the last `days` days and its load of the last 7 days.
    public func standings(days: Int, on connection: DatabaseConnection) async throws -> [PartnerStanding] {
        let rows = try await connection.query(
            """
            SELECT p.id, p.name, p.region,
                   count(DISTINCT e.return_id) FILTER (WHERE e.event = 'inspect')::int,
                   count(DISTINCT e.return_id) FILTER (WHERE e.event = 'inspection_overdue')::int,
                   (SELECT count(*) FROM returns o
                    WHERE o.partner_id = p.id AND o.created_at > now() - interval '7 days')::int
            FROM partners p
            LEFT JOIN returns r ON r.partner_id = p.id AND r.created_at > now() - make_interval(days => \(days)::int)
            LEFT JOIN return_events e ON e.return_id = r.id AND e.event IN ('inspect', 'inspection_overdue')
            GROUP BY p.id, p.name, p.region
            """, logger: logger)
        var standings: [PartnerStanding] = []
        for try await (id, name, region, inspected, overdue, recent) in rows.decode(
            (Int64, String, String?, Int, Int, Int).self)
        {
            standings.append(
                PartnerStanding(
                    id: id, name: name, region: region, inspected: inspected, overdue: overdue, recentlyAssigned: recent))
        }
        return standings
    }

    /// A page of the partner's returns in the order they last changed, after the position `after`
    /// (updated_at in microseconds since 1970, and the id).
    public func queue(
        partnerID: Int64, state: String?, updatedSince: Date?, after: (micros: Int64, id: UUID)?, limit: Int,
        on connection: DatabaseConnection
    ) async throws -> [ReturnRecord] {
        try await ReturnRepository(logger: logger).decodeReturns(
            try await connection.query(
                """
                SELECT \(unescaped: ReturnRepository.returnColumns)
                FROM returns
                WHERE partner_id = \(partnerID)
                  AND (\(state)::text IS NULL OR state = \(state))
                  AND (\(updatedSince)::timestamptz IS NULL OR updated_at >= \(updatedSince))
                  AND (\(after?.micros)::int8 IS NULL
                       OR (updated_at, id) > (to_timestamp(0) + \(after?.micros) * interval '1 microsecond', \(after?.id)))
                ORDER BY updated_at, id
                LIMIT \(limit)
                """, logger: logger))
    }

    public func assign(_ returnID: UUID, to partnerID: Int64, on connection: DatabaseConnection) async throws {
        try await connection.query(
            "UPDATE returns SET partner_id = \(partnerID) WHERE id = \(returnID)", logger: logger)
    }
}
