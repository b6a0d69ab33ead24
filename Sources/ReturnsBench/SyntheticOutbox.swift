import Foundation
import Logging
import PostgresNIO
import ReturnsStore

/// Synthetic returns with pending notifications, for benchmarks and volume tests. Tooling, not the service: it
/// writes straight through the pool, as a seeding script would.
public struct SyntheticOutbox: Sendable {
    public let logger: Logger

    public init(logger: Logger) {
        self.logger = logger
    }

    /// Writes `returns` synthetic returns with `perReturn` pending notifications each (seq 1...perReturn), for
    /// benchmarks and volume tests. Returns are `standard` ones in `requested`, order refs `PREFIX-N`, locales
    /// cycling through en, es, de, fr, ja. Needs the `standard` workflow deployed.
    public func seed(returns: Int, perReturn: Int, prefix: String, in database: Database) async throws {
        try await database.client.withConnection { connection in
            try await seed(returns: returns, perReturn: perReturn, prefix: prefix, on: connection)
        }
    }

    func seed(returns: Int, perReturn: Int, prefix: String, on connection: PostgresConnection) async throws {
        try await connection.query(
            """
            INSERT INTO returns (id, status_token, workflow_name, workflow_version, state, version, order_ref,
                                 customer_email, locale, currency, paid_minor)
            SELECT gen_random_uuid(), md5(random()::text || g), 'standard',
                   (SELECT max(version) FROM workflow_definitions WHERE name = 'standard'), 'requested', 1,
                   \(prefix) || '-' || g, 'customer' || g || '@example.com',
                   (ARRAY['en', 'es', 'de', 'fr', 'ja'])[1 + g % 5], 'EUR', 10990
            FROM generate_series(1, \(returns)) g
            """, logger: logger)
        try await connection.query(
            """
            INSERT INTO outbox (message_id, return_id, seq, template, locale, payload)
            SELECT gen_random_uuid(), r.id, s, (ARRAY['label_issued', 'received', 'under_review', 'refunded'])[1 + s % 4],
                   r.locale,
                   jsonb_build_object('order_ref', r.order_ref, 'event', 'synthetic', 'state', r.state,
                                      'status_token', r.status_token, 'data', '{}'::jsonb, 'refund_minor', 10990,
                                      'currency', 'EUR')
            FROM returns r CROSS JOIN generate_series(1, \(perReturn)) s
            WHERE r.order_ref LIKE \(prefix + "-%")
            ORDER BY r.id, s
            """, logger: logger)
        // Wake the dispatchers, as a transition's commit does.
        try await connection.query("SELECT pg_notify(\(OutboxRepository.wakeChannel), '')", logger: logger)
    }
}
