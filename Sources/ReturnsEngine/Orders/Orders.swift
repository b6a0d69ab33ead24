import Foundation
import ReturnsCore
import ReturnsStore

/// Orders of record: what the shop writes (one order, or a whole file of them) and what returns are made from.
public struct Orders: Sendable {
    let engine: Engine

    var orders: OrderRepository { engine.store.orders }

    /// Inserts or replaces `order`; the same order again changes nothing.
    public func put(_ order: Order) async throws -> OrderWrite {
        try await importOrders([order], dryRun: false)[0]
    }

    /// Writes every order in one transaction: all of them, or, when one is refused, none. With `dryRun` the
    /// transaction is rolled back after the last order, so the answer says what a real import would do.
    public func importOrders(_ batch: [Order], dryRun: Bool) async throws -> [OrderWrite] {
        for order in batch { try Self.check(order) }
        struct RolledBack: Error { var writes: [OrderWrite] }
        do {
            return try await Self.refusing {
                try await engine.transaction { [self] connection in
                    var writes: [OrderWrite] = []
                    for order in batch { writes.append(try await orders.upsert(order, on: connection)) }
                    if dryRun { throw RolledBack(writes: writes) }
                    return writes
                }
            }
        } catch let rolledBack as RolledBack {
            return rolledBack.writes
        }
    }

    /// The order `ref` as stored, with what its returns hold.
    public func find(ref: String) async throws -> StoredOrder? {
        try await engine.read { [self] connection in try await orders.find(ref: ref, on: connection) }
    }

    /// The order `ref` as stored; when the local table has none, as the order source has it (stored first, so the
    /// next lookup is local). A source that fails or answers nonsense stores nothing.
    public func findOrFetch(ref: String) async throws -> StoredOrder? {
        if let stored = try await find(ref: ref) { return stored }
        let fetched: Order?
        do { fetched = try await engine.orderSource.order(ref: ref) } catch {
            throw EngineError.orderSourceFailed(error.description, timedOut: error.timedOut)
        }
        guard let fetched else { return nil }
        _ = try await put(fetched)
        return try await find(ref: ref)
    }

    static func check(_ order: Order) throws {
        do { try OrderFields.complete(order) } catch {
            throw EngineError.invalidInput(field: error.field, reason: error.message)
        }
    }

    /// Runs `body`, answering the database's refusal of an order change as a conflict.
    static func refusing<T>(_ body: () async throws -> T) async throws -> T {
        do { return try await body() } catch let refusal as OrderRefusal {
            throw EngineError.orderConflict(refusal.description)
        }
    }
}

/// A customer's (or an operator's) request to return lines of an order of record.
public struct ReturnFromOrder: Sendable, Hashable {
    public var orderRef: String
    public var proof: Proof
    public var lines: [Line]
    public var locale: String
    /// Who is asking, for the limit on failed lookups; nil for an operator, who is not limited.
    public var clientAddress: String?
    /// Unit prices an operator sets instead of the order's, per line id, with the reason recorded in the history.
    public var priceOverrides: [String: Int64]
    public var overrideReason: String?
    /// Take the workflow's first step at once (issue the label), as the customer's API does.
    public var startsAtOnce: Bool
    /// The workflow staff chose; nil lets the policy route (the only choice a customer has).
    public var workflow: String?

    /// How the caller shows the order is theirs.
    public enum Proof: Sendable, Hashable {
        case email(String)
        case postalCode(String)
        /// An operator acting for the shop: no proof asked.
        case staff

        /// A postal code as compared: case and spaces do not matter ("10 115" is "10115").
        static func normalPostalCode(_ code: String) -> String { code.lowercased().filter { !$0.isWhitespace } }
    }

    public struct Line: Sendable, Hashable {
        public var orderLine: String
        public var quantity: Int
        public var reason: String
        /// How the customer wants the line settled; it must be one the policy offers.
        public var resolution: Resolution
        /// For an exchange: the variant wanted instead.
        public var exchangeSKU: String?

        public init(
            orderLine: String, quantity: Int, reason: String = ReturnItem.defaultReason,
            resolution: Resolution = .refund, exchangeSKU: String? = nil
        ) {
            self.orderLine = orderLine
            self.quantity = quantity
            self.reason = reason
            self.resolution = resolution
            self.exchangeSKU = exchangeSKU
        }
    }

    public init(
        orderRef: String, proof: Proof, lines: [Line], locale: String = "en", clientAddress: String? = nil,
        priceOverrides: [String: Int64] = [:], overrideReason: String? = nil, startsAtOnce: Bool = true,
        workflow: String? = nil
    ) {
        self.workflow = workflow
        self.startsAtOnce = startsAtOnce
        self.orderRef = orderRef
        self.proof = proof
        self.lines = lines
        self.locale = locale
        self.clientAddress = clientAddress
        self.priceOverrides = priceOverrides
        self.overrideReason = overrideReason
    }

    /// Whether `order` is the one the caller proved: the same email (case-insensitive) or postal code (ignoring
    /// case and spaces).
    func proves(_ order: Order) -> Bool {
        switch proof {
        case .staff: return true
        case .email(let email): return email.lowercased() == order.customerEmail.lowercased()
        case .postalCode(let code): return order.postalCode.map(Proof.normalPostalCode) == Proof.normalPostalCode(code)
        }
    }
}

/// How many failed order lookups a client address and one order may have in the last `windowSeconds` before further
/// lookups are answered "too many" (HTTP 429): enough for typing mistakes, too few to guess orders. The window slides
/// (`LookupFailureCount`), so a burst across the edge of a clock-aligned window counts in full.
public struct LookupLimits: Sendable, Hashable {
    public var perAddress: Int
    public var perOrder: Int
    public var windowSeconds: Int

    /// Each at least 1.
    public init(perAddress: Int = 10, perOrder: Int = 5, windowSeconds: Int = 900) {
        self.perAddress = max(1, perAddress)
        self.perOrder = max(1, perOrder)
        self.windowSeconds = max(1, windowSeconds)
    }
}
