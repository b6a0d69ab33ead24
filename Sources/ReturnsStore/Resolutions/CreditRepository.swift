import Foundation
import Logging
import PostgresNIO
import ReturnsCore

/// One line of a customer's store-credit ledger.
public struct CreditEntry: Sendable, Hashable, Codable {
    public var id: Int64
    public var customer: String
    public var currency: String
    /// credit, bonus, debit, expiry, adjustment.
    public var kind: String
    public var amountMinor: Int64
    public var returnID: UUID?
    public var expiresAt: Date?
    public var code: String?
    public var actor: String
    public var note: String?
    public var createdAt: Date
}

/// A new ledger line. Its idempotency key makes writing it twice write it once.
public struct NewCreditEntry: Sendable, Hashable {
    public var customer: String
    public var currency: String
    public var kind: String
    public var amountMinor: Int64
    public var returnID: UUID?
    public var idempotencyKey: String
    public var expiresAt: Date?
    public var code: String?
    public var actor: String
    public var note: String?

    public init(
        customer: String, currency: String, kind: String, amountMinor: Int64, returnID: UUID? = nil,
        idempotencyKey: String, expiresAt: Date? = nil, code: String? = nil, actor: String, note: String? = nil
    ) {
        self.customer = customer
        self.currency = currency
        self.kind = kind
        self.amountMinor = amountMinor
        self.returnID = returnID
        self.idempotencyKey = idempotencyKey
        self.expiresAt = expiresAt
        self.code = code
        self.actor = actor
        self.note = note
    }
}

/// Why a ledger line was refused.
public enum CreditRefusal: Error, Sendable, Hashable, CustomStringConvertible {
    /// A debit or negative adjustment larger than the balance.
    case insufficient(balanceMinor: Int64, currency: String)
    /// The same idempotency key was used for another line.
    case keyReused(String)

    public var description: String {
        switch self {
        case .insufficient(let balance, let currency):
            "the balance is \(Money.decimalString(minorUnits: balance, currencyCode: currency)) \(currency); "
                + "a debit cannot take it below zero"
        case .keyReused(let key):
            "idempotency key '\(key)' was used for another ledger line"
        }
    }
}

/// The SQL of store credit: an append-only ledger per customer and currency, whose balance the database keeps and
/// never lets go below zero (the account row is locked by each line, so concurrent debits are counted in turn).
public struct CreditRepository: Sendable {
    public let logger: Logger

    public init(logger: Logger) { self.logger = logger }

    /// Writes `entry` unless its key was written before; the answer is the line as stored (the first one, for a
    /// repeated key). A debit past the balance is refused with `insufficient`, and nothing is written.
    public func append(_ entry: NewCreditEntry, on connection: DatabaseConnection) async throws -> CreditEntry {
        if let existing = try await find(key: entry.idempotencyKey, on: connection) {
            guard existing.customer == entry.customer, existing.currency == entry.currency,
                existing.amountMinor == entry.amountMinor, existing.kind == entry.kind
            else { throw CreditRefusal.keyReused(entry.idempotencyKey) }
            return existing
        }
        try await connection.query(
            """
            INSERT INTO credit_accounts (customer, currency) VALUES (\(entry.customer), \(entry.currency))
            ON CONFLICT DO NOTHING
            """, logger: logger)
        var balance = try await lockedBalance(entry.customer, currency: entry.currency, on: connection)
        // Credit past its date is not spent: the account's lapsed lots expire before a debit is judged.
        if entry.amountMinor < 0, entry.kind != "expiry" {
            for (lot, _, _) in try await dueLots(customer: entry.customer, currency: entry.currency, limit: 1000, on: connection) {
                try await expire(lot: lot, customer: entry.customer, currency: entry.currency, on: connection)
            }
            balance = try await lockedBalance(entry.customer, currency: entry.currency, on: connection)
        }
        if entry.amountMinor < 0, balance + entry.amountMinor < 0 {
            throw CreditRefusal.insufficient(balanceMinor: balance, currency: entry.currency)
        }
        let rows = try await connection.query(
            """
            INSERT INTO credit_entries (customer, currency, kind, amount_minor, return_id, idempotency_key, expires_at,
                                        code, actor, note)
            VALUES (\(entry.customer), \(entry.currency), \(entry.kind), \(entry.amountMinor), \(entry.returnID),
                    \(entry.idempotencyKey), \(entry.expiresAt), \(entry.code), \(entry.actor), \(entry.note))
            RETURNING \(unescaped: Self.columns)
            """, logger: logger)
        for try await row in rows { return try Self.decode(row) }
        throw CreditRefusal.keyReused(entry.idempotencyKey)
    }

    /// The balance of an account, its row locked (0 for an account with no line yet).
    private func lockedBalance(_ customer: String, currency: String, on connection: DatabaseConnection) async throws
        -> Int64
    {
        for try await balance in try await connection.query(
            """
            SELECT balance_minor FROM credit_accounts WHERE customer = \(customer) AND currency = \(currency) FOR UPDATE
            """, logger: logger
        ).decode(Int64.self) {
            return balance
        }
        return 0
    }

    public func find(key: String, on connection: DatabaseConnection) async throws -> CreditEntry? {
        let rows = try await connection.query(
            "SELECT \(unescaped: Self.columns) FROM credit_entries WHERE idempotency_key = \(key)", logger: logger)
        for try await row in rows { return try Self.decode(row) }
        return nil
    }

    /// A customer's balances, per currency.
    public func balances(of customer: String, on connection: DatabaseConnection) async throws -> [String: Int64] {
        var balances: [String: Int64] = [:]
        for try await (currency, balance) in try await connection.query(
            "SELECT currency::text, balance_minor FROM credit_accounts WHERE customer = \(customer)", logger: logger
        ).decode((String, Int64).self) {
            balances[currency] = balance
        }
        return balances
    }

    /// A customer's ledger, newest first, at most `limit` lines.
    public func entries(of customer: String, limit: Int, on connection: DatabaseConnection) async throws
        -> [CreditEntry]
    {
        try await entries(
            "SELECT \(unescaped: Self.columns) FROM credit_entries WHERE customer = \(customer) ORDER BY id DESC LIMIT \(limit)",
            on: connection)
    }

    /// The ledger lines a return wrote (its credit, bonus, downsell credit).
    public func entries(ofReturn id: UUID, on connection: DatabaseConnection) async throws -> [CreditEntry] {
        try await entries(
            "SELECT \(unescaped: Self.columns) FROM credit_entries WHERE return_id = \(id) ORDER BY id", on: connection)
    }

    private func entries(_ query: PostgresQuery, on connection: DatabaseConnection) async throws -> [CreditEntry] {
        var found: [CreditEntry] = []
        for try await row in try await connection.query(query, logger: logger) { found.append(try Self.decode(row)) }
        return found
    }

    /// Writes an expiry line for each lot past its date with something left, at most `limit` a call; the number.
    /// Each takes its account's lock before it reads what is left of the lot, as a debit does, so the two never
    /// wait on each other in opposite orders and the expiry takes exactly what no debit took.
    public func expireLots(limit: Int, on connection: DatabaseConnection) async throws -> Int {
        var count = 0
        for (lot, customer, currency) in try await dueLots(customer: nil, currency: nil, limit: limit, on: connection) {
            _ = try await lockedBalance(customer, currency: currency, on: connection)
            if try await expire(lot: lot, customer: customer, currency: currency, on: connection) { count += 1 }
        }
        return count
    }

    private func dueLots(customer: String?, currency: String?, limit: Int, on connection: DatabaseConnection)
        async throws -> [(Int64, String, String)]
    {
        var due: [(Int64, String, String)] = []
        for try await lot in try await connection.query(
            """
            SELECT entry_id, customer, currency::text FROM credit_lots
            WHERE remaining_minor > 0 AND expires_at < now()
              AND (\(customer)::text IS NULL OR (customer = \(customer) AND currency = \(currency)))
            ORDER BY expires_at LIMIT \(limit)
            """, logger: logger
        ).decode((Int64, String, String).self) {
            due.append(lot)
        }
        return due
    }

    /// Writes the expiry of what is left of `lot`; its account must be locked. False when nothing was left.
    @discardableResult
    private func expire(lot: Int64, customer: String, currency: String, on connection: DatabaseConnection) async throws
        -> Bool
    {
        var left: Int64 = 0
        for try await remaining in try await connection.query(
            "SELECT remaining_minor FROM credit_lots WHERE entry_id = \(lot)", logger: logger
        ).decode(Int64.self) {
            left = remaining
        }
        guard left > 0 else { return false }
        _ = try await append(
            NewCreditEntry(
                customer: customer, currency: currency, kind: "expiry", amountMinor: -left,
                idempotencyKey: "expiry:\(lot)", actor: "engine", note: "credit \(lot) expired"),
            on: connection)
        return true
    }

    static let columns =
        "id, customer, currency::text, kind, amount_minor, return_id, expires_at, code, actor, note, created_at"

    static func decode(_ row: PostgresRow) throws -> CreditEntry {
        let (id, customer, currency, kind, amount, returnID, expires, code, actor, note, created) = try row.decode(
            (Int64, String, String, String, Int64, UUID?, Date?, String?, String, String?, Date).self)
        return CreditEntry(
            id: id, customer: customer, currency: currency, kind: kind, amountMinor: amount, returnID: returnID,
            expiresAt: expires, code: code, actor: actor, note: note, createdAt: created)
    }
}
