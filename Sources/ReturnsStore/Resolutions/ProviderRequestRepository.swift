import Foundation
import Logging
import PostgresNIO

/// The queues of requests to the shop's providers (Schema/015_provider_requests.sql): replacement orders, charges
/// and authorisations on the customer's payment, gift cards for store credit. Each row is sent with its own
/// idempotency key and shares the sender's columns: status, attempts, next_attempt_at, last_error, reference.
public enum ProviderQueue: String, Sendable, CaseIterable {
    case exchangeOrders = "exchange_orders"
    case charges
    case giftCards = "gift_cards"

    /// The statuses that wait to be sent.
    public var waiting: [String] {
        switch self {
        case .exchangeOrders, .giftCards: ["pending"]
        case .charges: ["pending", "authorizing", "capturing", "releasing"]
        }
    }

    /// What a request claimed in `status` becomes when the provider accepts it.
    public func done(from status: String) -> String {
        switch (self, status) {
        case (.exchangeOrders, _): "sent"
        case (.giftCards, _): "issued"
        case (.charges, "authorizing"): "authorized"
        case (.charges, "releasing"): "released"
        case (.charges, _): "charged"
        }
    }

    /// The request's own columns the provider is sent, beside the return's id and order: numbers as text, times
    /// in ISO 8601 (JSON's form of timestamptz).
    fileprivate var fields: String {
        switch self {
        case .exchangeOrders:
            """
            'line', t.line::text, 'sku', t.sku, 'quantity', t.quantity::text, 'price_minor', t.price_minor::text,
            'currency', t.currency
            """
        case .charges:
            "'charge_id', t.id, 'line', t.line::text, 'amount_minor', t.amount_minor::text, 'currency', t.currency"
        case .giftCards:
            """
            'customer', t.customer, 'amount_minor', t.amount_minor::text, 'currency', t.currency,
            'expires_at', t.expires_at
            """
        }
    }

    /// A replacement order waits while its instant exchange's authorisation is being asked for: the shop ships it
    /// once the payment is secured.
    fileprivate var readyWhen: String {
        switch self {
        case .exchangeOrders:
            """
            AND NOT EXISTS (SELECT 1 FROM charges c WHERE c.return_id = q.return_id AND c.line = q.line
                                                      AND c.status = 'authorizing')
            """
        case .charges, .giftCards: ""
        }
    }
}

/// A request claimed for sending.
public struct ProviderRequest: Sendable, Hashable {
    public var queue: ProviderQueue
    public var returnID: UUID
    public var orderRef: String
    public var idempotencyKey: String
    /// The status it was claimed in: what the provider is asked to do.
    public var status: String
    /// Counting this one.
    public var attempts: Int
    /// The request's own columns, as text (`amount_minor`, `currency`, `sku`, ...).
    public var fields: [String: String]
}

/// The SQL every provider queue shares: claim the oldest due request under a lease, record the answer.
public struct ProviderRequestRepository: Sendable {
    public let logger: Logger

    public init(logger: Logger) { self.logger = logger }

    /// Claims the oldest request of `queue` due by `dueBy`, under a lease of `leaseSeconds` (another worker takes
    /// it only after the lease ran out), counting the attempt.
    public func claimDue(_ queue: ProviderQueue, leaseSeconds: Int, dueBy: Date, on connection: DatabaseConnection)
        async throws -> ProviderRequest?
    {
        let table = queue.rawValue
        let query: PostgresQuery = """
            WITH claimed AS (
                UPDATE \(unescaped: table) t SET attempts = attempts + 1,
                       next_attempt_at = now() + make_interval(secs => \(Double(leaseSeconds)))
                WHERE (t.return_id, t.idempotency_key) IN (
                    SELECT q.return_id, q.idempotency_key FROM \(unescaped: table) q
                    WHERE q.status = ANY(\(queue.waiting)) AND q.next_attempt_at <= \(dueBy) \(unescaped: queue.readyWhen)
                    ORDER BY q.next_attempt_at LIMIT 1 FOR UPDATE SKIP LOCKED)
                RETURNING t.return_id, t.idempotency_key, t.status, t.attempts,
                          jsonb_build_object(\(unescaped: queue.fields))::text AS fields
            )
            SELECT c.return_id, r.order_ref, c.idempotency_key, c.status, c.attempts, c.fields
            FROM claimed c JOIN returns r ON r.id = c.return_id
            """
        for try await (id, orderRef, key, status, attempts, fields) in try await connection.query(query, logger: logger)
            .decode((UUID, String, String, String, Int, String).self)
        {
            let object = (try? JSONSerialization.jsonObject(with: Data(fields.utf8))) as? [String: Any] ?? [:]
            return ProviderRequest(
                queue: queue, returnID: id, orderRef: orderRef, idempotencyKey: key, status: status, attempts: attempts,
                fields: object.compactMapValues { $0 as? String })
        }
        return nil
    }

    /// Records the provider's answer to `request`: `status` with the provider's reference, or with the error, again
    /// due after `delaySeconds`. False when the request is no longer in the status it was claimed in (an
    /// authorisation released meanwhile): nothing is written.
    @discardableResult
    public func record(
        _ request: ProviderRequest, status: String, reference: String? = nil, error: String? = nil,
        delaySeconds: Double = 0, on connection: DatabaseConnection
    ) async throws -> Bool {
        var recorded = false
        for try await _ in try await connection.query(
            """
            UPDATE \(unescaped: request.queue.rawValue) SET status = \(status), reference = coalesce(\(reference), reference),
                   last_error = \(error), next_attempt_at = now() + make_interval(secs => \(delaySeconds))
            WHERE return_id = \(request.returnID) AND idempotency_key = \(request.idempotencyKey)
              AND status = \(request.status)
            RETURNING 1
            """, logger: logger
        ).decode(Int.self) {
            recorded = true
        }
        return recorded
    }
}
