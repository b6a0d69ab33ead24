import Foundation
import ReturnsCore
import ReturnsStore

/// A customer's store credit: what returns credited, what was spent, adjusted or expired.
public struct CreditStatement: Sendable, Hashable, Codable {
    public var customer: String
    /// Per currency, minor units.
    public var balances: [String: Int64]
    /// Newest first.
    public var entries: [CreditEntry]
}

/// Store credit: an append-only ledger per customer and currency whose balance never goes below zero. Returns
/// credit it when they settle; the shop spends it (`debit`); operators adjust it with a reason.
public struct StoreCredits: Sendable {
    let engine: Engine

    var credits: CreditRepository { engine.store.credits }

    /// Whose account `customer` names: the shop's customer id as given, an email lower-cased.
    public static func account(_ customer: String) -> String {
        let trimmed = customer.trimmingCharacters(in: .whitespaces)
        return trimmed.contains("@") ? trimmed.lowercased() : trimmed
    }

    public func statement(of customer: String, limit: Int = 50) async throws -> CreditStatement {
        let account = try Self.checkedAccount(customer)
        return try await engine.read { [credits] connection in
            CreditStatement(
                customer: account, balances: try await credits.balances(of: account, on: connection),
                entries: try await credits.entries(of: account, limit: limit, on: connection))
        }
    }

    /// An operator's correction, positive or negative, with the reason recorded. The same key again answers the
    /// first line; a negative adjustment past the balance is refused and writes nothing.
    public func adjust(
        _ customer: String, amount: Money, reason: String, idempotencyKey: String, actor: String
    ) async throws -> CreditEntry {
        guard amount.minorUnits != 0 else {
            throw EngineError.invalidInput(field: "amount", reason: "give a non-zero amount, like 5.00 or -5.00")
        }
        guard !reason.trimmingCharacters(in: .whitespaces).isEmpty, reason.count <= 500 else {
            throw EngineError.invalidInput(field: "reason", reason: "say why (1 to 500 characters); it is kept in the ledger")
        }
        return try await write(
            NewCreditEntry(
                customer: Self.account(customer), currency: amount.currency.code, kind: "adjustment",
                amountMinor: amount.minorUnits, idempotencyKey: "adjust:" + idempotencyKey, actor: actor, note: reason))
    }

    /// The shop spends `amount` of the customer's credit (an order paid with it).
    public func debit(_ customer: String, amount: Money, idempotencyKey: String, actor: String, note: String? = nil)
        async throws -> CreditEntry
    {
        guard amount.minorUnits > 0 else {
            throw EngineError.invalidInput(field: "amount", reason: "give the amount spent, more than zero")
        }
        return try await write(
            NewCreditEntry(
                customer: Self.account(customer), currency: amount.currency.code, kind: "debit",
                amountMinor: -amount.minorUnits, idempotencyKey: "debit:" + idempotencyKey, actor: actor, note: note))
    }

    /// Expires what is left of credit past its date, at most `limit` lots; the number expired.
    public func expireDue(limit: Int = 500) async throws -> Int {
        try await engine.transaction { [credits] connection in try await credits.expireLots(limit: limit, on: connection) }
    }

    /// `customer` as an account, refused when it cannot name one: empty, longer than an email can be, or holding
    /// control characters.
    static func checkedAccount(_ customer: String) throws -> String {
        let account = account(customer)
        guard !account.isEmpty, account.count <= 254,
            !account.unicodeScalars.contains(where: { $0.value < 32 || $0.value == 127 })
        else {
            throw EngineError.invalidInput(
                field: "customer", reason: "give the customer's email or the shop's customer id (1 to 254 characters)")
        }
        return account
    }

    private func write(_ entry: NewCreditEntry) async throws -> CreditEntry {
        let account = try Self.checkedAccount(entry.customer)
        // Lines of one account wait their turn in memory, so a burst of debits holds one pooled connection.
        return try await engine.turns.withTurn(on: "credit:\(account):\(entry.currency)") {
            do {
                return try await engine.transaction { [credits] connection in try await credits.append(entry, on: connection) }
            } catch let refusal as CreditRefusal {
                switch refusal {
                case .insufficient: throw EngineError.notAvailable(refusal.description)
                case .keyReused(let key): throw EngineError.idempotencyKeyReused(key: key)
                }
            }
        }
    }
}

extension ReturnLookup {
    /// What returns made in [from, to) were worth and what of it was kept as exchanges and store credit, overall,
    /// by reason and by SKU, per currency.
    public func retainedRevenue(from: Date, to: Date) async throws -> [RetainedRevenueRow] {
        try await engine.read { [engine] connection in
            try await engine.store.resolutions.retainedRevenue(from: from, to: to, on: connection)
        }
    }
}

/// Everything a return's resolutions wrote.
public struct ReturnResolutions: Sendable, Hashable, Codable {
    public var settlements: [Settlement]
    public var exchanges: [ExchangeOrderRow]
    public var charges: [ChargeRow]
    public var credits: [CreditEntry]
    public var reviews: [ResolutionReviewRow]
}
