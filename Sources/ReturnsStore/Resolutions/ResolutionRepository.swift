import Foundation
import Logging
import PostgresNIO
import ReturnsCore

/// A replacement order sent to the shop for an exchange line.
public struct ExchangeOrderRow: Sendable, Hashable, Codable {
    public var line: Int
    public var sku: String
    public var quantity: Int
    public var priceMinor: Int64
    public var currency: String
    public var provider: String
    /// recorded, pending, sent, failed.
    public var status: String
    public var reference: String?
    public var placedAt: Date
    public var differenceMinor: Int64?
    public var settlement: String?
}

/// An upsell's price difference charged to the original payment, or an instant exchange's authorisation.
public struct ChargeRow: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable {
        /// The price difference of an upsell.
        case difference
        /// The replacement's price, authorised at an instant exchange's request.
        case instant
    }

    public var id: UUID
    public var kind: Kind
    public var line: Int
    public var amountMinor: Int64
    public var currency: String
    public var status: String
    public var provider: String
}

/// The gift card that carries a settlement's store credit (credit and bonus) to the shop's checkout.
public struct GiftCardRow: Sendable, Hashable, Codable {
    public var seq: Int
    public var amountMinor: Int64
    public var currency: String
    /// issued, pending, failed.
    public var status: String
    public var code: String?
    public var provider: String
}

/// A case for a person: what the customer owes back on a line.
public struct ResolutionReviewRow: Sendable, Hashable, Codable {
    public var returnID: UUID
    public var line: Int
    public var kind: String
    public var amountOwedMinor: Int64
    public var currency: String
    public var status: String
    public var createdAt: Date
}

/// A settlement as stored: the figures and the itemised breakdown.
public struct SettlementRow: Sendable, Hashable {
    public var seq: Int
    public var settlement: Settlement
    public var createdAt: Date
}

/// The SQL of how returned lines are resolved: exchange orders, charges, settlements, reviews, fallbacks.
public struct ResolutionRepository: Sendable {
    public let logger: Logger

    public init(logger: Logger) { self.logger = logger }

    /// Records the replacement order of line `line` under `key`: with a `reference`, the ledger holds it; without,
    /// it waits to be sent. False when it was recorded before.
    public func insertExchangeOrder(
        _ id: UUID, line: Int, sku: String, quantity: Int, priceMinor: Int64, currency: String, key: String,
        provider: String, reference: String?, on connection: DatabaseConnection
    ) async throws -> Bool {
        var inserted = false
        let status = reference == nil ? "pending" : "recorded"
        for try await _ in try await connection.query(
            """
            INSERT INTO exchange_orders (return_id, line, sku, quantity, price_minor, currency, idempotency_key,
                                         provider, reference, status)
            VALUES (\(id), \(line), \(sku), \(quantity), \(priceMinor), \(currency), \(key), \(provider), \(reference),
                    \(status))
            ON CONFLICT DO NOTHING RETURNING 1
            """, logger: logger
        ).decode(Int.self) {
            inserted = true
        }
        return inserted
    }

    public func exchangeOrders(of id: UUID, on connection: DatabaseConnection) async throws -> [ExchangeOrderRow] {
        var rows: [ExchangeOrderRow] = []
        for try await (line, sku, quantity, price, currency, provider, status, reference, placed, difference, settlement)
            in try await connection.prepared(
                """
                SELECT line, sku, quantity, price_minor, currency::text, provider, status, reference, placed_at,
                       difference_minor, settlement
                FROM exchange_orders WHERE return_id = \(id) ORDER BY line
                """, logger: logger
            ).decode((Int, String, Int, Int64, String, String, String, String?, Date, Int64?, String?).self)
        {
            rows.append(
                ExchangeOrderRow(
                    line: line, sku: sku, quantity: quantity, priceMinor: price, currency: currency, provider: provider,
                    status: status, reference: reference, placedAt: placed, differenceMinor: difference,
                    settlement: settlement))
        }
        return rows
    }

    /// How an exchange's difference was settled, by the step `seq`.
    public func settleExchange(
        _ id: UUID, line: Int, differenceMinor: Int64?, settlement: String, seq: Int, on connection: DatabaseConnection
    ) async throws {
        try await connection.query(
            """
            UPDATE exchange_orders SET difference_minor = \(differenceMinor), settlement = \(settlement),
                   settled_seq = \(seq)
            WHERE return_id = \(id) AND line = \(line)
            """, logger: logger)
    }

    /// The replacement order of line `line` will not be sent (its payment was refused), if it is still waiting.
    public func failExchangeOrder(_ id: UUID, line: Int, error: String, on connection: DatabaseConnection) async throws {
        try await connection.query(
            """
            UPDATE exchange_orders SET status = 'failed', last_error = \(error)
            WHERE return_id = \(id) AND line = \(line) AND status = 'pending'
            """, logger: logger)
    }

    /// Line `line` could not be exchanged and is settled as `fallback` instead.
    public func setFallback(_ id: UUID, line: Int, fallback: String, on connection: DatabaseConnection) async throws {
        try await connection.query(
            "UPDATE return_items SET fallback = \(fallback) WHERE return_id = \(id) AND line = \(line)", logger: logger)
    }

    /// Records an upsell's difference on line `line` under `key`: the ledger's is final ('recorded'), a
    /// provider's waits to be charged ('pending').
    public func insertCharge(
        _ id: UUID, line: Int, key: String, amountMinor: Int64, currency: String, provider: String, seq: Int,
        on connection: DatabaseConnection
    ) async throws {
        let status = provider == "ledger" ? "recorded" : "pending"
        try await connection.query(
            """
            INSERT INTO charges (id, return_id, line, idempotency_key, amount_minor, currency, status, provider, decided_seq)
            VALUES (\(UUID()), \(id), \(line), \(key), \(amountMinor), \(currency), \(status), \(provider), \(seq))
            ON CONFLICT (return_id, idempotency_key) DO NOTHING
            """, logger: logger)
    }

    /// Authorises `amountMinor` on the customer's payment for an instant exchange of line `line`, under `key`: the
    /// ledger holds it at once ('authorized'), a provider is asked ('authorizing').
    public func authorize(
        _ id: UUID, line: Int, key: String, amountMinor: Int64, currency: String, provider: String, seq: Int,
        on connection: DatabaseConnection
    ) async throws {
        let status = provider == "ledger" ? "authorized" : "authorizing"
        try await connection.query(
            """
            INSERT INTO charges (id, return_id, line, idempotency_key, amount_minor, currency, status, provider, decided_seq)
            VALUES (\(UUID()), \(id), \(line), \(key), \(amountMinor), \(currency), \(status), \(provider), \(seq))
            ON CONFLICT (return_id, idempotency_key) DO NOTHING
            """, logger: logger)
    }

    /// Settles the return's open authorisations: captured (charged) or released. The ledger's are settled here; a
    /// provider's become requests ('capturing', 'releasing'), sent with the authorisation's key. One still being
    /// asked for keeps its lease, so the capture or release goes out after the authorisation's answer. The lines
    /// settled; none when they were settled before, so a deadline that fires twice charges once.
    public func settleAuthorizations(_ id: UUID, capture: Bool, on connection: DatabaseConnection) async throws -> [Int] {
        var lines: [Int] = []
        // Only charges rows: beside the held writes (a transition's, on the return whose row lock it holds).
        for try await line in try await connection.prepared(
            """
            UPDATE charges SET status = CASE WHEN provider = 'ledger' THEN \(capture ? "charged" : "released")
                                             ELSE \(capture ? "capturing" : "releasing") END,
                               attempts = 0
            WHERE return_id = \(id) AND status IN ('authorized', 'authorizing') RETURNING line
            """, besideHeldWrites: true, logger: logger
        ).decode(Int.self) {
            lines.append(line)
        }
        return lines
    }

    /// Records the gift card of step `seq`'s store credit: the ledger's with its code, a provider's to be issued.
    public func insertGiftCard(
        _ id: UUID, seq: Int, customer: String, currency: String, amountMinor: Int64, expiresAt: Date?, provider: String,
        code: String?, on connection: DatabaseConnection
    ) async throws {
        let status = code == nil ? "pending" : "issued"
        try await connection.query(
            """
            INSERT INTO gift_cards (id, return_id, seq, customer, currency, amount_minor, expires_at, idempotency_key,
                                    provider, status, reference)
            VALUES (\(UUID()), \(id), \(seq), \(customer), \(currency), \(amountMinor), \(expiresAt),
                    \("gift-card:\(id.uuidString.lowercased()):\(seq)"), \(provider), \(status), \(code))
            ON CONFLICT DO NOTHING
            """, logger: logger)
    }

    /// The gift cards issued (or to be issued) for the return's store credit.
    public func giftCards(of id: UUID, on connection: DatabaseConnection) async throws -> [GiftCardRow] {
        var rows: [GiftCardRow] = []
        for try await (seq, amount, currency, status, code, provider) in try await connection.query(
            """
            SELECT seq, amount_minor, currency::text, status, reference, provider FROM gift_cards
            WHERE return_id = \(id) ORDER BY seq
            """, logger: logger
        ).decode((Int, Int64, String, String, String?, String).self) {
            rows.append(
                GiftCardRow(seq: seq, amountMinor: amount, currency: currency, status: status, code: code, provider: provider))
        }
        return rows
    }

    /// Whether the return was ever shipped (the carrier's first scan is in its history).
    public func hasShipped(_ id: UUID, on connection: DatabaseConnection) async throws -> Bool {
        for try await shipped in try await connection.prepared(
            "SELECT EXISTS (SELECT 1 FROM return_events WHERE return_id = \(id) AND event = 'ship')", logger: logger
        ).decode(Bool.self) {
            return shipped
        }
        return false
    }

    public func charges(of id: UUID, on connection: DatabaseConnection) async throws -> [ChargeRow] {
        var rows: [ChargeRow] = []
        for try await (charge, instant, line, amount, currency, status, provider) in try await connection.prepared(
            """
            SELECT id, idempotency_key LIKE 'instant:%', line, amount_minor, currency::text, status, provider FROM charges
            WHERE return_id = \(id) ORDER BY line, created_at
            """, logger: logger
        ).decode((UUID, Bool, Int, Int64, String, String, String).self) {
            rows.append(
                ChargeRow(
                    id: charge, kind: instant ? .instant : .difference, line: line, amountMinor: amount,
                    currency: currency, status: status, provider: provider))
        }
        return rows
    }

    /// Writes the settlement of step `seq`; false when that step's settlement exists.
    public func insertSettlement(_ id: UUID, seq: Int, _ settlement: Settlement, on connection: DatabaseConnection)
        async throws -> Bool
    {
        let json = String(decoding: try JSONEncoder.sorted.encode(settlement), as: UTF8.self)
        var inserted = false
        for try await _ in try await connection.prepared(
            """
            INSERT INTO settlements (return_id, seq, currency, refund_minor, credit_minor, bonus_minor, charge_minor,
                                     label_minor, breakdown)
            VALUES (\(id), \(seq), \(settlement.currency), \(settlement.refundMinor), \(settlement.creditMinor),
                    \(settlement.bonusMinor), \(settlement.chargeMinor), \(settlement.labelMinor), \(json)::jsonb)
            ON CONFLICT DO NOTHING RETURNING 1
            """, logger: logger
        ).decode(Int.self) {
            inserted = true
        }
        return inserted
    }

    public func settlements(of id: UUID, on connection: DatabaseConnection) async throws -> [SettlementRow] {
        var rows: [SettlementRow] = []
        for try await (seq, json, created) in try await connection.prepared(
            "SELECT seq, breakdown::text, created_at FROM settlements WHERE return_id = \(id) ORDER BY seq",
            logger: logger
        ).decode((Int, String, Date).self) {
            rows.append(
                SettlementRow(
                    seq: seq, settlement: try JSONDecoder().decode(Settlement.self, from: Data(json.utf8)),
                    createdAt: created))
        }
        return rows
    }

    /// Whether any settlement of the return took the label cost, or gave the flat credit bonus.
    public func settledBefore(_ id: UUID, on connection: DatabaseConnection) async throws -> (label: Bool, bonus: Bool) {
        for try await (label, bonus) in try await connection.prepared(
            """
            SELECT coalesce(bool_or(label_minor > 0), false), coalesce(bool_or(bonus_minor > 0), false)
            FROM settlements WHERE return_id = \(id)
            """, logger: logger
        ).decode((Bool, Bool).self) {
            return (label, bonus)
        }
        return (false, false)
    }

    /// Opens a review of line `line`; a review of that kind already open for the line is kept as it is.
    public func openReview(
        _ id: UUID, line: Int, kind: String, amountOwedMinor: Int64, currency: String, seq: Int,
        on connection: DatabaseConnection
    ) async throws {
        try await connection.query(
            """
            INSERT INTO resolution_reviews (return_id, line, kind, amount_owed_minor, currency, opened_seq)
            VALUES (\(id), \(line), \(kind), \(amountOwedMinor), \(currency), \(seq))
            ON CONFLICT DO NOTHING
            """, logger: logger)
    }

    /// Open reviews, oldest first (all of one return when `returnID`).
    public func reviews(of returnID: UUID?, limit: Int, on connection: DatabaseConnection) async throws
        -> [ResolutionReviewRow]
    {
        var rows: [ResolutionReviewRow] = []
        for try await (id, line, kind, owed, currency, status, created) in try await connection.query(
            """
            SELECT return_id, line, kind, amount_owed_minor, currency::text, status, created_at
            FROM resolution_reviews
            WHERE (\(returnID)::uuid IS NULL AND status = 'open') OR return_id = \(returnID)
            ORDER BY created_at LIMIT \(limit)
            """, logger: logger
        ).decode((UUID, Int, String, Int64, String, String, Date).self) {
            rows.append(
                ResolutionReviewRow(
                    returnID: id, line: line, kind: kind, amountOwedMinor: owed, currency: currency, status: status,
                    createdAt: created))
        }
        return rows
    }

    /// Whose store credit a return's credit is: the shop's customer id of its order, else its lower-cased email.
    public func creditCustomer(of id: UUID, on connection: DatabaseConnection) async throws -> String {
        for try await customer in try await connection.prepared(
            """
            SELECT coalesce(o.customer_id, lower(r.customer_email)) FROM returns r
            LEFT JOIN orders o ON o.id = r.order_id WHERE r.id = \(id)
            """, logger: logger
        ).decode(String.self) {
            return customer
        }
        return ""
    }

    /// When the return's refunded lines are paid.
    public func releaseMoment(of id: UUID, on connection: DatabaseConnection) async throws -> ReleaseMoment {
        // No held write sets release_on.
        for try await moment in try await connection.prepared(
            "SELECT release_on FROM returns WHERE id = \(id)", besideHeldWrites: true, logger: logger
        ).decode(String.self) {
            return ReleaseMoment(rawValue: moment) ?? .inspection
        }
        return .inspection
    }

    public func setReleaseMoment(_ id: UUID, _ moment: ReleaseMoment, on connection: DatabaseConnection) async throws {
        try await connection.query(
            "UPDATE returns SET release_on = \(moment.rawValue) WHERE id = \(id)", logger: logger)
    }

    /// What returns made in [from, to) were worth and how much of it was kept as exchanges and store credit, per
    /// currency, overall (`dimension` "all") and by reason and by SKU. Value is units times the price paid:
    /// `total` over every unit of returns not cancelled, the others over the units settled each way.
    public func retainedRevenue(from: Date, to: Date, on connection: DatabaseConnection) async throws -> [RetainedRevenueRow] {
        var rows: [RetainedRevenueRow] = []
        for try await (currency, reason, sku, total, exchanged, credited, refunded) in try await connection.query(
            """
            SELECT r.currency::text, i.reason, i.sku,
                   sum(i.quantity * i.unit_price_minor)::int8,
                   sum(CASE WHEN coalesce(i.fallback, i.resolution) = 'exchange'
                            THEN i.quantity_refunded * i.unit_price_minor ELSE 0 END)::int8,
                   sum(CASE WHEN coalesce(i.fallback, i.resolution) = 'store_credit'
                            THEN i.quantity_refunded * i.unit_price_minor ELSE 0 END)::int8,
                   sum(CASE WHEN coalesce(i.fallback, i.resolution) = 'refund'
                            THEN i.quantity_refunded * i.unit_price_minor ELSE 0 END)::int8
            FROM return_items i JOIN returns r ON r.id = i.return_id
            WHERE r.created_at >= \(from) AND r.created_at < \(to) AND r.state <> 'cancelled'
            GROUP BY GROUPING SETS ((r.currency), (r.currency, i.reason), (r.currency, i.sku))
            ORDER BY 1, 2 NULLS FIRST, 3 NULLS FIRST
            """, logger: logger
        ).decode((String, String?, String?, Int64, Int64, Int64, Int64).self) {
            let (dimension, key) = reason.map { ("reason", $0) } ?? sku.map { ("sku", $0) } ?? ("all", "")
            rows.append(
                RetainedRevenueRow(
                    currency: currency, dimension: dimension, key: key, totalMinor: total, exchangedMinor: exchanged,
                    creditedMinor: credited, refundedMinor: refunded))
        }
        return rows
    }
}

/// One line of the retained-revenue report.
public struct RetainedRevenueRow: Sendable, Hashable, Codable {
    public var currency: String
    /// all, reason or sku.
    public var dimension: String
    public var key: String
    public var totalMinor: Int64
    public var exchangedMinor: Int64
    public var creditedMinor: Int64
    public var refundedMinor: Int64
    /// Share of the total kept as exchanges and credit.
    public var retainedShare: Double {
        totalMinor == 0 ? 0 : Double(exchangedMinor + creditedMinor) / Double(totalMinor)
    }
}
