import Foundation
import Logging
import PostgresNIO
import ReturnsCore

/// An order as stored, with how many units of each line returns hold.
public struct StoredOrder: Sendable, Hashable {
    public var id: Int64
    public var order: Order
    public var contentSHA256: String
    /// Units held by returns, per line id.
    public var returned: [String: Int]

    public func available(_ lineID: String) -> Int {
        (order.line(lineID)?.quantity ?? 0) - (returned[lineID] ?? 0)
    }
}

/// What an upsert did.
public enum OrderWrite: String, Sendable, Hashable, Codable {
    case created, updated, unchanged
}

/// Why the database refused an order change or a return of its lines.
public enum OrderRefusal: Error, Sendable, Hashable, CustomStringConvertible {
    /// A line would hold fewer units than returns already hold of it.
    case belowReturned(orderRef: String)
    /// A line that returns were made from would be removed.
    case lineHasReturns(orderRef: String)
    /// The currency of an order that has returns would change.
    case currencyHasReturns(orderRef: String)
    /// The order would have paid less than is already refunded of it.
    case belowRefunded(orderRef: String, refundedMinor: Int64)
    /// The order changed while the request was handled.
    case changedMeanwhile
    /// More units of a line were asked for than remain.
    case lineExhausted

    public var description: String {
        switch self {
        case .belowReturned(let ref):
            "order \(ref): a line would have fewer units than its returns already hold; keep its quantity at least "
                + "what was returned"
        case .lineHasReturns(let ref):
            "order \(ref): a line that was returned cannot be removed; send it again with the other lines"
        case .currencyHasReturns(let ref):
            "order \(ref) has returns, so its currency cannot change"
        case .belowRefunded(let ref, let refunded):
            "order \(ref): its lines would add up to less than the \(refunded) (minor units) already refunded of it"
        case .changedMeanwhile:
            "the order changed while this request was handled; send it again"
        case .lineExhausted:
            "every unit of this order line is already returned or in a return"
        }
    }

    /// The refusal a database error stands for, when it is one of the order constraints.
    static func from(_ error: any Error, orderRef: String) -> OrderRefusal? {
        guard let error = error as? PSQLError, let constraint = error.serverInfo?[.constraintName] else { return nil }
        switch constraint {
        case "order_lines_returned_within": return orderRef.isEmpty ? .lineExhausted : .belowReturned(orderRef: orderRef)
        case "return_items_order_line_fkey": return .lineHasReturns(orderRef: orderRef)
        default: return nil
        }
    }
}

/// The SQL of orders of record and of the limit on failed order lookups.
public struct OrderRepository: Sendable {
    public let logger: Logger

    public init(logger: Logger) {
        self.logger = logger
    }

    /// The order `ref` with its lines, locked when `lock` (for an upsert or a return made from it).
    /// The order of record return `id` was made from; nil for a return of typed items.
    public func find(returnID id: UUID, on connection: DatabaseConnection) async throws -> StoredOrder? {
        for try await ref in try await connection.query(
            "SELECT o.order_ref FROM returns r JOIN orders o ON o.id = r.order_id WHERE r.id = \(id)", logger: logger
        ).decode(String.self) {
            return try await find(ref: ref, on: connection)
        }
        return nil
    }

    public func find(ref: String, lock: Bool = false, on connection: DatabaseConnection) async throws -> StoredOrder? {
        let query: PostgresQuery =
            lock
            ? """
            SELECT id, customer_email, postal_code, customer_id, ordered_at, delivered_at, currency::text, region,
                   content_sha256
            FROM orders WHERE order_ref = \(ref) FOR UPDATE
            """
            : """
            SELECT id, customer_email, postal_code, customer_id, ordered_at, delivered_at, currency::text, region,
                   content_sha256
            FROM orders WHERE order_ref = \(ref)
            """
        var found: (Int64, Order, String)?
        for try await (id, email, postal, customer, ordered, delivered, currency, region, sha) in try await connection.query(
            query, logger: logger
        ).decode((Int64, String, String?, String?, Date, Date?, String, String?, String).self) {
            found = (
                id,
                Order(
                    ref: ref, customerEmail: email, postalCode: postal, customerID: customer, orderedAt: ordered,
                    deliveredAt: delivered,
                    currency: try Currency(code: currency), region: region, lines: []),
                sha
            )
        }
        guard let found else { return nil }
        let (id, _, sha) = found
        var order = found.1
        var returned: [String: Int] = [:]
        for try await (line, sku, product, variant, title, quantity, price, tax, category, finalSale, held)
            in try await connection.query(
                """
                SELECT line_id, sku, product_id, variant_id, title, quantity, unit_price_minor, tax_minor, category,
                       final_sale, quantity_returned
                FROM order_lines WHERE order_id = \(id) ORDER BY line_id
                """, logger: logger
            ).decode((String, String, String?, String?, String?, Int, Int64, Int64?, String, Bool, Int).self)
        {
            order.lines.append(
                OrderLine(
                    lineID: line, sku: sku, productID: product, variantID: variant, title: title, quantity: quantity,
                    unitPriceMinor: price, taxMinor: tax, category: category, finalSale: finalSale))
            returned[line] = held
        }
        return StoredOrder(id: id, order: order, contentSHA256: sha, returned: returned)
    }

    /// Whether an order of record `ref` exists.
    public func exists(ref: String, on connection: DatabaseConnection) async throws -> Bool {
        for try await found in try await connection.query(
            "SELECT EXISTS (SELECT 1 FROM orders WHERE order_ref = \(ref))", logger: logger
        ).decode(Bool.self) {
            return found
        }
        return false
    }

    /// Inserts or replaces `order` (its lines included: lines not given are removed). The same content again
    /// writes nothing. Refused, with nothing written, when a line would fall below what returns hold of it, a
    /// returned line would go, the currency of an order with returns would change, or the order would have paid
    /// less than is already refunded of it.
    public func upsert(_ order: Order, on connection: DatabaseConnection) async throws -> OrderWrite {
        let sha = sha256Hex(order.canonicalText)
        var existing = try await find(ref: order.ref, lock: true, on: connection)
        if existing == nil {
            // Two first writers of one order: the second finds the first's row, locked, and updates it.
            var inserted: Int64?
            for try await new in try await connection.query(
                """
                INSERT INTO orders (order_ref, customer_email, postal_code, customer_id, ordered_at, delivered_at, currency, region,
                                    paid_minor, content_sha256)
                VALUES (\(order.ref), \(order.customerEmail), \(order.postalCode), \(order.customerID), \(order.orderedAt),
                        \(order.deliveredAt), \(order.currency.code), \(order.region), \(order.paidMinor), \(sha))
                ON CONFLICT (order_ref) DO NOTHING
                RETURNING id
                """, logger: logger
            ).decode(Int64.self) {
                inserted = new
            }
            if let inserted {
                try await writeLines(order, orderID: inserted, on: connection)
                return .created
            }
            existing = try await find(ref: order.ref, lock: true, on: connection)
        }
        guard let existing else { throw OrderRefusal.changedMeanwhile }
        if existing.contentSHA256 == sha { return .unchanged }
        let id = existing.id
        if existing.order.currency != order.currency, try await hasReturns(id, on: connection) {
            throw OrderRefusal.currencyHasReturns(orderRef: order.ref)
        }
        let refunded = try await refundedMinor(ofOrder: id, on: connection)
        if order.paidMinor < refunded {
            throw OrderRefusal.belowRefunded(orderRef: order.ref, refundedMinor: refunded)
        }
        do {
            try await connection.query(
                """
                UPDATE orders SET customer_email = \(order.customerEmail), postal_code = \(order.postalCode),
                       customer_id = \(order.customerID),
                       ordered_at = \(order.orderedAt), delivered_at = \(order.deliveredAt),
                       currency = \(order.currency.code), region = \(order.region), paid_minor = \(order.paidMinor),
                       content_sha256 = \(sha), updated_at = now()
                WHERE id = \(id)
                """, logger: logger)
            try await connection.query(
                "DELETE FROM order_lines WHERE order_id = \(id) AND NOT (line_id = ANY(\(order.lines.map(\.lineID))))",
                logger: logger)
            try await writeLines(order, orderID: id, on: connection)
            return .updated
        } catch {
            if let refusal = OrderRefusal.from(error, orderRef: order.ref) { throw refusal }
            throw error
        }
    }

    private func writeLines(_ order: Order, orderID id: Int64, on connection: DatabaseConnection) async throws {
        for line in order.lines {
            try await connection.query(
                """
                INSERT INTO order_lines (order_id, line_id, sku, product_id, variant_id, title, quantity,
                                         unit_price_minor, tax_minor, category, final_sale)
                VALUES (\(id), \(line.lineID), \(line.sku), \(line.productID), \(line.variantID), \(line.title),
                        \(line.quantity), \(line.unitPriceMinor), \(line.taxMinor), \(line.category), \(line.finalSale))
                ON CONFLICT (order_id, line_id) DO UPDATE SET
                    sku = excluded.sku, product_id = excluded.product_id, variant_id = excluded.variant_id,
                    title = excluded.title, quantity = excluded.quantity, unit_price_minor = excluded.unit_price_minor,
                    tax_minor = excluded.tax_minor, category = excluded.category, final_sale = excluded.final_sale
                """, logger: logger)
        }
    }

    /// What refunds of the order's returns that did not fail add up to.
    private func refundedMinor(ofOrder id: Int64, on connection: DatabaseConnection) async throws -> Int64 {
        for try await sum in try await connection.query(
            """
            SELECT coalesce(sum(f.amount_minor), 0)::bigint FROM refunds f JOIN returns r ON r.id = f.return_id
            WHERE r.order_id = \(id) AND f.status <> 'failed'
            """, logger: logger
        ).decode(Int64.self) {
            return sum
        }
        return 0
    }

    /// Locks the order `id` for a return being made from it and says whether it is still `sha`: returns of one
    /// order are made one at a time, from the order as it is.
    public func lockForReturn(_ id: Int64, sha: String, on connection: DatabaseConnection) async throws -> Bool {
        for try await current in try await connection.query(
            "SELECT content_sha256 FROM orders WHERE id = \(id) FOR UPDATE", logger: logger
        ).decode(String.self) {
            return current == sha
        }
        return false
    }

    private func hasReturns(_ id: Int64, on connection: DatabaseConnection) async throws -> Bool {
        for try await found in try await connection.query(
            "SELECT EXISTS (SELECT 1 FROM returns WHERE order_id = \(id))", logger: logger
        ).decode(Bool.self) {
            return found
        }
        return false
    }

    // MARK: - Failed lookups

    /// The failures counted against `scope`/`key` in the current window and the one before it; with `counting`, one
    /// more is counted first. A lookup of an order is counted against it before it runs (and taken back by
    /// `forgiveLookup` when it succeeds), so parallel guesses cannot all pass the check.
    public func lookupFailures(
        scope: String, key: String, windowSeconds: Int, counting: Bool, on connection: DatabaseConnection
    ) async throws -> LookupFailureCount {
        for try await (current, previous, elapsed) in try await connection.query(
            """
            WITH w AS (SELECT to_timestamp(floor(extract(epoch FROM now()) / \(windowSeconds)) * \(windowSeconds)) AS start),
            counted AS (
                INSERT INTO lookup_failures (scope, key, window_start, failures)
                SELECT \(scope), \(key), w.start, 1 FROM w WHERE \(counting)
                ON CONFLICT (scope, key, window_start) DO UPDATE SET failures = lookup_failures.failures + 1
                RETURNING failures
            )
            SELECT coalesce((SELECT failures FROM counted),
                            (SELECT failures FROM lookup_failures, w
                             WHERE scope = \(scope) AND key = \(key) AND window_start = w.start), 0),
                   coalesce((SELECT failures FROM lookup_failures, w
                             WHERE scope = \(scope) AND key = \(key)
                               AND window_start = w.start - make_interval(secs => \(windowSeconds))), 0),
                   floor(extract(epoch FROM now() - (SELECT start FROM w)))::int
            """, logger: logger
        ).decode((Int, Int, Int).self) {
            return LookupFailureCount(previous: previous, current: current, elapsed: elapsed, window: windowSeconds)
        }
        return LookupFailureCount(previous: 0, current: 0, elapsed: 0, window: windowSeconds)
    }

    /// Takes back the count of a lookup of `orderRef` that succeeded, from the order's latest window (the one it was
    /// counted in, unless a window began meanwhile).
    public func forgiveLookup(orderRef: String, on connection: DatabaseConnection) async throws {
        try await connection.query(
            """
            UPDATE lookup_failures SET failures = greatest(failures - 1, 0)
            WHERE scope = 'order' AND key = \(orderRef)
              AND window_start = (SELECT max(window_start) FROM lookup_failures WHERE scope = 'order' AND key = \(orderRef))
            """, logger: logger)
    }
}
