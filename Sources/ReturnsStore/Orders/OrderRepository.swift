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
    /// More units of a line were asked for than remain.
    case lineExhausted
    /// Refunds of the order would pass what it paid.
    case refundsBeyondOrder

    public var description: String {
        switch self {
        case .belowReturned(let ref):
            "order \(ref): a line would have fewer units than its returns already hold; keep its quantity at least "
                + "what was returned"
        case .lineHasReturns(let ref):
            "order \(ref): a line that was returned cannot be removed; send it again with the other lines"
        case .currencyHasReturns(let ref):
            "order \(ref) has returns, so its currency cannot change"
        case .lineExhausted:
            "every unit of this order line is already returned or in a return"
        case .refundsBeyondOrder:
            "refunds of this order would exceed what it paid"
        }
    }

    /// The refusal a database error stands for, when it is one of the order constraints.
    static func from(_ error: any Error, orderRef: String) -> OrderRefusal? {
        guard let error = error as? PSQLError, let constraint = error.serverInfo?[.constraintName] else { return nil }
        switch constraint {
        case "order_lines_returned_within": return orderRef.isEmpty ? .lineExhausted : .belowReturned(orderRef: orderRef)
        case "return_items_order_line_fkey": return .lineHasReturns(orderRef: orderRef)
        case "refunds_within_order": return .refundsBeyondOrder
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
    public func find(ref: String, lock: Bool = false, on connection: DatabaseConnection) async throws -> StoredOrder? {
        let query: PostgresQuery =
            lock
            ? """
            SELECT id, customer_email, postal_code, ordered_at, delivered_at, currency::text, region, content_sha256
            FROM orders WHERE order_ref = \(ref) FOR UPDATE
            """
            : """
            SELECT id, customer_email, postal_code, ordered_at, delivered_at, currency::text, region, content_sha256
            FROM orders WHERE order_ref = \(ref)
            """
        var found: (Int64, Order, String)?
        for try await (id, email, postal, ordered, delivered, currency, region, sha) in try await connection.query(
            query, logger: logger
        ).decode((Int64, String, String?, Date, Date?, String, String?, String).self) {
            found = (
                id,
                Order(
                    ref: ref, customerEmail: email, postalCode: postal, orderedAt: ordered, deliveredAt: delivered,
                    currency: try Currency(code: currency), region: region, lines: []),
                sha
            )
        }
        guard var (id, order, sha) = found else { return nil }
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

    /// Inserts or replaces `order` (its lines included: lines not given are removed). The same content again
    /// writes nothing. Refused, with nothing written, when a line would fall below what returns hold of it, a
    /// returned line would go, or the currency of an order with returns would change.
    public func upsert(_ order: Order, on connection: DatabaseConnection) async throws -> OrderWrite {
        let sha = sha256Hex(order.canonicalText)
        let existing = try await find(ref: order.ref, lock: true, on: connection)
        if let existing, existing.contentSHA256 == sha { return .unchanged }
        do {
            let id: Int64
            if let existing {
                id = existing.id
                if existing.order.currency != order.currency, try await hasReturns(id, on: connection) {
                    throw OrderRefusal.currencyHasReturns(orderRef: order.ref)
                }
                try await connection.query(
                    """
                    UPDATE orders SET customer_email = \(order.customerEmail), postal_code = \(order.postalCode),
                           ordered_at = \(order.orderedAt), delivered_at = \(order.deliveredAt),
                           currency = \(order.currency.code), region = \(order.region), paid_minor = \(order.paidMinor),
                           content_sha256 = \(sha), updated_at = now()
                    WHERE id = \(id)
                    """, logger: logger)
                try await connection.query(
                    "DELETE FROM order_lines WHERE order_id = \(id) AND NOT (line_id = ANY(\(order.lines.map(\.lineID))))",
                    logger: logger)
            } else {
                var inserted: Int64?
                for try await new in try await connection.query(
                    """
                    INSERT INTO orders (order_ref, customer_email, postal_code, ordered_at, delivered_at, currency, region,
                                        paid_minor, content_sha256)
                    VALUES (\(order.ref), \(order.customerEmail), \(order.postalCode), \(order.orderedAt),
                            \(order.deliveredAt), \(order.currency.code), \(order.region), \(order.paidMinor), \(sha))
                    RETURNING id
                    """, logger: logger
                ).decode(Int64.self) {
                    inserted = new
                }
                id = inserted!
            }
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
            return existing == nil ? .created : .updated
        } catch {
            if let refusal = OrderRefusal.from(error, orderRef: order.ref) { throw refusal }
            throw error
        }
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

    /// Failures in the current window for `address` and for `orderRef`, and the seconds until the window ends.
    public func lookupFailures(address: String, orderRef: String, windowSeconds: Int, on connection: DatabaseConnection)
        async throws -> (address: Int, order: Int, retryAfter: Int)
    {
        for try await (byAddress, byOrder, left) in try await connection.query(
            """
            WITH w AS (SELECT to_timestamp(floor(extract(epoch FROM now()) / \(windowSeconds)) * \(windowSeconds)) AS start)
            SELECT coalesce((SELECT failures FROM lookup_failures, w
                             WHERE scope = 'address' AND key = \(address) AND window_start = w.start), 0),
                   coalesce((SELECT failures FROM lookup_failures, w
                             WHERE scope = 'order' AND key = \(orderRef) AND window_start = w.start), 0),
                   ceil(extract(epoch FROM (SELECT start FROM w) + make_interval(secs => \(windowSeconds)) - now()))::int
            """, logger: logger
        ).decode((Int, Int, Int).self) {
            return (byAddress, byOrder, max(1, left))
        }
        return (0, 0, windowSeconds)
    }

    /// Counts one failed lookup against `address` and `orderRef` in the current window.
    public func recordLookupFailure(
        address: String, orderRef: String, windowSeconds: Int, on connection: DatabaseConnection
    ) async throws {
        try await connection.query(
            """
            INSERT INTO lookup_failures (scope, key, window_start, failures)
            SELECT scope, key, to_timestamp(floor(extract(epoch FROM now()) / \(windowSeconds)) * \(windowSeconds)), 1
            FROM (VALUES ('address', \(address)), ('order', \(orderRef))) AS k (scope, key)
            ON CONFLICT (scope, key, window_start) DO UPDATE SET failures = lookup_failures.failures + 1
            """, logger: logger)
    }
}
