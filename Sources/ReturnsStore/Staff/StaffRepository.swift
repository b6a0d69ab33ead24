import Foundation
import Logging
import PostgresNIO

/// A staff member as the console knows them.
public struct StaffRecord: Sendable, Hashable {
    public var id: Int64
    public var email: String
    public var role: String
    public var partnerID: Int64?
    public var partnerName: String?
    public var passwordHash: String
    public var failedAttempts: Int
    public var lockedUntil: Date?
    public var disabled: Bool
}

/// A row of the console's search.
public struct ReturnSearchRow: Sendable, Hashable {
    public var id: UUID
    public var orderRef: String
    public var customerEmail: String
    public var workflow: String
    public var state: String
    public var partner: String?
    public var createdAt: Date
    public var updatedAt: Date
}

/// What the console searches by: text (order reference, email, return id, SKU or tracking number) and filters,
/// newest first.
public struct ReturnSearch: Sendable {
    public var text: String?
    /// Returns in any of these states; empty: in any state.
    public var states: [String] = []
    public var workflow: String?
    public var partnerID: Int64?
    /// Only returns with a line settled this way (refund, store_credit, exchange).
    public var resolution: String?
    /// Returns unchanged for this many days (stuck ones): a range of returns_updated_idx.
    public var idleDays: Int?
    /// Only returns waiting on a timer.
    public var waitingOnTimer = false
    /// Only returns past their inspection SLA now (the SLA timer escalated them: returns_state_updated_idx).
    public var slaBreached = false
    /// The keyset cursor: the last row's (updated_at, id).
    public var after: (Date, UUID)?

    public init() {}
}

/// The SQL of staff accounts, their sessions, the audit log and the console's reads.
public struct StaffRepository: Sendable {
    public let logger: Logger

    public init(logger: Logger) { self.logger = logger }

    static let columns = """
        s.id, s.email, s.role, s.partner_id, p.name, s.password_hash, s.failed_attempts, s.locked_until,
        s.disabled_at IS NOT NULL
        """

    func decode(_ rows: PostgresRowSequence) async throws -> [StaffRecord] {
        var found: [StaffRecord] = []
        for try await (id, email, role, partnerID, partner, hash, failed, locked, disabled) in rows.decode(
            (Int64, String, String, Int64?, String?, String, Int, Date?, Bool).self)
        {
            found.append(
                StaffRecord(
                    id: id, email: email, role: role, partnerID: partnerID, partnerName: partner, passwordHash: hash,
                    failedAttempts: failed, lockedUntil: locked, disabled: disabled))
        }
        return found
    }

    /// Adds a staff member, or replaces the role, partner and password of one with that email (enabling it again).
    /// Its id.
    public func upsert(
        email: String, role: String, partnerID: Int64?, passwordHash: String, on connection: DatabaseConnection
    ) async throws -> Int64 {
        for try await id in try await connection.query(
            """
            INSERT INTO staff (email, role, partner_id, password_hash) VALUES (\(email), \(role), \(partnerID), \(passwordHash))
            ON CONFLICT (email) DO UPDATE SET role = excluded.role, partner_id = excluded.partner_id,
                password_hash = excluded.password_hash, failed_attempts = 0, locked_until = NULL, disabled_at = NULL
            RETURNING id
            """, logger: logger
        ).decode(Int64.self) {
            return id
        }
        preconditionFailure("INSERT ... ON CONFLICT DO UPDATE ... RETURNING answers its row, inserted or updated")
    }

    public func find(email: String, on connection: DatabaseConnection) async throws -> StaffRecord? {
        try await decode(
            try await connection.query(
                """
                SELECT \(unescaped: Self.columns) FROM staff s LEFT JOIN partners p ON p.id = s.partner_id
                WHERE s.email = \(email) FOR UPDATE OF s
                """, logger: logger)
        ).first
    }

    public func list(on connection: DatabaseConnection) async throws -> [StaffRecord] {
        try await decode(
            try await connection.query(
                "SELECT \(unescaped: Self.columns) FROM staff s LEFT JOIN partners p ON p.id = s.partner_id ORDER BY s.email",
                logger: logger))
    }

    /// Counts a failed sign-in; at `limit` in a row the account is locked for `lockSeconds`.
    public func recordFailure(_ id: Int64, limit: Int, lockSeconds: Int, on connection: DatabaseConnection) async throws {
        try await connection.query(
            """
            UPDATE staff SET failed_attempts = failed_attempts + 1,
                locked_until = CASE WHEN failed_attempts + 1 >= \(limit) THEN now() + make_interval(secs => \(lockSeconds))
                                    ELSE locked_until END
            WHERE id = \(id)
            """, logger: logger)
    }

    /// A session for the staff member, after a good password: the failures are forgotten.
    public func openSession(tokenSHA256: String, staffID: Int64, ttlSeconds: Int, on connection: DatabaseConnection)
        async throws
    {
        try await connection.query(
            "UPDATE staff SET failed_attempts = 0, locked_until = NULL WHERE id = \(staffID)", logger: logger)
        try await connection.query(
            """
            INSERT INTO staff_sessions (token_sha256, staff_id, expires_at)
            VALUES (\(tokenSHA256), \(staffID), now() + make_interval(secs => \(ttlSeconds)))
            """, logger: logger)
    }

    /// The staff member behind a session that is neither expired nor revoked, of an account not disabled.
    public func session(tokenSHA256: String, on connection: DatabaseConnection) async throws -> StaffRecord? {
        try await decode(
            try await connection.query(
                """
                SELECT \(unescaped: Self.columns) FROM staff_sessions x
                JOIN staff s ON s.id = x.staff_id LEFT JOIN partners p ON p.id = s.partner_id
                WHERE x.token_sha256 = \(tokenSHA256) AND x.revoked_at IS NULL AND x.expires_at > now()
                  AND s.disabled_at IS NULL
                """, logger: logger)
        ).first
    }

    public func closeSession(tokenSHA256: String, on connection: DatabaseConnection) async throws {
        try await connection.query(
            "UPDATE staff_sessions SET revoked_at = now() WHERE token_sha256 = \(tokenSHA256) AND revoked_at IS NULL",
            logger: logger)
    }

    /// Revokes every session of `email` and disables the account; the number of sessions revoked, nil for no such
    /// staff member.
    public func revoke(email: String, on connection: DatabaseConnection) async throws -> Int? {
        guard let staff = try await find(email: email, on: connection) else { return nil }
        try await connection.query("UPDATE staff SET disabled_at = coalesce(disabled_at, now()) WHERE id = \(staff.id)", logger: logger)
        var revoked = 0
        for try await _ in try await connection.query(
            "UPDATE staff_sessions SET revoked_at = now() WHERE staff_id = \(staff.id) AND revoked_at IS NULL RETURNING 1",
            logger: logger
        ).decode(Int.self) {
            revoked += 1
        }
        return revoked
    }

    public func audit(
        staffID: Int64, action: String, target: String, detail: String, on connection: DatabaseConnection
    ) async throws {
        try await connection.query(
            """
            INSERT INTO staff_audit (staff_id, action, target, detail) VALUES (\(staffID), \(action), \(target), \(detail)::jsonb)
            """, logger: logger)
    }

    /// Returns matching `search`, the most recently changed first, at most `limit`. The text is a return id (the
    /// primary key), an order reference (returns_order_ref_idx), a customer's email (returns_customer_email_idx), a
    /// SKU (return_items_sku_idx) or a carrier's tracking number (return_events_tracking_idx, one probe per monthly
    /// partition): each is one index lookup, and their union is filtered. Without text the newest
    /// changes are read through returns_updated_idx, or returns_state_updated_idx with a state.
    public func search(_ search: ReturnSearch, limit: Int, on connection: DatabaseConnection) async throws
        -> [ReturnSearchRow]
    {
        let text = search.text
        let id = text.flatMap(UUID.init(uuidString:))
        let afterAt = search.after?.0
        let afterID = search.after?.1
        // An unnamed statement is planned with its values bound, so a filter left out (NULL) costs nothing. The hits
        // of a text are an array (an InitPlan), so the returns are fetched by primary key and sorted: as `IN (...)`,
        // PostgreSQL walked returns_updated_idx backwards filtering every row (220-300 ms at 1M returns; as an
        // array 0.2-2.2 ms at 10M). "Waiting on a timer" probes timers_one_pending_per_name per row walked: quick
        // when most open returns wait on one, 2.5-3.8 s at 10M returns with none waiting at all.
        let query: PostgresQuery = """
            SELECT r.id, r.order_ref, r.customer_email, r.workflow_name, r.state, p.name, r.created_at, r.updated_at
            FROM returns r LEFT JOIN partners p ON p.id = r.partner_id
            WHERE (\(text)::text IS NULL OR r.id = ANY (ARRAY(
                    SELECT id FROM returns WHERE id = \(id)::uuid
                    UNION SELECT id FROM returns WHERE order_ref = \(text)::text
                    UNION SELECT id FROM returns WHERE lower(customer_email) = lower(\(text)::text)
                    UNION SELECT return_id FROM return_items WHERE sku = \(text)::text
                    UNION SELECT return_id FROM return_events
                          WHERE data ? 'tracking_number' AND data ->> 'tracking_number' = \(text)::text)))
              AND (cardinality(\(search.states)::text[]) = 0 OR r.state = ANY (\(search.states)::text[]))
              AND (\(search.workflow)::text IS NULL OR r.workflow_name = \(search.workflow)::text)
              AND (\(search.partnerID)::bigint IS NULL OR r.partner_id = \(search.partnerID)::bigint)
              AND (\(search.resolution)::text IS NULL OR EXISTS (
                    SELECT 1 FROM return_items i WHERE i.return_id = r.id
                    AND coalesce(i.fallback, i.resolution) = \(search.resolution)::text))
              AND (\(search.idleDays)::int IS NULL OR r.updated_at < now() - make_interval(days => \(search.idleDays)::int))
              AND (NOT \(search.slaBreached) OR r.state = 'inspection_escalated')
              AND (NOT \(search.waitingOnTimer) OR EXISTS (
                    SELECT 1 FROM timers t WHERE t.return_id = r.id AND t.status = 'pending'))
              AND (\(afterAt)::timestamptz IS NULL OR (r.updated_at, r.id) < (\(afterAt)::timestamptz, \(afterID)::uuid))
            ORDER BY r.updated_at DESC, r.id DESC LIMIT \(limit)
            """
        let rows = try await connection.query(query, logger: logger)
        var found: [ReturnSearchRow] = []
        for try await (id, ref, email, workflow, state, partner, created, updated) in rows.decode(
            (UUID, String, String, String, String, String?, Date, Date).self)
        {
            found.append(
                ReturnSearchRow(
                    id: id, orderRef: ref, customerEmail: email, workflow: workflow, state: state, partner: partner,
                    createdAt: created, updatedAt: updated))
        }
        return found
    }

    /// Exchange lines of open returns whose hold lapsed before the replacement shipped, the longest waiting first, at
    /// most `limit`, with the units of the variant free now (stock_holds_lapsed_idx). `terminal` pairs each workflow
    /// with each state that is terminal in it.
    public func waitingForStock(
        terminal: (workflows: [String], states: [String]), limit: Int, on connection: DatabaseConnection
    ) async throws -> [WaitingExchange] {
        var found: [WaitingExchange] = []
        for try await (id, ref, state, line, sku, quantity, free, since) in try await connection.query(
            """
            SELECT r.id, r.order_ref, r.state, h.line, h.sku, h.quantity, v.on_hand - v.held, h.updated_at
            FROM stock_holds h
            JOIN returns r ON r.id = h.return_id
            JOIN return_items i ON i.return_id = h.return_id AND i.line = h.line
            JOIN catalog_variants v ON v.sku = h.sku
            WHERE h.status = 'expired' AND i.fallback IS NULL
              AND NOT EXISTS (
                    SELECT 1 FROM unnest(\(terminal.workflows)::text[], \(terminal.states)::text[]) AS t(workflow, state)
                    WHERE t.workflow = r.workflow_name AND t.state = r.state)
            ORDER BY h.updated_at LIMIT \(limit)
            """, logger: logger
        ).decode((UUID, String, String, Int, String, Int, Int, Date).self) {
            found.append(
                WaitingExchange(
                    returnID: id, orderRef: ref, state: state, line: line, sku: sku, quantity: quantity, free: free,
                    since: since))
        }
        return found
    }
}

/// An exchange line waiting for stock: its hold lapsed and the replacement has not shipped.
public struct WaitingExchange: Sendable, Hashable {
    public var returnID: UUID
    public var orderRef: String
    public var state: String
    public var line: Int
    public var sku: String
    public var quantity: Int
    /// Units of the variant free now (on hand, less those held for other exchanges).
    public var free: Int
    /// When the hold lapsed.
    public var since: Date
}
