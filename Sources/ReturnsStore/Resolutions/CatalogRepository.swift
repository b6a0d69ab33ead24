import Foundation
import Logging
import PostgresNIO
import ReturnsCore

/// A catalog variant as stored, with the units promised to exchanges.
public struct StoredVariant: Sendable, Hashable {
    public var variant: CatalogVariant
    public var held: Int
    public var available: Int { variant.onHand - held }
}

/// Why the catalog refused a change or a hold.
public enum CatalogRefusal: Error, Sendable, Hashable, CustomStringConvertible {
    /// Stock would fall below the units already promised to exchanges.
    case belowHeld(sku: String, held: Int)
    /// No unit of the variant is free to promise.
    case outOfStock(sku: String)

    public var description: String {
        switch self {
        case .belowHeld(let sku, let held):
            "\(sku): \(held) units are promised to exchanges; on_hand must stay at least \(held)"
        case .outOfStock(let sku):
            "\(sku) is out of stock; choose another variant or another resolution"
        }
    }
}

/// The SQL of the exchangeable catalog and of the stock holds exchanges make on it. A hold is an UPDATE of the
/// variant's row under the CHECK `held <= on_hand`, taken after the row is locked, so the last unit goes to exactly
/// one of any number of concurrent requests.
public struct CatalogRepository: Sendable {
    public let logger: Logger

    public init(logger: Logger) { self.logger = logger }

    /// The variant `sku`, locked when `lock` (to hold or ship stock of it). The lock is FOR NO KEY UPDATE, as the
    /// UPDATE of `held` takes: it does not wait for the key-share locks that lines naming the variant (foreign keys)
    /// take first, so two requests for one variant queue on it instead of deadlocking.
    public func find(sku: String, lock: Bool = false, on connection: DatabaseConnection) async throws -> StoredVariant? {
        let query: PostgresQuery =
            lock
            ? """
            SELECT sku, product_id, title, attributes::text, price_minor, currency::text, on_hand, held
            FROM catalog_variants WHERE sku = \(sku) FOR NO KEY UPDATE
            """
            : """
            SELECT sku, product_id, title, attributes::text, price_minor, currency::text, on_hand, held
            FROM catalog_variants WHERE sku = \(sku)
            """
        return try await variants(query, on: connection).first
    }

    /// Variants with a unit free to promise that could replace `sku`, cheapest first: of `productID` (nil: of any
    /// product) and priced in `currency`. The exchange rules still judge each one.
    public func inStock(
        productID: String?, currency: String, excluding sku: String, limit: Int, on connection: DatabaseConnection
    ) async throws -> [StoredVariant] {
        let query: PostgresQuery =
            if let productID {
                """
                SELECT sku, product_id, title, attributes::text, price_minor, currency::text, on_hand, held
                FROM catalog_variants
                WHERE product_id = \(productID) AND currency = \(currency) AND on_hand > held AND sku <> \(sku)
                ORDER BY price_minor, sku LIMIT \(limit)
                """
            } else {
                """
                SELECT sku, product_id, title, attributes::text, price_minor, currency::text, on_hand, held
                FROM catalog_variants WHERE currency = \(currency) AND on_hand > held AND sku <> \(sku)
                ORDER BY price_minor, sku LIMIT \(limit)
                """
            }
        return try await variants(query, on: connection)
    }

    private func variants(_ query: PostgresQuery, on connection: DatabaseConnection) async throws -> [StoredVariant] {
        var found: [StoredVariant] = []
        for try await (sku, product, title, attributes, price, currency, onHand, held) in try await connection.query(
            query, logger: logger
        ).decode((String, String, String, String, Int64, String, Int, Int).self) {
            let names = (try? JSONDecoder().decode([String: String].self, from: Data(attributes.utf8))) ?? [:]
            found.append(
                StoredVariant(
                    variant: CatalogVariant(
                        sku: sku, productID: product, title: title, attributes: names, priceMinor: price,
                        currency: try Currency(code: currency), onHand: onHand),
                    held: held))
        }
        return found
    }

    /// Inserts or replaces `variant`. The same content again writes nothing; stock below what exchanges hold is
    /// refused and nothing is written.
    public func upsert(_ variant: CatalogVariant, on connection: DatabaseConnection) async throws -> OrderWrite {
        if let existing = try await find(sku: variant.sku, lock: true, on: connection) {
            if existing.variant == variant { return .unchanged }
            if variant.onHand < existing.held { throw CatalogRefusal.belowHeld(sku: variant.sku, held: existing.held) }
        }
        let attributes = String(decoding: try JSONEncoder.sorted.encode(variant.attributes), as: UTF8.self)
        for try await inserted in try await connection.query(
            """
            INSERT INTO catalog_variants (sku, product_id, title, attributes, price_minor, currency, on_hand)
            VALUES (\(variant.sku), \(variant.productID), \(variant.title), \(attributes)::jsonb, \(variant.priceMinor),
                    \(variant.currency.code), \(variant.onHand))
            ON CONFLICT (sku) DO UPDATE SET
                product_id = excluded.product_id, title = excluded.title, attributes = excluded.attributes,
                price_minor = excluded.price_minor, currency = excluded.currency, on_hand = excluded.on_hand,
                updated_at = now()
            RETURNING (xmax = 0)
            """, logger: logger
        ).decode(Bool.self) {
            return inserted ? .created : .updated
        }
        return .unchanged
    }

    /// Holds `quantity` units of `sku` for line `line` of return `id` until `days` from now, at the variant's price
    /// now. Refused with `outOfStock` (and nothing written) when fewer units are free.
    public func hold(
        _ id: UUID, line: Int, sku: String, quantity: Int, days: Int, on connection: DatabaseConnection
    ) async throws {
        guard let variant = try await find(sku: sku, lock: true, on: connection), variant.available >= quantity else {
            throw CatalogRefusal.outOfStock(sku: sku)
        }
        try await connection.query(
            """
            INSERT INTO stock_holds (return_id, line, sku, quantity, price_minor, expires_at)
            VALUES (\(id), \(line), \(sku), \(quantity), \(variant.variant.priceMinor), now() + \(days)::int * interval '1 day')
            """, logger: logger)
    }

    /// Takes the units for line `line` of return `id` off the shelf: its hold when still held, else free stock.
    /// The answer is the unit price the exchange is settled at (the price when it was promised), or nil (nothing
    /// written) when the hold has lapsed and too few units are free.
    public func ship(_ id: UUID, line: Int, sku: String, quantity: Int, on connection: DatabaseConnection) async throws
        -> Int64?
    {
        guard let variant = try await find(sku: sku, lock: true, on: connection) else { return nil }
        var hold: (status: String, price: Int64)?
        for try await found in try await connection.query(
            "SELECT status, price_minor FROM stock_holds WHERE return_id = \(id) AND line = \(line)", logger: logger
        ).decode((String, Int64).self) {
            hold = found
        }
        if hold?.status == "shipped" { return hold?.price }
        // A lapsed hold (released, expired) or none: the units come from free stock.
        if hold?.status != "held", variant.available < quantity { return nil }
        if let hold {
            try await connection.query(
                "UPDATE stock_holds SET status = 'shipped' WHERE return_id = \(id) AND line = \(line)", logger: logger)
            return hold.price
        }
        try await connection.query(
            """
            INSERT INTO stock_holds (return_id, line, sku, quantity, price_minor, status, expires_at)
            VALUES (\(id), \(line), \(sku), \(quantity), \(variant.variant.priceMinor), 'shipped', now())
            """, logger: logger)
        return variant.variant.priceMinor
    }

    /// Gives back every unit still held for return `id` (it was cancelled or ended), and lets its lapsed holds go
    /// (no longer waiting for stock).
    public func releaseHolds(of id: UUID, on connection: DatabaseConnection) async throws {
        try await connection.run(
            "UPDATE stock_holds SET status = 'released' WHERE return_id = \(id) AND status IN ('held', 'expired')",
            logger: logger)
    }

    /// Lets holds past their expiry go, at most `limit` a call, oldest first; the number let go.
    public func expireHolds(limit: Int, on connection: DatabaseConnection) async throws -> Int {
        var count = 0
        for try await _ in try await connection.query(
            """
            UPDATE stock_holds SET status = 'expired'
            WHERE (return_id, line) IN (
                SELECT return_id, line FROM stock_holds WHERE status = 'held' AND expires_at < now()
                ORDER BY expires_at LIMIT \(limit) FOR UPDATE SKIP LOCKED)
            RETURNING 1
            """, logger: logger
        ).decode(Int.self) {
            count += 1
        }
        return count
    }
}

extension JSONEncoder {
    /// Sorted keys: the same value always encodes the same.
    static var sorted: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }
}
